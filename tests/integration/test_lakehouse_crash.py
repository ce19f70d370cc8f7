"""Crash safety: kill -9 of the build's Spark driver mid-write, then rerun.

The build runs as a subprocess (``python -m jobs.lakehouse_build``, its own Spark
session) on a separate lakehouse bucket. It is killed when it reaches a step; every
table must then be readable at a committed version, and the rerun must produce the
same gold as the uninterrupted build of ``test_lakehouse.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.oracle import (
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_KEYS,
    assert_frames_equal,
    expected_from_s3,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
CRASH_BUCKET = "goldmine-local-lakehouse-crash"


def _env(platform: Platform) -> dict[str, str]:
    settings = platform.settings
    env = dict(os.environ)
    env.update(
        {
            "GOLDMINE_DATA_DIR": str(settings.data_dir),
            "GOLDMINE_JAR_DIR": str(settings.jar_dir),
            "GOLDMINE_BUCKETS__LAKEHOUSE": CRASH_BUCKET,
            "GOLDMINE_SPARK_SHUFFLE_PARTITIONS": "2",
            "GOLDMINE_SPARK_DRIVER_MEMORY": "1g",
            "GOLDMINE_SPARK_MASTER": "local[2]",
        }
    )
    return env


def _run_until(platform: Platform, marker: str | None, timeout: float = 400) -> int:
    """Run the build; kill -9 its process group once ``marker`` is printed (None: finish)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobs.lakehouse_build"],
        cwd=REPO,
        env=_env(platform),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        if marker is not None and marker in line:
            time.sleep(3)  # inside the step's Spark work
            os.killpg(proc.pid, signal.SIGKILL)  # the Python driver and its JVM
            proc.wait()
            return -9
        assert time.monotonic() < deadline, "build too slow"
    return proc.wait()


def _crash_versions(spark: SparkSession, platform: Platform) -> dict[str, int]:
    from lakehouse import TABLES
    from lakehouse._delta import last_version

    settings = platform.settings.model_copy(
        update={"buckets": platform.settings.buckets.model_copy(update={"lakehouse": CRASH_BUCKET})}
    )
    found = {}
    for name, info in TABLES.items():
        uri = info.uri(settings)
        version = last_version(spark, uri)
        if version is not None:
            spark.read.format("delta").load(uri).count()  # readable at its last commit
            found[name] = version
    return found


def test_killed_build_leaves_tables_readable_and_rerun_gives_same_gold(
    platform: Platform, spark: SparkSession, landed_week: list
) -> None:
    from deltalake import DeltaTable

    from lakehouse import TABLES

    # Kill point: inside the silver orders MERGE (bronze and the silver dimensions
    # have committed, orders / lines / quarantine / gold have not).
    assert _run_until(platform, "step silver.orders") == -9
    after_kill = _crash_versions(spark, platform)
    assert {f"bronze.{f}" for f in ("orders", "customers", "products", "fx_rates")} <= set(
        after_kill
    )
    assert not any(name.startswith("gold.") for name in after_kill)
    assert _run_until(platform, None) == 0
    after_rerun = _crash_versions(spark, platform)
    assert all(after_rerun[n] >= v for n, v in after_kill.items())

    expected = expected_from_s3(platform.aws.s3(), platform.settings.buckets.landing)
    options = platform.aws.storage_options()
    gold = {
        name: DeltaTable(f"s3://{CRASH_BUCKET}/gold/{name}", storage_options=options).to_pandas()
        for name in ("daily_sales", "customer_lifetime", "product_monthly")
    }
    assert_frames_equal(gold["daily_sales"], expected.daily_sales, DAILY_SALES_KEYS)
    assert_frames_equal(
        gold["customer_lifetime"], expected.customer_lifetime, CUSTOMER_LIFETIME_KEYS
    )
    assert_frames_equal(gold["product_monthly"], expected.product_monthly, PRODUCT_MONTHLY_KEYS)
    assert set(_crash_versions(spark, platform)) == set(TABLES)
