"""Two real ``lakehouse build`` runs started together: one builds, the other waits (ADR 0023).

Both are ``python -m jobs.lakehouse_build`` processes (their own Spark drivers) on a
lakehouse bucket of their own, over the shared test week. The lease keeps them apart:
one builds every pending batch, the other prints who holds the lease, waits, then finds
no batch pending and commits nothing. Gold equals the oracle's, as after a serial build.
"""

from __future__ import annotations

import os
import subprocess
import sys
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
    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
LEASE_BUCKET = "goldmine-local-lakehouse-lease"


def _env(platform: Platform) -> dict[str, str]:
    settings = platform.settings
    return {
        **os.environ,
        "GOLDMINE_DATA_DIR": str(settings.data_dir),
        "GOLDMINE_JAR_DIR": str(settings.jar_dir),
        "GOLDMINE_BUCKETS__LAKEHOUSE": LEASE_BUCKET,
        "GOLDMINE_SPARK_SHUFFLE_PARTITIONS": "2",
        "GOLDMINE_SPARK_DRIVER_MEMORY": "1g",
        "GOLDMINE_SPARK_MASTER": "local[1]",
        "GOLDMINE_LEASE_SECONDS": "20",
        "GOLDMINE_LEASE_POLL_SECONDS": "2",
    }


def _commits(s3, bucket: str) -> int:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return sum(1 for k in keys if "/_delta_log/" in k and k.endswith(".json") and "/.tmp/" not in k)


def test_two_builds_started_together_one_builds_the_other_waits_then_has_nothing_to_do(
    platform: Platform, landed_week: list
) -> None:
    from deltalake import DeltaTable

    builds = [
        subprocess.Popen(
            [sys.executable, "-m", "jobs.lakehouse_build"],
            cwd=REPO,
            env=_env(platform),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    outputs = [b.communicate(timeout=1500)[0] for b in builds]
    assert [b.returncode for b in builds] == [0, 0], outputs
    waited = [o for o in outputs if "waiting: " in o]
    assert len(waited) == 1, outputs  # exactly one run found the lease held
    (built,) = [o for o in outputs if o not in waited]
    holder = builds[outputs.index(built)].pid
    assert "holds lease lakehouse" in waited[0] and f"(pid {holder} on " in waited[0]
    assert "gold: batches (none pending)" in waited[0] and "step bronze" not in waited[0]
    assert "bronze: batches 2" in built  # the holder built the week's batches

    s3 = platform.aws.s3()
    commits = _commits(s3, LEASE_BUCKET)
    expected = expected_from_s3(s3, platform.settings.buckets.landing)
    options = platform.aws.storage_options()
    gold = {
        name: DeltaTable(f"s3://{LEASE_BUCKET}/gold/{name}", storage_options=options).to_pandas()
        for name in ("daily_sales", "customer_lifetime", "product_monthly")
    }
    assert_frames_equal(gold["daily_sales"], expected.daily_sales, DAILY_SALES_KEYS)
    assert_frames_equal(
        gold["customer_lifetime"], expected.customer_lifetime, CUSTOMER_LIFETIME_KEYS
    )
    assert_frames_equal(gold["product_monthly"], expected.product_monthly, PRODUCT_MONTHLY_KEYS)

    # A third run, alone, finds nothing pending either and commits nothing.
    again = subprocess.run(
        [sys.executable, "-m", "jobs.lakehouse_build", "--no-wait"],
        cwd=REPO, env=_env(platform), text=True, capture_output=True, timeout=900, check=True,
    )  # fmt: skip
    assert "waiting: " not in again.stdout + again.stderr
    assert _commits(s3, LEASE_BUCKET) == commits
