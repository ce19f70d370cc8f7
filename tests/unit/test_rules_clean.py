"""Cleaning rules D1, D3, D4, D5, D9, D11, D13, D14; line numbers; reconciliation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from goldmine.rules import (
    LandedFile,
    ReconciliationError,
    clean_customers,
    clean_orders,
    clean_products,
    count_records,
    parse_orders,
    read_landed,
    reconcile,
)

pytestmark = pytest.mark.spark

DAY = dt.date(2025, 1, 6)
ORDERS = "s3://landing/sales/orders/ingest_date=2025-01-06/orders-20250106.jsonl"


def order(order_id: str | None = "O1", **fields: Any) -> str:
    """Return one order JSON line; ``fields`` override, ``None`` values are written null."""
    record: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": "C1",
        "store_id": "S01",
        "order_ts": "2025-01-06T08:00:00+01:00",
        "status": "placed",
        "currency": "USD",
        "updated_at": "2025-01-06T07:00:00+00:00",
        "items": [{"line_no": 1, "product_id": "P1", "quantity": 1, "unit_price": 10.0}],
    }
    record.update(fields)
    drop = [k for k, v in record.items() if v == "<absent>"]
    for key in drop:
        del record[key]
    return json.dumps(record)


def landed(spark: Any, lines: list[str], feed: str = "orders", batch: str = "20250106",
           source: str = ORDERS, day: dt.date = DAY) -> Any:  # fmt: skip
    rows = [(feed, batch, day, source, i, text) for i, text in enumerate(lines, start=1)]
    return spark.createDataFrame(rows, "feed string, batch_id string, ingest_date date, "
                                 "source_file string, line_number long, raw string")  # fmt: skip


def test_orders_record_rules(spark: Any) -> None:
    lines = [
        order("O1"),  # 1 clean, ISO with offset -> 07:00 UTC
        order("O2", order_ts=1736121600000, promo_code="WINTER10"),  # 2 epoch ms (D9), D13
        order("O3", order_ts="2025-01-02T23:30:00-02:00"),  # 3 late (D3): UTC 2025-01-03
        '{"order_id":"O4","customer_id":"C1"',  # 4 cut-off JSON (D4)
        "<html><body>502 Bad Gateway</body></html>",  # 5 garbage (D4)
        order(None),  # 6 missing_order_id, written null
        order("O7", customer_id="<absent>", store_id=None),  # 7 customer before store
        order("O8", store_id="  "),  # 8 blank store id
        order("O9", order_ts="<absent>"),  # 9
        order("O1"),  # 10 exact duplicate of line 1 (D1)
        order("O1", updated_at="2025-01-06T09:00:00+00:00", status="shipped"),  # 11 D2 version
    ]
    result = clean_orders(landed(spark, lines))
    accepted = sorted(
        (r.order_id, str(r.order_ts), str(r.order_date), r.promo_code, r.line_number)
        for r in result.accepted.collect()
    )
    assert accepted == [
        ("O1", "2025-01-06 07:00:00", "2025-01-06", None, 1),
        ("O1", "2025-01-06 07:00:00", "2025-01-06", None, 11),
        ("O2", "2025-01-06 00:00:00", "2025-01-06", "WINTER10", 2),
        ("O3", "2025-01-03 01:30:00", "2025-01-03", None, 3),
    ]
    quarantine = sorted(
        (r.line_number, r.order_id, r.reason, r.raw == lines[r.line_number - 1])
        for r in result.quarantine.collect()
    )
    assert quarantine == [
        (4, None, "unparseable", True),
        (5, None, "unparseable", True),
        (6, None, "missing_order_id", True),
        (7, "O7", "missing_customer_id", True),
        (8, "O8", "missing_store_id", True),
        (9, "O9", "missing_order_ts", True),
    ]
    assert [(r.line_number, r.order_id) for r in result.duplicates.collect()] == [(10, "O1")]
    counts = reconcile(result)
    assert [(c.read, c.accepted, c.quarantined, c.duplicates) for c in counts] == [(11, 4, 6, 1)]


def test_orders_from_a_persisted_parse_are_the_same_and_parse_once(spark: Any) -> None:
    lines = [
        order("O1"),
        order("O2", order_ts=1736121600000, items=[{"product_id": "P9", "quantity": 2}]),
        '{"order_id":"O4","customer_id":"C1"',
        order(None),
        order("O7", customer_id="<absent>"),
        order("O1"),
    ]
    frame = landed(spark, lines)
    parsed = parse_orders(frame).persist()
    try:
        alone, shared = clean_orders(frame), clean_orders(frame, parsed=parsed)
        for name in ("accepted", "quarantine", "duplicates", "items", "read"):
            mine, theirs = getattr(shared, name), getattr(alone, name)
            assert sorted(mine.collect()) == sorted(theirs.collect()), name
            # Every output reads the persisted parse; none parses the JSON again.
            plan = mine._jdf.queryExecution().executedPlan().toString()
            assert "InMemoryTableScan" in plan, name
            assert "from_json" not in plan.split("InMemoryRelation")[0], name
        assert sorted(r.order_id for r in shared.accepted.collect()) == ["O1", "O2"]
    finally:
        parsed.unpersist()


def two_batches(spark: Any) -> Any:
    """Two batches of orders with rejects and duplicates (in a batch and across them)."""
    first = [order("O1"), order("O2"), order("O1"), order(None), "not json", order("O3")]
    second = [order("O4"), order("O2"), order("O5", store_id=None), order("O4"), order("O6")]
    return landed(spark, first, batch="20250106").unionByName(
        landed(spark, second, batch="20250107", day=dt.date(2025, 1, 7))
    )


FIGURES = [  # (batch, read, accepted, quarantined, duplicates), by hand from two_batches
    ("20250106", 6, 3, 2, 1),
    ("20250107", 5, 2, 1, 2),
]


def figures(counts: list) -> list[tuple[str, int, int, int, int]]:
    return [(c.batch_id, c.read, c.accepted, c.quarantined, c.duplicates) for c in counts]


def test_observed_reconciliation_takes_no_pass_of_its_own(
    spark: Any, caplog: pytest.LogCaptureFixture
) -> None:
    frame = two_batches(spark)
    parsed = parse_orders(frame).persist()
    try:
        result = clean_orders(frame, parsed=parsed, batches=["20250106", "20250107"])
        assert sorted(o.kind for o in result.observed) == ["duplicates", "read"]
        with caplog.at_level(logging.INFO, logger="goldmine.rules"):
            assert figures(count_records([result])) == FIGURES
        # Made by the one job that counted accepted and quarantined: nothing recounted.
        assert "counting" not in caplog.text
        assert figures(count_records([clean_orders(frame)])) == FIGURES  # counted frames
    finally:
        parsed.unpersist()


def test_observed_reconciliation_counts_again_after_a_partial_first_action(
    spark: Any, caplog: pytest.LogCaptureFixture
) -> None:
    # Four partitions: ``limit(1)`` reads only the first, so the observations it makes
    # see part of the lines read and of the duplicates.
    frame = two_batches(spark).repartition(4, "line_number")
    result = clean_orders(frame, batches=["20250106", "20250107"])
    assert result.accepted.limit(1).count() == 1
    with caplog.at_level(logging.INFO, logger="goldmine.rules"):
        assert figures(count_records([result])) == FIGURES
    assert "reconciliation orders: observed figures missing or unbalanced" in caplog.text


def test_observed_reconciliation_still_fails_on_lost_records(spark: Any) -> None:
    result = clean_orders(two_batches(spark), batches=["20250106", "20250107"])
    lost = dataclasses.replace(result, accepted=result.accepted.filter("order_id != 'O3'"))
    with pytest.raises(ReconciliationError, match="orders batch 20250106: read 6 != accepted 2"):
        reconcile(lost)


def test_order_items_typed_and_discount_default(spark: Any) -> None:
    items = [
        {"line_no": 1, "product_id": "P1", "quantity": 3, "unit_price": 19.99, "discount": 0.15},
        {"line_no": 2, "product_id": "P2", "quantity": 1, "unit_price": 5.5},
        {"line_no": 3, "product_id": "P3", "quantity": 1, "unit_price": 1.999},
    ]
    result = clean_orders(landed(spark, [order("O1", items=items)]))
    rows = sorted(
        (r.line_no, r.product_id, r.quantity, str(r.unit_price), str(r.discount))
        for r in result.items.collect()  # type: ignore[union-attr]
    )
    # 1.999 has more than 2 decimals: not silently rounded, null -> invalid_price later.
    assert rows == [(1, "P1", 3, "19.99", "0.15"), (2, "P2", 1, "5.50", "0.00"),
                    (3, "P3", 1, "None", "0.00")]  # fmt: skip


def test_duplicates_across_batches_use_known_orders(spark: Any) -> None:
    known = clean_orders(landed(spark, [order("O1")], batch="20250105")).accepted
    result = clean_orders(landed(spark, [order("O1"), order("O2")]), known_orders=known)
    assert [r.order_id for r in result.accepted.collect()] == ["O2"]
    assert [(r.batch_id, r.line_number) for r in result.duplicates.collect()] == [("20250106", 1)]


CUSTOMERS = "s3://landing/crm/customers/ingest_date=2025-01-06/customers-20250106.csv"
HEADER = "customer_id,email,first_name,last_name,country,city,segment,updated_at"


def test_customers_csv_rules(spark: Any) -> None:
    lines = [
        HEADER + ",loyalty_tier",  # D14: unknown extra column
        'C1,  Ann.Lee@Example.COM ,Ann,"Lee, Jr.",US,Boston,retail,2025-01-06T10:00:00+00:00,gold',
        "C2,b@x.com,Bo,Ng,US,Austin,retail",  # D4: wrong field count
        "C3,c@x.com,Cy,Ot,GB,Leeds,vip,2025-01-06T11:00:00+00:00,n/a",
    ]
    df = landed(spark, lines, feed="customers", source=CUSTOMERS)
    result = clean_customers(df)
    rows = sorted(
        (r.customer_id, r.email, r.last_name, r.city, str(r.updated_at), r.line_number)
        for r in result.accepted.collect()
    )
    assert rows == [
        ("C1", "ann.lee@example.com", "Lee, Jr.", "Boston", "2025-01-06 10:00:00", 2),
        ("C3", "c@x.com", "Ot", "Leeds", "2025-01-06 11:00:00", 4),
    ]
    assert [(r.feed, r.line_number, r.reason, r.raw) for r in result.quarantine.collect()] == [
        ("customers", 3, "unparseable", lines[2])
    ]
    assert [(c.read, c.accepted, c.quarantined) for c in reconcile(result)] == [(3, 2, 1)]


def test_products_header_without_required_column_quarantines_rows(spark: Any) -> None:
    source = "s3://landing/catalog/products/ingest_date=2025-01-06/products-20250106.csv"
    df = landed(spark, ["product_id,sku", "P1,S1"], feed="products", source=source)
    result = clean_products(df)
    assert result.accepted.count() == 0
    assert [(r.line_number, r.reason) for r in result.quarantine.collect()] == [(2, "unparseable")]


def test_reconcile_raises_on_mismatch(spark: Any) -> None:
    result = clean_orders(landed(spark, [order("O1")]))
    broken = type(result)(
        result.feed, result.accepted.limit(0), result.quarantine, result.duplicates, result.read
    )
    with pytest.raises(ReconciliationError, match="orders batch 20250106: read 1 != accepted 0"):
        reconcile(broken)


def test_read_landed_line_numbers_empty_bom_and_bad_encoding(spark: Any, tmp_path: Path) -> None:
    good = tmp_path / "orders-1.jsonl"
    good.write_bytes(b"\xef\xbb\xbf" + order("O1").encode() + b"\n" + order("O2").encode() + b"\n")
    empty = tmp_path / "orders-2.jsonl"
    empty.write_bytes(b"")
    latin = tmp_path / "orders-3.jsonl"
    latin.write_bytes(
        order("O3").encode()
        + b"\n"
        + order("O4").replace('"C1"', '"C\xe9"').encode("latin-1")
        + b"\n"
    )
    files = [LandedFile(f"file://{p}", "orders", p.stem.split("-")[1], DAY)
             for p in (good, empty, latin)]  # fmt: skip
    df = read_landed(spark, files)
    rows = sorted((r.batch_id, r.line_number) for r in df.collect())
    assert rows == [("1", 1), ("1", 2), ("3", 1), ("3", 2)]
    result = clean_orders(df)
    # A file that is not UTF-8 is quarantined whole, its ASCII line too (ADR 0018).
    assert sorted(r.order_id for r in result.accepted.collect()) == ["O1", "O2"]
    assert [(r.batch_id, r.line_number, r.reason) for r in result.quarantine.collect()] == [
        ("3", 1, "unparseable"),
        ("3", 2, "unparseable"),
    ]
