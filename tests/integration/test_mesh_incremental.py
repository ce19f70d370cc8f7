"""A new daily batch onto a published sales.orders: only the new batch is read (ADR 0039).

Own project (own buckets): the week's landed files without the last day's orders are
published (catalog.products, finance.fx_rates, then sales.orders, which keeps its
cleaned orders), then the last day's orders land and sales.orders is published again:
it reads and parses only the new orders files, and its product, quarantine and
reconciliation equal those of a forced rebuild from every landed file.
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
    assert state["versions"] == {"orders": 1, "items": 1}  # one commit each, on top

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
