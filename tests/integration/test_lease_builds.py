"""Two real runs started together on the same pending work: one runs, the other waits.

Two ``lakehouse build`` (``python -m jobs.lakehouse_build``), two ``lake build`` and two
``mesh publish`` of the same products (``goldmine ...``), each pair started at the same
moment as processes of their own (their own Spark drivers) on the session's local
services (ADR 0023). The lease keeps them apart: one does the work, the other prints who
holds the lease, waits, then finds nothing left to do and writes nothing. Gold equals
the oracle's, as after a serial build. The lakehouse runs on a bucket of its own, the
lake and the mesh on projects of their own, all over the shared landed week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.runs import (
    GOLD,
    assert_gold_equals_oracle,
    cli,
    delta_gold,
    job,
    one_ran_one_waited,
    project_env,
    project_platform,
    queried_gold,
    run,
    run_env,
    run_together,
)

if TYPE_CHECKING:
    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]
LEASE_BUCKET = "goldmine-local-lakehouse-lease"
LAKE_PROJECT, MESH_PROJECT = "leaselake", "leasemesh"
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


def test_two_lake_builds_started_together_one_builds_the_other_waits_then_has_nothing_to_do(
    platform: Platform, landed_week: list
) -> None:
    lake = project_platform(platform, LAKE_PROJECT)
    env = project_env(platform, LAKE_PROJECT, SPARK_MASTER="local[1]", **LEASE)
    run(cli("lake", "ingest", "--all"), env)

    runs = run_together(cli("lake", "build"), env)

    built, waited = one_ran_one_waited(runs, "lake ")
    assert "nothing to build: every raw batch in range is built already" in waited
    assert "Built batches" not in waited
    assert "Built batches" in built
    assert all(m.batch_id in built for m in landed_week)  # the holder built the whole week
    assert_gold_equals_oracle(lake, queried_gold(lake, "lake", tuple(GOLD)))


def test_two_publishes_of_the_same_products_started_together_one_publishes_the_other_skips(
    platform: Platform, landed_week: list
) -> None:
    import mesh

    on_mesh = project_platform(platform, MESH_PROJECT)
    env = project_env(platform, MESH_PROJECT, SPARK_MASTER="local[1]", **LEASE)
    # finance.product_monthly (gold), with the products it is built from, in build order
    products = ("catalog.products", "finance.fx_rates", "sales.orders", "finance.product_monthly")

    runs = run_together(cli("mesh", "publish", *products), env)

    published, skipped = one_ran_one_waited(runs, "mesh:")
    assert f"holds lease mesh:{products[0]} " in skipped  # it waited at the first product
    for product in products:
        assert f"published {product} " in published
        assert f"unchanged, skipped {product} " in skipped and f"published {product}" not in skipped
        entry = mesh.read_entry(on_mesh.aws.s3(), on_mesh.settings, product)
        assert entry is not None and len(entry["history"]) == 1  # one publication, not two
    assert_gold_equals_oracle(on_mesh, queried_gold(on_mesh, "mesh", ("product_monthly",)))
