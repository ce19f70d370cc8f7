"""Dump the local Spark driver's class-data archive from a small demo (ADR 0029, 0031).

The archive holds the classes a build loads, so the workload that dumps it is a small
build of all three architectures: the demo's week at a tiny scale, on private local
services in a temporary folder (the user's data directory is not touched). The driver
JVM writes the archive as it exits; it is then moved to the name
:func:`goldmine.spark.class_archive` gives this JDK and JAR set, where every later local
session maps it. ``make run`` and ``make test`` do not run this: their own sessions dump
the archive as they end when there is none (ADR 0031); this command is for dumping it
ahead of time, or again (``--force``).
"""

from __future__ import annotations

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
    from goldmine.spark import build_session, class_archive, finish_session, local_jars

    say = say or (lambda _message: None)
    target = class_archive(settings.jar_dir, local_jars(settings))
    if target.is_file() and not force:
        return ArchiveResult(target, target.stat().st_size, dumped=False)
    started = time.monotonic()
    target.unlink(missing_ok=True)  # a JVM mapping it keeps its copy
    with tempfile.TemporaryDirectory(prefix="goldmine-jvm-archive-") as tmp:
        private = settings.model_copy(  # private services, never the user's
            update={"data_dir": Path(tmp) / "data", "endpoints": Endpoints()}
        )
        platform = connect(private)
        try:
            spark = build_session(
                platform.aws, app_name="goldmine-jvm-archive", dump_class_archive=True
            )
            try:
                say(f"a {ARCHIVE_DAYS}-day demo (scale {ARCHIVE_SCALE}) loads a build's classes")
                run_demo(platform, spark, days=ARCHIVE_DAYS, scale=ARCHIVE_SCALE, say=say)
                say("the driver JVM writes the archive as it exits")
            finally:  # the JVM exits (and writes) while its folder still exists
                installed = finish_session(spark)
        finally:
            stop_services(private)
    if installed is None and not target.is_file():
        raise RuntimeError(f"the driver JVM exited without writing the archive {target}")
    return ArchiveResult(
        target, target.stat().st_size, dumped=True, seconds=time.monotonic() - started
    )
