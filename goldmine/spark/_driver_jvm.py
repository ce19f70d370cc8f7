"""The local driver JVM: a lean JIT and a class-data archive (ADR 0029).

A local build is a short JVM life. On a 2-core machine HotSpot's optimizing compiler
(C2) competed with the build for the cores, compiling warm planning code that would
not run long enough to repay it, and the first seconds of every process went to
loading and verifying the classes a build touches from JARs. Locally the driver
therefore runs a lean JIT (C2 only for code 20 times hotter than by default;
``spark_lean_jit=False`` restores HotSpot's thresholds) and, once one was dumped,
maps the classes from a class-data sharing archive (dynamic CDS) instead of reading
them from JARs. The archive is a cache: its name hashes the ``java`` binary and every
JAR of the driver's class path, so another JDK or JAR set finds no archive and the JVM
starts as before. In ``aws`` EMR owns its JVMs; nothing here applies.

Nobody waits for a run that only dumps the archive (ADR 0031): a session built with
``dump_class_archive`` (the demo's) and finding none dumps it as its JVM exits, under a
name of its own, and the archive is installed under its own name once the JVM logged it
complete, so a starting JVM never maps half an archive: by :func:`finish_session`, or,
when that did not wait for the JVM, by the next session's start
(:func:`install_finished_dumps`).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.settings import Settings

#: HotSpot's tiered JIT with the optimizing compiler (C2, tier 4) kept for code 20 times
#: hotter than by default: a build's warm planning code stays with the quick C1, the row
#: loops of a large build still get C2 (ADR 0029).
LEAN_JIT = (
    "-XX:Tier4InvocationThreshold=100000",
    "-XX:Tier4MinInvocationThreshold=20000",
    "-XX:Tier4CompileThreshold=300000",
    "-XX:Tier4BackEdgeThreshold=800000",
)
#: C1 alone, for a JVM whose life is one small build or the demo (ADR 0038): C2 never
#: repays its compilations there, and C1's code without tiered profiling runs sooner
#: and faster than the lean JIT's profiled tier. The code cache of the tiered default:
#: C1 alone compiles more methods than its own default (48 MB) holds.
QUICK_JIT = ("-XX:TieredStopAtLevel=1", "-XX:ReservedCodeCacheSize=240m")
#: The JVM option that writes a dynamic class-data archive as the JVM exits.
DUMP_OPTION = "-XX:ArchiveClassesAtExit="
#: Options that start Java Flight Recorder. With a dynamic class-data archive mapped,
#: JDK 17's JVM (17.0.15) crashes at the recording's first class-file hook on an
#: archived class (SIGSEGV in ``KlassFactory::check_shared_class_file_load_hook``;
#: tried with ``-XX:StartFlightRecording``): such a driver maps no archive.
_RECORDING = ("-XX:StartFlightRecording", "-XX:+FlightRecorder")
#: The folder of the class-data archives, under the settings' JAR cache.
ARCHIVE_DIR = "jvm-archive"
#: What a dumping driver writes, ``<archive>.<pid>.dumping``, until it is installed.
DUMPING_SUFFIX = ".dumping"
#: Silences the JVM's warning for each class it cannot archive (generated ones).
_QUIET_CDS = "-Xlog:cds=off,cds+dynamic=off"
#: Beside a dumping file: the dump's log (its last lines say the archive is complete),
#: and the dumping JVM's process id once its caller leaves it dumping.
LOG_SUFFIX, JVM_SUFFIX = ".log", ".jvm"
#: What HotSpot logs (``cds+dynamic``, info) once the archive file is written.
_WRITTEN = b"Written dynamic archive"


def class_archive(jar_dir: Path, jars: Sequence[os.PathLike[str]]) -> Path:
    """Return the driver's archive path for this JDK and these JARs (it may not exist).

    The name hashes the resolved ``java`` that ``spark-submit`` runs (``JAVA_HOME``, else
    the ``PATH``), pyspark's own JARs and ``jars`` (names and sizes): any change gives a
    new name, so a stale archive is never mapped.
    """
    import pyspark

    digest = hashlib.sha256()
    java = _java()
    digest.update(f"{java}:{java.stat().st_size if java else 0}\n".encode())
    pyspark_jars = Path(next(iter(pyspark.__path__))) / "jars"
    for jar in [*sorted(pyspark_jars.glob("*.jar")), *(Path(j) for j in jars)]:
        digest.update(f"{jar.name}:{jar.stat().st_size}\n".encode())
    return jar_dir / ARCHIVE_DIR / f"spark-driver-{digest.hexdigest()[:16]}.jsa"


def dumping_path(archive: Path, pid: int | None = None) -> Path:
    """Return where the driver of process ``pid`` (this one) writes ``archive`` as it exits.

    Examples
    --------
    >>> dumping_path(Path("/jars/jvm-archive/spark-driver-ab.jsa"), 42).name
    'spark-driver-ab.jsa.42.dumping'
    """
    return archive.with_name(f"{archive.name}.{pid or os.getpid()}{DUMPING_SUFFIX}")


def driver_java_options(
    settings: Settings,
    jars: Sequence[os.PathLike[str]],
    *,
    dump: bool = False,
    quick_jit: bool = False,
) -> list[str]:
    """Return the local driver's JIT and class-data options, then the settings' extra ones.

    The archive is mapped when it exists; when it does not and ``dump`` is set, the
    driver dumps it as it exits (to :func:`dumping_path`; :func:`finish_session`
    installs it). Neither when the extra options dump an archive of their own
    (``-XX:ArchiveClassesAtExit``), or start a flight recording, which crashes a JVM
    that maps one (``_RECORDING``). ``quick_jit``: see :func:`jit_options`.
    """
    options = jit_options(settings, quick_jit=quick_jit)
    extra = settings.spark_driver_java_options.split()
    archive = class_archive(settings.jar_dir, jars)
    if any(o.startswith((DUMP_OPTION, *_RECORDING)) for o in extra):
        pass
    elif archive.is_file():
        # -Xshare:auto (the default) loads from the JARs if the JVM refuses the archive.
        options += [f"-XX:SharedArchiveFile={archive}", _QUIET_CDS]
    elif dump:
        dumping = dumping_path(archive)
        log = f"-Xlog:cds+dynamic=info:file={dumping}{LOG_SUFFIX}"
        options += [f"{DUMP_OPTION}{dumping}", _QUIET_CDS, log]
    return [*options, *extra]


def archive_folder_writable(settings: Settings) -> bool:
    """Create the archive folder if needed; return whether a driver can dump into it."""
    folder = settings.jar_dir / ARCHIVE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK | os.X_OK)


def dumped_archive(spark: SparkSession) -> Path | None:
    """Return the archive ``spark``'s driver dumps as it exits (``None``: it dumps none).

    Only a dump :func:`driver_java_options` asked for (``dump``) is named: one the
    settings' extra options ask for is the caller's to install.
    """
    return _dumping_path(spark.sparkContext.getConf().get("spark.driver.extraJavaOptions"))


def _dumping_path(java_options: str | None) -> Path | None:
    for option in (java_options or "").split():
        path = option.removeprefix(DUMP_OPTION)
        if option.startswith(DUMP_OPTION) and path.endswith(DUMPING_SUFFIX):
            return Path(path)
    return None


def watch_archive_dump(spark: SparkSession) -> None:
    """Install the archive ``spark``'s driver dumps when this process exits, if not before.

    For a caller that never calls :func:`finish_session` (an exception, a CLI that
    returns): the JVM would otherwise write the archive under its dumping name only.
    """
    if dumped_archive(spark) is not None:
        atexit.register(finish_session, spark)


def finish_session(spark: SparkSession, *, wait: bool = True) -> Path | None:
    """Stop ``spark``; when its driver dumps the class-data archive, install it.

    The driver writes the archive as its JVM exits (the archive of a long session takes
    10-30 s). With ``wait``, wait for that, then move it to the name
    :func:`class_archive` gives (atomic; an archive another process installed first is
    kept). Without, leave the JVM writing it (its process id beside the file): the next
    session's start installs it once complete (:func:`install_finished_dumps`); a
    command need not keep its user waiting for a cache. Files left by drivers that died
    while dumping are removed. Stopping an already finished session does nothing.

    Returns
    -------
    Path or None
        The archive installed by this call, ``None`` when none was (no dump asked, not
        waited for, the JVM failed, or another process's archive was there first).
    """
    from pyspark import SparkContext

    if SparkContext._gateway is None:  # finished already
        return None
    dumping = dumped_archive(spark)
    if dumping is None:
        spark.stop()
        return None
    if not wait:
        end_session()
        return None
    if stop_and_wait(spark) != 0:
        _remove_dump(dumping)
    installed = install_finished_dumps(dumping.parent)
    return installed.get(dumping)


def end_session() -> None:
    """End this process's Spark session as the process ends; wait for nothing (ADR 0045).

    The JVM stops Spark itself and exits while Python does: py4j's gateway server is
    shut (HotSpot's exit waits up to 300 ms for threads in native code, and the
    server's thread sits in ``accept``), then the JVM's input closes, on which it exits;
    its shutdown hook stops the SparkContext (the event log, the scratch directories).
    PySpark's ``SparkSession.stop`` instead waits for its accumulator server's 0.5 s
    poll, and a JVM left to the end of the process begins its exit only after Python's.
    A driver dumping the class-data archive writes it in the background (its process
    id beside the file, for :func:`install_finished_dumps`). Without a session of this
    process's own (none started, ended already, or a driver that ``spark-submit``
    started and that outlives the script) it does nothing.
    """
    from pyspark import SparkContext

    context = SparkContext._active_spark_context
    options = context.getConf().get("spark.driver.extraJavaOptions") if context else None
    process = _close_gateway()
    if process is None:
        return
    SparkContext._active_spark_context = None
    dumping = _dumping_path(options)
    if dumping is not None:  # written before its input closes: it is alive until then
        _sidecar(dumping, JVM_SUFFIX).write_text(str(process.pid))
    _close_input(process)


def install_finished_dumps(folder: Path) -> dict[Path, Path]:
    """Install the archives in ``folder`` whose JVM logged them complete; return them.

    A dumping file whose log says the archive was written becomes the archive (or is
    dropped when another process's archive is there already); one whose caller and JVM
    are both gone without that line is removed; one still being written is left.

    Returns
    -------
    dict
        Dumping file -> the archive it became.
    """
    installed: dict[Path, Path] = {}
    for dumping in sorted(folder.glob(f"*{DUMPING_SUFFIX}")):
        if _written(_sidecar(dumping, LOG_SUFFIX)):
            archive = Path(str(dumping).removesuffix(DUMPING_SUFFIX)).with_suffix("")
            try:
                if archive.is_file():
                    dumping.unlink()
                else:
                    dumping.replace(archive)  # a starting JVM never maps half an archive
                    installed[dumping] = archive
            except FileNotFoundError:  # another process installed or dropped it first
                continue
        elif _writing(dumping):
            continue
        _remove_dump(dumping)
    return installed


def _sidecar(dumping: Path, suffix: str) -> Path:
    return dumping.with_name(dumping.name + suffix)


def _written(log: Path) -> bool:
    """Return whether the dump's log says the archive is complete (its last lines)."""
    try:
        with log.open("rb") as lines:
            lines.seek(max(0, log.stat().st_size - 65536))
            return _WRITTEN in lines.read()
    except FileNotFoundError:
        return False


def _writing(dumping: Path) -> bool:
    """Return whether the process that started the dump, or its JVM, still runs."""
    pids = [dumping.name.removesuffix(DUMPING_SUFFIX).rsplit(".", 1)[-1]]
    with contextlib.suppress(FileNotFoundError):
        pids.append(_sidecar(dumping, JVM_SUFFIX).read_text().strip())
    return any(pid.isdigit() and _alive(int(pid)) for pid in pids)


def _remove_dump(dumping: Path) -> None:
    for path in (dumping, _sidecar(dumping, LOG_SUFFIX), _sidecar(dumping, JVM_SUFFIX)):
        path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def jit_options(settings: Settings, *, quick_jit: bool = False) -> list[str]:
    """Return the JIT options of the local driver and the standalone cluster's executors.

    The lean JIT (:data:`LEAN_JIT`), or with ``quick_jit`` C1 alone (:data:`QUICK_JIT`:
    a JVM whose life is one small build or the demo, ADR 0038); HotSpot's defaults
    when ``settings.spark_lean_jit`` is off.

    Examples
    --------
    >>> from goldmine.settings import load_settings
    >>> jit_options(load_settings(), quick_jit=True)[0]
    '-XX:TieredStopAtLevel=1'
    """
    if not settings.spark_lean_jit:
        return []
    return list(QUICK_JIT if quick_jit else LEAN_JIT)


def stop_and_wait(spark: SparkSession, timeout_s: float = 300.0) -> int:
    """Stop ``spark`` and wait for its JVM to exit (pyspark leaves it exiting behind).

    A JVM dumping a class-data archive writes it as it exits; returns its exit code.
    """
    process = _stop(spark)
    if process is None:
        return 0
    _close_input(process)
    return int(process.wait(timeout=timeout_s))


def _stop(spark: SparkSession) -> subprocess.Popen[bytes] | None:
    """Stop ``spark`` and its gateway; return the JVM's process (``None``: not ours)."""
    spark.stop()
    return _close_gateway()


def _close_gateway() -> subprocess.Popen[bytes] | None:
    """Shut py4j's gateway to this process's JVM; return the JVM's process.

    ``None``: no JVM this process started (none, or a driver ``spark-submit`` started).
    """
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    process: subprocess.Popen[bytes] | None = getattr(gateway, "proc", None)
    if gateway is None or process is None:
        return None
    gateway.shutdown()
    SparkContext._gateway = None
    SparkContext._jvm = None
    return process


def _close_input(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        process.stdin.close()  # the gateway server exits on end of input


def _java() -> Path | None:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None
