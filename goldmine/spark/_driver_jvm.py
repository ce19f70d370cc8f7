"""The local driver JVM: a lean JIT and a class-data archive (ADR 0029).

A local build is a short JVM life. On a 2-core machine HotSpot's optimizing compiler
(C2) competed with the build for the cores, compiling warm planning code that would
not run long enough to repay it, and the first seconds of every process went to
loading and verifying the classes a build touches from JARs. Locally the driver
therefore runs a lean JIT (C2 only for code 20 times hotter than by default;
``spark_lean_jit=False`` restores HotSpot's thresholds) and, once
``goldmine local jvm-archive`` (run by ``make run`` and ``make test``) has dumped one,
maps the classes from a class-data sharing archive (dynamic CDS) instead of reading
them from JARs. The archive is a cache: its name hashes the ``java`` binary and every
JAR of the driver's class path, so another JDK or JAR set finds no archive and the JVM
starts as before. In ``aws`` EMR owns its JVMs; nothing here applies.
"""

from __future__ import annotations

import hashlib
import os
import shutil
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
#: The JVM option that writes a dynamic class-data archive as the JVM exits.
DUMP_OPTION = "-XX:ArchiveClassesAtExit="
#: The folder of the class-data archives, under the settings' JAR cache.
ARCHIVE_DIR = "jvm-archive"


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


def driver_java_options(settings: Settings, jars: Sequence[os.PathLike[str]]) -> list[str]:
    """Return the local driver's JIT and class-data options, then the settings' extra ones.

    The archive is mapped when it exists, unless the extra options dump one
    (``-XX:ArchiveClassesAtExit``, as ``goldmine local jvm-archive`` does).
    """
    options = jit_options(settings)
    extra = settings.spark_driver_java_options.split()
    archive = class_archive(settings.jar_dir, jars)
    if archive.is_file() and not any(o.startswith(DUMP_OPTION) for o in extra):
        # -Xshare:auto (the default) loads from the JARs if the JVM refuses the archive.
        options += [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds=off,cds+dynamic=off"]
    return [*options, *extra]


def jit_options(settings: Settings) -> list[str]:
    """Return the JIT options of the local driver and the standalone cluster's executors."""
    return list(LEAN_JIT if settings.spark_lean_jit else ())


def stop_and_wait(spark: SparkSession, timeout_s: float = 300.0) -> int:
    """Stop ``spark`` and wait for its JVM to exit (pyspark leaves it exiting behind).

    A JVM dumping a class-data archive writes it as it exits; returns its exit code.
    """
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    spark.stop()
    if gateway is None or getattr(gateway, "proc", None) is None:
        return 0
    process = gateway.proc
    gateway.shutdown()
    SparkContext._gateway = None
    SparkContext._jvm = None
    if process.stdin is not None:
        process.stdin.close()  # the gateway server exits on end of input
    return int(process.wait(timeout=timeout_s))


def _java() -> Path | None:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home else shutil.which("java")
    return Path(found).resolve() if found and Path(found).exists() else None
