"""A new daily batch onto a published sales.orders: only the new batch is read (ADR 0039).

Own project (own buckets): the week's landed files without the last day's orders are
published (catalog.products, finance.fx_rates, then sales.orders, which keeps its
cleaned orders), then the last day's orders land and sales.orders is published again:
it reads and parses only the new orders files, ignores (and replaces) what a crashed
publish wrote to the kept tables, and its product, quarantine and reconciliation equal
those of a forced rebuild from every landed file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

import mesh
from goldmine.aws import AwsClients
from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark]

#: sales.orders and the products it reads, in publish order.
PRODUCTS = ("catalog.products", "finance.fx_rates", "sales.orders")


def _contract() -> Any:
    return mesh.load_product_contract("sales.orders")


def _table(platform: Platform, location: str, version: int | None) -> pd.DataFrame:
    from deltalake import DeltaTable

    table = DeltaTable(location, version=version, storage_options=platform.aws.storage_options())
    frame = table.to_pandas()
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture
def landing_gets(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Keys of every S3 GetObject made through a platform client while the test runs."""
    gets: list[str] = []
    made = AwsClients.s3

    def s3(self: AwsClients) -> Any:
        client = made(self)
        client.meta.events.register(
            "provide-client-params.s3.GetObject", lambda params, **_: gets.append(params["Key"])
        )
        return client

    monkeypatch.setattr(AwsClients, "s3", s3)
    yield gets


def test_a_new_day_is_cleaned_alone_and_equals_a_rebuild(
    platform: Platform, spark: Any, landed_week: list, landing_gets: list[str]
) -> None:
    from pyspark.sql import functions as F

    from goldmine.platform import connect
    from goldmine.rules import list_landed_files
    from tests.conftest import make_settings

    isolated = connect(make_settings(platform.settings.data_dir, project="daily"))
    s3, landing = isolated.aws.s3(), isolated.settings.buckets.landing
    week = list_landed_files(s3, platform.settings.buckets.landing)
    last_day = max(f.ingest_date for f in week if f.ingest_date)
    held = [f for f in week if f.ingest_date == last_day and f.feed == "orders"]

    def land(files: list) -> None:
        for f in files:
            key = f.uri.split("/", 3)[3]
            source = {"Bucket": platform.settings.buckets.landing, "Key": key}
            s3.copy_object(Bucket=landing, Key=key, CopySource=source)

    land([f for f in week if f not in held])
    first = {p: mesh.publish_product(isolated, spark, p) for p in PRODUCTS}
    assert all(r.published and not r.unchanged for r in first.values())

    land(held)
    # A publish that crashed after writing the kept orders of the new files: its rows
    # (here: a newer version of every kept order, as if of a new file) lie beyond the
    # recorded version, so the next publish neither reads them (they would be every
    # order's current version) nor keeps them.
    state_uri = f"{mesh.state_location(_contract(), isolated.settings)}orders/"
    crashed = spark.read.format("delta").load(state_uri)
    new_file = f"s3://{landing}/{held[0].uri.split('/', 3)[3]}"
    crashed.withColumns(
        {
            "source_file": F.lit(new_file),
            "updated_at": F.col("updated_at") + F.expr("INTERVAL 1 DAY"),
            "status": F.lit("cancelled"),
        }
    ).write.format("delta").mode("append").save(state_uri)
    landing_gets.clear()
    kept = mesh.publish_product(isolated, spark, "sales.orders", run_id="daily")
    assert kept.published and not kept.unchanged

    # Only the new day's orders files were read.
    assert {k for k in landing_gets if k.startswith("sales/orders/")} == {
        f.uri.split("/", 3)[3] for f in held
    }
    entry = mesh.read_entry(s3, isolated.settings, "sales.orders")
    assert entry is not None
    state = mesh.publication(entry, 1)["state"]
    orders_batches = sorted({f.batch_id for f in week if f.feed == "orders"})
    assert state["files"] == sorted(
        f"s3://{landing}/{f.uri.split('/', 3)[3]}" for f in week if f.feed == "orders"
    )
    # one commit each on top (the orders' after the crashed one), each accepted record once
    assert state["versions"] == {"orders": 2, "items": 1}
    kept_orders = spark.read.format("delta").option("versionAsOf", 2).load(state_uri)
    assert kept_orders.count() == sum(c.accepted for c in kept.sources.counts)

    full = mesh.publish_product(isolated, spark, "sales.orders", force=True)
    assert full.published and not full.unchanged
    assert kept.sources is not None and full.sources is not None
    assert kept.sources.counts == full.sources.counts
    assert {c.batch_id for c in kept.sources.counts} >= set(orders_batches)
    assert kept.sources.check().passed
    assert (kept.quarantined_records, kept.quarantined_items) == (
        full.quarantined_records,
        full.quarantined_items,
    )
    pd.testing.assert_frame_equal(
        _table(isolated, kept.location, kept.delta_version),
        _table(isolated, full.location, full.delta_version),
    )
    pd.testing.assert_frame_equal(
        _table(isolated, kept.sources.location, kept.sources.delta_version),
        _table(isolated, full.sources.location, full.sources.delta_version),
    )
    assert kept.check.rows == full.check.rows > first["sales.orders"].check.rows
