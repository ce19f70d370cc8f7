"""The tests' Spark driver runs the local JVM options and maps the class archive when one
exists (ADR 0029); a session asked to dump one (the demo's) leaves it installed as it ends,
and the next maps it (ADR 0031).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.spark]

#: jcmd's VM.info names three addresses when a dynamic archive is mapped on the JDK's own.
DYNAMIC_MAPPED = re.compile(r"CDS archive\(s\) mapped at: \[0x[0-9a-f]+-0x[0-9a-f]+-0x[0-9a-f]+\)")


def test_the_driver_maps_the_class_archive_when_one_was_dumped(
    spark: SparkSession, settings: Settings
):
    from goldmine.spark import LEAN_JIT, class_archive, dumped_archive, local_jars

    jvm = spark.sparkContext._jvm
    assert jvm is not None
    arguments = list(
        jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    assert all(option in arguments for option in LEAN_JIT)
    archive = class_archive(settings.jar_dir, local_jars(settings))
    assert dumped_archive(spark) is None  # the suite's session dumps none (ADR 0031)
    if not archive.is_file():  # a fresh clone before its first `make run`: none to map
        assert not any("SharedArchiveFile" in a or "ArchiveClassesAtExit" in a for a in arguments)
        return
    assert f"-XX:SharedArchiveFile={archive}" in arguments
    _assert_mapped(
        Path(jvm.java.lang.System.getProperty("java.home")),
        jvm.java.lang.ProcessHandle.current().pid(),
    )


def _assert_mapped(java_home: Path, pid: int) -> None:
    info = subprocess.run(
        [str(java_home / "bin" / "jcmd"), str(pid), "VM.info"], capture_output=True, text=True
    )
    # -Xshare:auto drops an archive whose class path differs without a word: look.
    assert DYNAMIC_MAPPED.search(info.stdout), "the driver JVM did not map its class archive"


#: Run in a process of its own (one Spark session per process): build a local session
#: that dumps the archive when none exists, print what it maps or dumps, then end it
#: with ``finish_session`` and print the archive installed (a session's start loads
#: classes enough to archive; a query would only make the test longer).
_SESSION = """
import json, sys
from goldmine.aws import AwsClients
from goldmine.settings import Endpoints, load_settings
from goldmine.spark import build_session, dumped_archive, finish_session

settings = load_settings(data_dir=sys.argv[1], jar_dir=sys.argv[2])
spark = build_session(
    AwsClients(settings, Endpoints(s3="http://127.0.0.1:9")), master="local[1]",
    app_name="archive-test", dump_class_archive=True,
)
jvm = spark.sparkContext._jvm
args = list(jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments())
seen = {
    "mapping": [a for a in args if a.startswith("-XX:SharedArchiveFile=")],
    "dumping": str(dumped_archive(spark) or ""),
    "java_home": jvm.java.lang.System.getProperty("java.home"),
    "pid": jvm.java.lang.ProcessHandle.current().pid(),
}
print(json.dumps(seen), flush=True)
sys.stdin.readline()  # the test looks at the running JVM first
wait = sys.argv[3] == "wait"
installed = finish_session(spark, wait=wait)
print(json.dumps({"installed": str(installed or ""), "jvm": seen["pid"]}), flush=True)
"""


def test_a_dump_left_to_the_exiting_jvm_is_installed_by_the_next_session(
    settings: Settings, tmp_path: Path
):
    """What makes `make run` leave the archive (real JVMs, a private cache): the demo does
    not wait for its driver's dump; the JVM writes it after the command ended, and the
    next session's start installs and maps it (``install_finished_dumps``; waiting for
    the dump, as `goldmine local jvm-archive` does, installs through the same function:
    tests/unit/test_driver_jvm.py)."""
    import time

    from goldmine.local._state import pid_alive

    archive, session = _private_archive(settings, tmp_path)

    first, ended = session("leave")
    assert first["dumping"].startswith(f"{archive}.") and ended["installed"] == ""
    deadline = time.monotonic() + 120
    while pid_alive(ended["jvm"]):  # gone, or a zombie no one reaped yet
        assert time.monotonic() < deadline, "the JVM is still dumping after 120 s"
        time.sleep(0.5)
    assert not archive.exists()  # written under its dumping name, not installed yet
    second, ended = session("wait")
    assert second["mapping"] == [f"-XX:SharedArchiveFile={archive}"]  # _assert_mapped too
    assert second["dumping"] == "" and archive.stat().st_size > 10 * 2**20
    assert list(archive.parent.iterdir()) == [archive]


def _private_archive(settings: Settings, tmp_path: Path) -> tuple[Path, Any]:
    """Return the archive of a private JAR folder, and a function that runs a session."""
    import json
    import sys

    from goldmine.spark import class_archive, local_jars

    jar_dir = tmp_path / "jars"
    (jar_dir / "spark").mkdir(parents=True)
    for jar in local_jars(settings):  # the same JARs, an archive folder of its own
        (jar_dir / "spark" / Path(jar).name).symlink_to(Path(jar).resolve())
    archive = class_archive(jar_dir, local_jars(settings.model_copy(update={"jar_dir": jar_dir})))

    def session(finish: str) -> tuple[dict, dict]:
        process = subprocess.Popen(
            [sys.executable, "-c", _SESSION, str(tmp_path / "data"), str(jar_dir), finish],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        seen = json.loads(process.stdout.readline())
        if seen["mapping"]:
            _assert_mapped(Path(seen["java_home"]), seen["pid"])
        process.stdin.write("\n")
        process.stdin.flush()
        ended = json.loads(process.stdout.readline())
        assert process.wait(timeout=120) == 0
        return seen, ended

    return archive, session
