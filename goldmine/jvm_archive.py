"""Dump the local Spark driver's class-data archive from a small demo (ADR 0029).

The archive holds the classes a build loads, so the workload that dumps it is a small
build of all three architectures: the demo's week at a tiny scale, on private local
services in a temporary folder (the user's data directory is not touched). The driver
JVM writes the archive as it exits; it is then moved to the name
:func:`goldmine.spark.class_archive` gives this JDK and JAR set, where every later local
session maps it.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from goldmine.settings import Endpoints, Settings

#: The dumping workload: the demo's week at a fifth of its scale (~700 order lines).
ARCHIVE_DAYS, ARCHIVE_SCALE = 7, 0.01


@dataclass(frozen=True)
class ArchiveResult:
    """Where the archive is, its size, and whether this call dumped it."""

    path: Path
    bytes: int
    dumped: bool
    seconds: float = 0.0


def dump_jvm_archive(
    settings: Settings, *, force: bool = False, say: Callable[[str], None] | None = None
) -> ArchiveResult:
    """Return the archive of this JDK and JAR set, dumping it first when it is missing.

    Raises
    ------
    RuntimeError
        When the dumping JVM exits with an error or writes no archive.
    """
    from goldmine.demo import run_demo
    from goldmine.local import stop_services
    from goldmine.platform import connect
    from goldmine.spark import DUMP_OPTION, build_session, class_archive, local_jars, stop_and_wait

    say = say or (lambda _message: None)
    target = class_archive(settings.jar_dir, local_jars(settings))
    if target.is_file() and not force:
        return ArchiveResult(target, target.stat().st_size, dumped=False)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="goldmine-jvm-archive-") as tmp:
        dump = Path(tmp) / target.name
        private = settings.model_copy(
            update={
                "data_dir": Path(tmp) / "data",
                "endpoints": Endpoints(),  # private services, never the user's
                # the JVM warns of every class it cannot archive: not for the console
                "spark_driver_java_options": f"{settings.spark_driver_java_options} "
                f"{DUMP_OPTION}{dump} -Xlog:cds=off,cds+dynamic=off".strip(),
            }
        )
        platform = connect(private)
        try:
            spark = build_session(platform.aws, app_name="goldmine-jvm-archive")
            try:
                say(f"a {ARCHIVE_DAYS}-day demo (scale {ARCHIVE_SCALE}) loads a build's classes")
                run_demo(platform, spark, days=ARCHIVE_DAYS, scale=ARCHIVE_SCALE, say=say)
                say("the driver JVM writes the archive as it exits")
            finally:  # the JVM exits (and writes) while its folder still exists
                code = stop_and_wait(spark)
        finally:
            stop_services(private)
        if code != 0 or not dump.is_file():
            raise RuntimeError(f"the driver JVM exited {code} without an archive at {dump}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copyfile(dump, partial)
        partial.replace(target)  # atomic: a starting JVM never maps half an archive
    return ArchiveResult(
        target, target.stat().st_size, dumped=True, seconds=time.monotonic() - started
    )
