"""kill -9 of a lease holder: the next run waits for the lease to expire, then builds.

A real ``goldmine lake build`` (its own Python and Spark driver, on a project of its own
over the shared landed week) is killed with SIGKILL, with its JVM, while it holds the
``lake`` lease and is writing the curated zone. It never releases the lease and stops
renewing it. The next ``lake build`` finds the dead run's lease, waits (saying who holds
it) until it expires, takes it and builds: gold equals the oracle's, as after a build
that was never interrupted (ADR 0023, ADR 0009: a batch without a build ledger is redone).
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import pytest

from goldmine.lease import LAKE, read_lease
from tests.runs import (
    GOLD,
    assert_gold_equals_oracle,
    cli,
    project_env,
    project_platform,
    queried_gold,
    run,
    start,
)

if TYPE_CHECKING:
    import subprocess

    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]
PROJECT = "leasekill"
#: Long enough that the next run starts while the dead run's lease is still live (it is
#: renewed every third of it), short enough to wait for.
LEASE_SECONDS = "40"


def _writing(platform: Platform, proc: subprocess.Popen) -> bool:
    """Whether the build has written into the curated zone (ledgers aside)."""
    assert proc.poll() is None, proc.communicate()[0]  # still building
    listed = platform.aws.s3().list_objects_v2(Bucket=platform.settings.buckets.curated)
    return any(not o["Key"].startswith("_ledger/") for o in listed.get("Contents", []))


def test_killed_lake_build_leaves_its_lease_the_next_run_waits_for_expiry_then_builds_it_all(
    platform: Platform, landed_week: list
) -> None:
    lake = project_platform(platform, PROJECT)
    env = project_env(
        platform, PROJECT, SPARK_MASTER="local[1]", LEASE_SECONDS=LEASE_SECONDS,
        LEASE_POLL_SECONDS="2",
    )  # fmt: skip
    run(cli("lake", "ingest", "--all"), env)
    dynamodb, table = lake.aws.client("dynamodb"), lake.settings.lease_table

    doomed = start(cli("lake", "build"), env, group=True)
    try:
        while not _writing(lake, doomed):
            time.sleep(0.5)
    finally:
        os.killpg(doomed.pid, signal.SIGKILL)  # the CLI's Python and its Spark JVM
        doomed.communicate()
    left = read_lease(dynamodb, table, LAKE)
    assert left is not None and left.pid == doomed.pid  # killed: never released
    from lake import lake_status

    assert lake_status(lake).pending  # the killed run did not finish the week

    rerun = run(cli("lake", "build"), env)

    waiting = [line for line in rerun.splitlines() if line.startswith("waiting: ")]
    assert waiting, rerun  # it found the dead run's lease and waited for it to expire
    assert all(f"(pid {doomed.pid} on " in x and "holds lease lake " in x for x in waiting)
    assert "Built batches" in rerun
    assert read_lease(dynamodb, table, LAKE) is None  # the rerun released its own lease
    assert not lake_status(lake).pending
    assert_gold_equals_oracle(lake, queried_gold(lake, "lake", tuple(GOLD)))
