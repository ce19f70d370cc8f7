"""The tests' Spark driver runs the local JVM options and maps the class archive (ADR 0029)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

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
    from goldmine.spark import LEAN_JIT, class_archive, local_jars

    jvm = spark.sparkContext._jvm
    assert jvm is not None
    arguments = list(
        jvm.java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
    )
    assert all(option in arguments for option in LEAN_JIT)
    archive = class_archive(settings.jar_dir, local_jars(settings))
    if not archive.is_file():  # `pytest` without `make test`: nothing to map, nothing asked
        assert not any("SharedArchiveFile" in a for a in arguments)
        return
    assert f"-XX:SharedArchiveFile={archive}" in arguments
    jcmd = Path(jvm.java.lang.System.getProperty("java.home")) / "bin" / "jcmd"
    pid = jvm.java.lang.ProcessHandle.current().pid()
    info = subprocess.run([str(jcmd), str(pid), "VM.info"], capture_output=True, text=True)
    # -Xshare:auto drops an archive whose class path differs without a word: look.
    assert DYNAMIC_MAPPED.search(info.stdout), "the driver JVM did not map its class archive"
