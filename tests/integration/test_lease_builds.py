"""Two real ``lakehouse build`` runs started together: one builds, the other waits (ADR 0023).

Both are ``python -m jobs.lakehouse_build`` processes (their own Spark drivers) on a
lakehouse bucket of their own, over the shared test week. The lease keeps them apart:
one builds every pending batch, the other prints who holds the lease, waits, then finds
no batch pending and commits nothing. Gold equals the oracle's, as after a serial build.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.runs import (
    assert_gold_equals_oracle,
    delta_gold,
    job,
    one_ran_one_waited,
    run,
    run_env,
    run_together,
)

if TYPE_CHECKING:
    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]
LEASE_BUCKET = "goldmine-local-lakehouse-lease"
#: Short leases, looked at often: a waiting run says so within seconds.
LEASE = {"LEASE_SECONDS": "20", "LEASE_POLL_SECONDS": "2"}


def _env(platform: Platform) -> dict[str, str]:
    return run_env(platform, BUCKETS__LAKEHOUSE=LEASE_BUCKET, SPARK_MASTER="local[1]", **LEASE)


def _commits(s3, bucket: str) -> int:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    return sum(1 for k in keys if "/_delta_log/" in k and k.endswith(".json") and "/.tmp/" not in k)


def test_two_builds_started_together_one_builds_the_other_waits_then_has_nothing_to_do(
    platform: Platform, landed_week: list
) -> None:
    runs = run_together(job("lakehouse_build"), _env(platform))
    built, waited = one_ran_one_waited(runs, "lakehouse ")
    assert "gold: batches (none pending)" in waited and "step bronze" not in waited
    assert "bronze: batches 2" in built  # the holder built the week's batches

    s3 = platform.aws.s3()
    commits = _commits(s3, LEASE_BUCKET)
    assert_gold_equals_oracle(platform, delta_gold(platform, LEASE_BUCKET))

    # A third run, alone, finds nothing pending either and commits nothing.
    again = run(job("lakehouse_build", "--no-wait"), _env(platform))
    assert "waiting: " not in again
    assert _commits(s3, LEASE_BUCKET) == commits
