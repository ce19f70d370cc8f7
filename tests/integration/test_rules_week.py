"""The shared rules on the landed week: reconciliation and quarantine = the manifests."""

from __future__ import annotations

from typing import Any

import pytest

from goldmine.rules import (
    clean_customers,
    clean_fx_rates,
    clean_orders,
    clean_products,
    clean_stores,
    list_landed_files,
    read_landed,
    reconcile,
    validate_items,
)

pytestmark = [pytest.mark.integration, pytest.mark.spark]


def test_week_reconciles_and_quarantine_equals_manifests(
    spark: Any, platform: Any, landed_week: list[Any]
) -> None:
    bucket = platform.settings.buckets.landing
    batches = {m.batch_id for m in landed_week}
    # Other tests land extra batches in the same bucket: keep to the shared week.
    files = [
        f
        for f in list_landed_files(platform.aws.s3(), bucket)
        if f.batch_id in batches or f.feed == "stores"
    ]
    assert {f.batch_id for f in files if f.feed != "stores"} == batches
    landed = read_landed(spark, files).cache()
    orders = clean_orders(landed)  # all batches at once: first landed of a D1 key wins
    customers, products = clean_customers(landed), clean_products(landed)
    fx, stores = clean_fx_rates(landed), clean_stores(landed)
    counts = [c for r in (orders, customers, products, fx, stores) for c in reconcile(r)]
    assert {c.batch_id for c in counts if c.feed == "orders"} == batches
    assert all(c.balanced for c in counts)
    _, item_quarantine = validate_items(orders.items, products.accepted, fx.accepted)  # type: ignore[arg-type]

    prefix = f"s3://{bucket}/"
    got = sorted(
        (r.feed, r.source_file.removeprefix(prefix), r.line_number, r.order_id, r.line_no,
         r.reason)
        for q in (orders.quarantine, item_quarantine, customers.quarantine,
                  products.quarantine, fx.quarantine, stores.quarantine)
        for r in q.collect()
    )  # fmt: skip
    expected = sorted(
        (b.feed, b.key, b.line, b.order_id, b.line_no, b.reason)
        for m in landed_week
        for b in m.bad_records
    )
    missing, extra = sorted(set(expected) - set(got)), sorted(set(got) - set(expected))
    assert (missing, extra) == ([], [])
    assert got == expected
    dups = sorted(
        (r.source_file.removeprefix(prefix), r.line_number) for r in orders.duplicates.collect()
    )
    assert dups == sorted((d.key, d.line) for m in landed_week for d in m.duplicates)
    by_batch = {c.batch_id: c for c in counts if c.feed == "orders"}
    for m in landed_week:
        assert by_batch[m.batch_id].read == m.order_lines
        assert by_batch[m.batch_id].duplicates == m.duplicate_count


def test_driver_read_of_landed_files_equals_spark_read(
    spark: Any, platform: Any, landed_week: list[Any]
) -> None:
    """Bronze reads small files with one GET in the driver and large ones with Spark
    (``lakehouse.bronze`` ``DRIVER_READ_MAX_BYTES``): both readers give the same rows for
    every landed file of the week (BOMs, CRLF, non-UTF-8 bytes and final newlines
    included: the source's dirt, DATASET section 2)."""
    from goldmine.rules import read_lines

    bucket = platform.settings.buckets.landing
    batches = {m.batch_id for m in landed_week}
    files = [f for f in list_landed_files(platform.aws.s3(), bucket) if f.batch_id in batches]
    assert {f.feed for f in files} >= {"orders", "customers", "products", "fx_rates"}
    s3 = platform.aws.s3()
    by_driver = sorted(tuple(row) for f in files for row in read_lines(s3, f))
    by_spark = sorted(tuple(row) for row in read_landed(spark, files).collect())
    assert len(by_driver) > 1000
    assert by_driver == by_spark


@pytest.mark.parametrize("reader", ["driver", "spark"])
def test_each_read_of_landed_files_is_a_plan_of_its_own(
    spark: Any, platform: Any, landed_week: list[Any], reader: str
) -> None:
    """Two reads of the same files (two builds at once in one application) never share
    a cached frame: Spark's cache is shared by every session and finds frames by plan,
    so one build's release would re-plan or drop the other's (ADR 0033)."""
    bucket = platform.settings.buckets.landing
    files = [f for f in list_landed_files(platform.aws.s3(), bucket) if f.feed == "stores"]
    s3 = platform.aws.s3() if reader == "driver" else None
    first = read_landed(spark, files, s3_client=s3).persist()
    try:
        assert first.count() > 0
        again = read_landed(spark, files, s3_client=s3)
        assert "InMemoryRelation" in _optimized(first.filter("line_number > 1"))
        assert "InMemoryRelation" not in _optimized(again.filter("line_number > 1"))
        assert sorted(again.collect()) == sorted(first.collect())
    finally:
        first.unpersist()


def _optimized(frame: Any) -> str:
    return str(frame._jdf.queryExecution().optimizedPlan().toString())
