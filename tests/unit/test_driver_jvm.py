"""The local driver JVM's options (ADR 0029): lean JIT, class-data archive, extra options."""

from pathlib import Path

from goldmine.aws import AwsClients
from goldmine.settings import Endpoints, load_settings
from goldmine.spark import (
    DUMP_OPTION,
    LEAN_JIT,
    class_archive,
    driver_java_options,
    dumping_path,
    jit_options,
    spark_conf,
)

JARS = ("delta-spark_2.12-3.3.3.jar", "delta-storage-3.3.3.jar", "hadoop-aws-3.3.4.jar",
        "aws-java-sdk-bundle-1.12.262.jar", "goldmine-delta-logstore-1.jar")  # fmt: skip


def _jar_dir(tmp_path: Path) -> Path:
    jar_dir = tmp_path / "jars"
    (jar_dir / "spark").mkdir(parents=True)
    for name in JARS:
        (jar_dir / "spark" / name).write_bytes(b"jar")
    return jar_dir


def _jars(jar_dir: Path) -> list[Path]:
    return sorted((jar_dir / "spark").glob("*.jar"))


def test_the_local_driver_and_executors_run_the_lean_jit_unless_switched_off(tmp_path: Path):
    jar_dir = _jar_dir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data", jar_dir=jar_dir)
    assert driver_java_options(settings, _jars(jar_dir)) == list(LEAN_JIT)
    assert jit_options(settings) == list(LEAN_JIT)
    tiered = load_settings(jar_dir=jar_dir, spark_lean_jit=False)
    assert driver_java_options(tiered, _jars(jar_dir)) == []
    assert jit_options(tiered) == []


def test_quick_jit_runs_c1_alone_in_the_driver_and_the_executors(
    tmp_path: Path,
):
    from goldmine.aws import AwsClients
    from goldmine.settings import Endpoints
    from goldmine.spark import QUICK_JIT, spark_conf

    jar_dir = _jar_dir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data", jar_dir=jar_dir)
    options = driver_java_options(settings, _jars(jar_dir), quick_jit=True)
    assert options == list(QUICK_JIT) and "-XX:TieredStopAtLevel=1" in options
    tiered = load_settings(jar_dir=jar_dir, spark_lean_jit=False)
    assert driver_java_options(tiered, _jars(jar_dir), quick_jit=True) == []
    aws = AwsClients(settings, Endpoints(s3="http://127.0.0.1:1", aws="http://127.0.0.1:2"))
    conf = spark_conf(aws, quick_jit=True)
    assert "-XX:TieredStopAtLevel=1" in conf["spark.driver.extraJavaOptions"].split()
    assert conf["spark.executor.extraJavaOptions"].split() == list(QUICK_JIT)
    assert spark_conf(aws)["spark.executor.extraJavaOptions"].split() == list(LEAN_JIT)
    lean = spark_conf(aws)["spark.driver.extraJavaOptions"].split()
    assert "-XX:TieredStopAtLevel=1" not in lean and set(LEAN_JIT) <= set(lean)


def test_the_archive_is_mapped_once_dumped_and_never_while_dumping(tmp_path: Path):
    jar_dir = _jar_dir(tmp_path)
    jars = _jars(jar_dir)
    settings = load_settings(jar_dir=jar_dir, spark_driver_java_options="-Xss4m")
    assert driver_java_options(settings, jars) == [*LEAN_JIT, "-Xss4m"]
    archive = class_archive(jar_dir, jars)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"archive")
    options = driver_java_options(settings, jars)
    assert f"-XX:SharedArchiveFile={archive}" in options
    assert options[-1] == "-Xss4m"
    dumping = load_settings(jar_dir=jar_dir, spark_driver_java_options=f"{DUMP_OPTION}/tmp/x.jsa")
    assert driver_java_options(dumping, jars) == [*LEAN_JIT, f"{DUMP_OPTION}/tmp/x.jsa"]


def test_a_driver_that_records_with_jfr_maps_no_archive(tmp_path: Path):
    # JDK 17 crashed (SIGSEGV in the shared class-file hook) when a flight recording
    # started in a driver that mapped the archive; without the archive it recorded.
    jar_dir = _jar_dir(tmp_path)
    jars = _jars(jar_dir)
    archive = class_archive(jar_dir, jars)
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"archive")
    for recording in ("-XX:StartFlightRecording=filename=/tmp/x.jfr", "-XX:+FlightRecorder"):
        settings = load_settings(jar_dir=jar_dir, spark_driver_java_options=recording)
        options = driver_java_options(settings, jars)
        assert not any(o.startswith("-XX:SharedArchiveFile=") for o in options), recording
        assert options == [*LEAN_JIT, recording]
        assert driver_java_options(settings, jars, dump=True) == [*LEAN_JIT, recording]
    plain = load_settings(jar_dir=jar_dir, spark_driver_java_options="-Xss4m")
    assert f"-XX:SharedArchiveFile={archive}" in driver_java_options(plain, jars)


def test_a_dumping_driver_writes_under_a_name_of_its_own_until_installed(tmp_path: Path):
    jar_dir = _jar_dir(tmp_path)
    jars = _jars(jar_dir)
    settings = load_settings(jar_dir=jar_dir)
    archive = class_archive(jar_dir, jars)
    options = driver_java_options(settings, jars, dump=True)
    assert f"{DUMP_OPTION}{dumping_path(archive)}" in options
    assert dumping_path(archive).parent == archive.parent
    assert dumping_path(archive) != archive
    # the extra options' own dump wins; an archive there is mapped, not dumped again
    own = load_settings(jar_dir=jar_dir, spark_driver_java_options=f"{DUMP_OPTION}/tmp/x.jsa")
    assert driver_java_options(own, jars, dump=True) == [*LEAN_JIT, f"{DUMP_OPTION}/tmp/x.jsa"]
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"archive")
    options = driver_java_options(settings, jars, dump=True)
    assert f"-XX:SharedArchiveFile={archive}" in options
    assert not any(o.startswith(DUMP_OPTION) for o in options)


def test_another_jar_set_names_another_archive(tmp_path: Path):
    jar_dir = _jar_dir(tmp_path)
    jars = _jars(jar_dir)
    before = class_archive(jar_dir, jars)
    assert before == class_archive(jar_dir, jars)
    jars[0].write_bytes(b"a rebuilt jar")
    assert class_archive(jar_dir, jars) != before
    assert class_archive(jar_dir, jars[1:]) != class_archive(jar_dir, jars)


def test_local_conf_puts_the_jars_on_the_driver_class_path_and_aws_conf_sets_no_jvm(
    tmp_path: Path,
):
    jar_dir = _jar_dir(tmp_path)
    settings = load_settings(data_dir=tmp_path / "data", jar_dir=jar_dir)
    conf = spark_conf(AwsClients(settings, Endpoints(s3="http://127.0.0.1:9000")))
    assert conf["spark.driver.extraClassPath"].split(":") == [str(j) for j in _jars(jar_dir)]
    assert conf["spark.driver.extraJavaOptions"].startswith(" ".join(LEAN_JIT) + " ")
    assert conf["spark.executor.extraJavaOptions"] == " ".join(LEAN_JIT)
    aws = spark_conf(AwsClients(load_settings(environment="aws")))
    assert not any("extraJavaOptions" in key or "extraClassPath" in key for key in aws)


def test_finished_dumps_are_installed_dead_ones_removed_running_ones_left(tmp_path: Path):
    import os
    import subprocess

    from goldmine.spark import install_finished_dumps

    folder = tmp_path / "jvm-archive"
    folder.mkdir()
    dead = subprocess.Popen(["true"])  # a process id that no longer runs
    dead.wait()
    archive = folder / "spark-driver-ab.jsa"
    written = dumping_path(archive, dead.pid)  # its caller and JVM gone, the log complete
    written.write_bytes(b"archive")
    written.with_name(written.name + ".log").write_text(
        "[info][cds,dynamic] Archiving ...\n[info][cds,dynamic] Written dynamic archive 0x8 - 0x9\n"
    )
    half = dumping_path(folder / "spark-driver-cd.jsa", dead.pid)  # died while dumping
    half.write_bytes(b"hal")
    half.with_name(half.name + ".log").write_text("[info][cds,dynamic] Archiving ...\n")
    writing = dumping_path(folder / "spark-driver-ef.jsa", dead.pid)  # its JVM still runs
    writing.write_bytes(b"wri")
    writing.with_name(writing.name + ".jvm").write_text(str(os.getpid()))

    assert install_finished_dumps(folder) == {written: archive}
    assert archive.read_bytes() == b"archive"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [archive.name, writing.name, writing.name + ".jvm"]
    )
    # a second archive of the same name, dumped by another driver, is dropped
    again = dumping_path(archive, dead.pid + 1)
    again.write_bytes(b"other")
    again.with_name(again.name + ".log").write_text("Written dynamic archive\n")
    assert install_finished_dumps(folder) == {}
    assert archive.read_bytes() == b"archive" and not again.exists()
