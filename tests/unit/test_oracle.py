"""The gold oracle itself: a hand-computed two-day landing, and the generator's week.

The tiny landing is written by the builders below; every expected figure is worked out
by hand in the comments (exact decimals; half-up rounding only at gold).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pandas as pd
import pytest
from moto import mock_aws

from goldmine.sales import BatchManifest, DirectorySink, GeneratorConfig, generate_sales
from tests.oracle import (
    CUSTOMER_LIFETIME_COLUMNS,
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_COLUMNS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_COLUMNS,
    PRODUCT_MONTHLY_KEYS,
    Expected,
    assert_frames_equal,
    expected_from_dir,
    expected_from_s3,
    read_landing_dir,
)

D = Decimal
DAY1, DAY2 = dt.date(2025, 1, 6), dt.date(2025, 1, 7)
ORDERS1 = "sales/orders/ingest_date=2025-01-06/orders-20250106.jsonl"
ORDERS2 = "sales/orders/ingest_date=2025-01-07/orders-20250107.jsonl"
CUSTOMERS2 = "crm/customers/ingest_date=2025-01-07/customers-20250107.csv"
CUSTOMERS_HEADER = "customer_id,email,first_name,last_name,country,city,segment,updated_at"
PRODUCTS_HEADER = "product_id,sku,name,category,subcategory,list_price,currency,active,updated_at"


# --- builders of a hand-written landing -------------------------------------------------------


def write(root: Path, key: str, lines: list[str]) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def item(
    line_no: int, product_id: str, quantity: int, price: str, discount: str | None = None
) -> str:
    """An item as JSON text with exact decimal numbers (``price``/``discount`` as text)."""
    text = f'{{"line_no":{line_no},"product_id":"{product_id}","quantity":{quantity},'
    text += f'"unit_price":{price}'
    return text + (f',"discount":{discount}}}' if discount is not None else "}")


def order(
    order_id: str,
    customer_id: str | None,
    store_id: str,
    order_ts: str | int,
    status: str,
    currency: str,
    updated_at: str,
    items: list[str],
    **extra: Any,
) -> str:
    fields: dict[str, Any] = {
        "order_id": order_id,
        "customer_id": customer_id,
        "store_id": store_id,
        "order_ts": order_ts,
        "status": status,
        "currency": currency,
        "updated_at": updated_at,
        **extra,
    }
    head = json.dumps(fields, separators=(",", ":"))[:-1]
    return head + ',"items":[' + ",".join(items) + "]}"


def customer(cid: str, country: str, city: str, segment: str, updated: str, *extra: str) -> str:
    email = f" {cid.upper()}@Example.com "  # D11: messy, irrelevant to gold
    return ",".join([cid, email, "Ada", "Smith", country, city, segment, updated, *extra])


def product(pid: str, category: str, updated: str) -> str:
    return ",".join([pid, f"SKU-{pid}", "Thing", category, "sub", "9.99", "USD", "true", updated])


def build_two_days(root: Path) -> None:
    """Two batches (2025-01-06 and 2025-01-07) with one instance of most dirt kinds."""
    write(root, "stores/stores.csv", [
        "store_id,name,channel,region,country,opened_on",
        "S001,New York 1,store,north-america,US,2016-01-01",
        "W001,Web shop,web,north-america,US,2016-03-01",
    ])  # fmt: skip
    write(root, "crm/customers/ingest_date=2025-01-06/customers-20250106.csv", [
        CUSTOMERS_HEADER,
        customer("C1", "US", "New York", "consumer", "2025-01-01T00:00:00+00:00"),
        customer("C2", "DE", "Berlin", "corporate", "2025-01-01T00:00:00+00:00"),
    ])  # fmt: skip
    write(root, CUSTOMERS2, [
        CUSTOMERS_HEADER + ",loyalty_tier",  # D14: extra column, ignored
        customer("C1", "US", "Chicago", "small_business", "2025-01-07T09:00:00+00:00", "gold"),
        "C3,broken@example.com,Bob",  # D4: wrong field count
    ])  # fmt: skip
    write(root, "catalog/products/ingest_date=2025-01-06/products-20250106.csv", [
        PRODUCTS_HEADER,
        product("P1", "electronics", "2025-01-01T00:00:00+00:00"),
        product("P2", "home", "2025-01-01T00:00:00+00:00"),
    ])  # fmt: skip
    write(root, "catalog/products/ingest_date=2025-01-07/products-20250107.csv", [
        PRODUCTS_HEADER + ",supplier_code",  # D14
        product("P2", "books", "2025-01-07T08:00:00+00:00") + ",x-17",  # P2 is now books
        product("P3", "sports", "2025-01-07T08:00:00+00:00") + ",gold",  # P3 arrives late
        product("P1", "toys", "2024-12-01T00:00:00+00:00") + ",n/a",  # older: changes nothing
    ])  # fmt: skip
    write(root, "finance/fx_rates/ingest_date=2025-01-06/fx-20250106.csv", [
        "rate_date,currency,usd_per_unit",
        "2025-01-05,EUR,1.080000",
        "2025-01-06,EUR,1.090000",
    ])  # fmt: skip
    write(root, "finance/fx_rates/ingest_date=2025-01-07/fx-20250107.csv", [
        "rate_date,currency,usd_per_unit",
        "2025-01-08,EUR,1.200000",  # later than every order: never used; no GBP ever
    ])  # fmt: skip
    o1 = order("O1", "C1", "S001", "2025-01-06T10:00:00-05:00", "placed", "USD",
               "2025-01-06T15:00:00+00:00", [item(1, "P1", 2, "10.00", "0.10"),
                                             item(2, "P2", 1, "5.50")])  # fmt: skip
    o2_items = [item(1, "P1", 1, "50.00")]
    o6_items = [item(1, "P2", 2, "20.00", "0.05"), item(2, "P1", 1, "9.99", "1.5")]
    write(root, ORDERS1, [
        o1,                                                                # 1
        o1,                                                                # 2 D1 duplicate
        order("O2", "C2", "W001", 1736157600000, "shipped", "EUR",         # 3 D9 epoch ms
              "2025-01-06T18:00:00+00:00", o2_items),
        '{"order_id": "O9", "items": [',                                   # 4 D4
        order("O4", "C2", "W001", "2025-01-06T12:00:00+00:00", "placed",   # 5 GBP: no rate
              "GBP", "2025-01-06T12:00:00+00:00",
              [item(1, "P1", 1, "30.00"), item(2, "P1", 1, "-2.00")]),
        order("O5", "C9", "S001", "2025-01-06T13:00:00+00:00", "placed",   # 6 D8 inferred C9
              "USD", "2025-01-06T13:00:00+00:00",
              [item(1, "P1", 1, "100.05", "0.50"), item(2, "PX999", 1, "3.00"),
               item(3, "PX998", 0, "-1.00")]),
        order("O6", "C1", "S001", "2025-01-06T14:00:00+00:00", "delivered",  # 7
              "USD", "2025-01-06T16:00:00+00:00", o6_items),
        order("O7", None, "S001", "2025-01-06T14:30:00+00:00", "placed",   # 8 D5
              "USD", "2025-01-06T14:30:00+00:00", [item(1, "P1", 1, "1.00")]),
        order("O8", "C2", "S001", "2025-01-04T23:30:00-05:00", "placed",   # 9 D3 late, P3
              "USD", "2025-01-06T09:00:00+00:00", [item(1, "P3", 4, "2.50")]),
    ])  # fmt: skip
    write(root, ORDERS2, [
        order("O2", "C2", "W001", 1736157600000, "placed", "EUR",          # 1 D2 stale
              "2025-01-06T11:00:00+00:00", o2_items),
        order("O1", "C1", "S001", "2025-01-06T10:00:00-05:00", "shipped",  # 2 D2 update
              "USD", "2025-01-07T09:00:00+00:00", [item(1, "P1", 2, "10.00", "0.10"),
                                                   item(2, "P2", 1, "5.50")]),
        order("O6", "C1", "S001", "2025-01-06T14:00:00+00:00", "returned",  # 3
              "USD", "2025-01-07T10:00:00+00:00", o6_items),
        order("O3", "C1", "W001", "2025-01-07T09:00:00+01:00", "placed",   # 4 EUR fallback
              "EUR", "2025-01-07T08:00:00+00:00",
              [item(1, "P2", 3, "19.99", "0.25"), item(2, "P3", 1, "7.00")],
              promo_code="VIP15"),                                         # D13
        o1,                                                                # 5 D1 cross-batch
        order("O10", "C2", "S001", "2025-01-07T12:00:00+00:00", "cancelled",  # 6
              "USD", "2025-01-07T12:00:00+00:00", [item(1, "P1", 1, "10.00")]),
    ])  # fmt: skip


@pytest.fixture(scope="module")
def two_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("two-days")
    build_two_days(root)
    return root


@pytest.fixture(scope="module")
def two_days_expected(two_days: Path) -> Expected:
    return expected_from_dir(two_days)


def frame(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


# Current versions and their valid lines (USD):
#   O1 shipped  S001 C1 2025-01-06: P1 2*10.00*0.90 = 18.00; P2 1*5.50 = 5.50
#   O2 shipped  W001 C2 2025-01-06 EUR@1.09 (the stale placed record changes nothing):
#               P1 1*50.00*1.09 = 54.50
#   O3 placed   W001 C1 2025-01-07 EUR, no 01-07 rate -> 01-06's 1.09 (01-08 is later):
#               P2 3*19.99*0.75*1.09 = 49.025475; P3 1*7.00*1.09 = 7.63
#   O4 placed   GBP, no rate at all: no valid line -> not revenue-counting
#   O5 placed   S001 C9 (inferred) 2025-01-06: P1 1*100.05*0.50 = 50.025
#   O6 returned S001 C1 2025-01-06: P2 2*20.00*0.95 = 38.00 (returned units only)
#   O7 quarantined (missing_customer_id); O8 placed S001 C2 2025-01-05 (late, 23:30-05:00 is
#   04:30Z): P3 4*2.50 = 10.00; O10 cancelled: nothing.
# Current categories: P1 electronics (the toys record is older), P2 books, P3 sports.


def test_daily_sales_by_hand(two_days_expected: Expected) -> None:
    expected = frame(
        [
            (dt.date(2025, 1, 5), "S001", "sports", 1, 4, D("10.00"), D("10.00")),
            (DAY1, "S001", "books", 1, 1, D("5.50"), D("5.50")),
            # 18.00 + 50.025 = 68.025 -> 68.03 half-up (half-even would give 68.02);
            # average 68.025 / 2 = 34.0125 -> 34.01
            (DAY1, "S001", "electronics", 2, 3, D("68.03"), D("34.01")),
            (DAY1, "W001", "electronics", 1, 1, D("54.50"), D("54.50")),
            (DAY2, "W001", "books", 1, 3, D("49.03"), D("49.03")),
            (DAY2, "W001", "sports", 1, 1, D("7.63"), D("7.63")),
        ],
        DAILY_SALES_COLUMNS,
    )
    actual = two_days_expected.daily_sales
    assert list(actual.columns) == DAILY_SALES_COLUMNS
    assert_frames_equal(actual, expected, DAILY_SALES_KEYS)
    # Sorted by the keys, exact types.
    assert list(actual.itertuples(index=False)) == list(expected.itertuples(index=False))
    assert all(type(v) is Decimal for v in actual["revenue_usd"])
    assert all(type(v) is dt.date for v in actual["order_date"])


def test_customer_lifetime_by_hand(two_days_expected: Expected) -> None:
    expected = frame(
        [
            # O1 23.50 + O3 56.655475 = 80.155475; current segment after the D12 change
            ("C1", DAY1, DAY2, 2, D("80.16"), "small_business", "US"),
            # O8 (late, 2025-01-05) 10.00 + O2 54.50; O4 (no rate) and O10 (cancelled) not
            ("C2", dt.date(2025, 1, 5), DAY1, 2, D("64.50"), "corporate", "DE"),
            ("C9", DAY1, DAY1, 1, D("50.03"), None, None),  # inferred member: nulls
        ],
        CUSTOMER_LIFETIME_COLUMNS,
    )
    actual = two_days_expected.customer_lifetime
    assert list(actual.columns) == CUSTOMER_LIFETIME_COLUMNS
    assert_frames_equal(actual, expected, CUSTOMER_LIFETIME_KEYS)
    assert list(actual["customer_id"]) == ["C1", "C2", "C9"]


def test_product_monthly_by_hand(two_days_expected: Expected) -> None:
    month = dt.date(2025, 1, 1)
    expected = frame(
        [
            # O1 18.00 + O2 54.50 + O5 50.025 = 122.525 -> 122.53
            (month, "P1", 4, D("122.53"), 0, D("0.0000")),
            # O1 5.50 + O3 49.025475 = 54.525475; O6 returned 2 units: 2 / 6
            (month, "P2", 4, D("54.53"), 2, D("0.3333")),
            (month, "P3", 5, D("17.63"), 0, D("0.0000")),
        ],
        PRODUCT_MONTHLY_COLUMNS,
    )
    actual = two_days_expected.product_monthly
    assert list(actual.columns) == PRODUCT_MONTHLY_COLUMNS
    assert_frames_equal(actual, expected, PRODUCT_MONTHLY_KEYS)
    assert [str(v) for v in actual["return_rate"]] == ["0.0000", "0.3333", "0.0000"]


def test_quarantine_by_hand(two_days_expected: Expected) -> None:
    q = two_days_expected.quarantine
    got = [
        (r.feed, r.key, r.line, r.order_id, r.line_no, r.reason) for r in q.itertuples(index=False)
    ]
    assert sorted(got, key=str) == sorted(
        [
            ("customers", CUSTOMERS2, 3, None, None, "unparseable"),
            ("orders", ORDERS1, 4, None, None, "unparseable"),
            ("orders", ORDERS1, 5, "O4", 1, "missing_fx_rate"),
            ("orders", ORDERS1, 5, "O4", 2, "invalid_price"),
            ("orders", ORDERS1, 6, "O5", 2, "unknown_product"),
            ("orders", ORDERS1, 6, "O5", 3, "invalid_quantity"),  # beats price and product
            ("orders", ORDERS1, 7, "O6", 2, "invalid_discount"),
            ("orders", ORDERS1, 8, "O7", None, "missing_customer_id"),
            ("orders", ORDERS2, 3, "O6", 2, "invalid_discount"),  # each version, its own line
        ],
        key=str,
    )
    raw = {(r.key, r.line): r.raw for r in q.itertuples(index=False)}
    assert raw[(ORDERS1, 4)] == '{"order_id": "O9", "items": ['
    assert raw[(CUSTOMERS2, 3)] == "C3,broken@example.com,Bob"
    assert set(q["batch_id"]) == {"20250106", "20250107"}


def test_reconciliation_and_duplicates_by_hand(two_days_expected: Expected) -> None:
    r = two_days_expected.reconciliation
    got = {
        (x.feed, x.batch_id): (x.read, x.accepted, x.quarantined, x.duplicates, x.quarantined_items)
        for x in r.itertuples(index=False)
    }
    assert got == {
        ("stores", None): (2, 2, 0, 0, 0),
        ("customers", "20250106"): (2, 2, 0, 0, 0),
        ("customers", "20250107"): (2, 1, 1, 0, 0),
        ("products", "20250106"): (2, 2, 0, 0, 0),
        ("products", "20250107"): (3, 3, 0, 0, 0),
        ("fx_rates", "20250106"): (2, 2, 0, 0, 0),
        ("fx_rates", "20250107"): (1, 1, 0, 0, 0),
        ("orders", "20250106"): (9, 6, 2, 1, 5),
        ("orders", "20250107"): (6, 5, 0, 1, 1),
    }
    dups = [
        (d.key, d.line, d.order_id, d.original_key, d.original_line)
        for d in two_days_expected.duplicates.itertuples(index=False)
    ]
    assert dups == [
        (ORDERS1, 2, "O1", ORDERS1, 1),
        (ORDERS2, 5, "O1", ORDERS1, 1),  # an old version repeated after the update
    ]
    statuses = dict(two_days_expected.orders[["order_id", "status"]].itertuples(index=False))
    assert statuses == {
        "O1": "shipped",
        "O2": "shipped",  # the stale placed record landed later and changed nothing
        "O3": "placed",
        "O4": "placed",
        "O5": "placed",
        "O6": "returned",
        "O8": "placed",
        "O10": "cancelled",
    }


def test_read_landing_from_s3_equals_directory(two_days: Path, two_days_expected: Expected) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="landing")
        for path in sorted(p for p in two_days.rglob("*") if p.is_file()):
            s3.upload_file(str(path), "landing", path.relative_to(two_days).as_posix())
        s3.put_object(Bucket="landing", Key="_manifests/manifest-20250106.json", Body=b"{}")
        s3.put_object(Bucket="landing", Key="sales/orders/README.txt", Body=b"not a feed")
        from_s3 = expected_from_s3(s3, "landing")
    for name in ("daily_sales", "customer_lifetime", "product_monthly", "quarantine"):
        pd.testing.assert_frame_equal(getattr(from_s3, name), getattr(two_days_expected, name))
    assert len(read_landing_dir(two_days)) == 9


def test_assert_frames_equal_reports_differences() -> None:
    keys = ["day", "store"]
    expected = frame(
        [(DAY1, "S1", D("1.00"), 3), (DAY1, "S2", D("2.50"), 1), (DAY2, "S1", D("0.10"), 2)],
        ["day", "store", "revenue", "units"],
    )
    # Same content: other row and column order, Timestamp dates, numpy ints, 1.0 == 1.00.
    same = frame(
        [(pd.Timestamp(DAY2), "S1", 2, D("0.1")), (pd.Timestamp(DAY1), "S2", 1, D("2.50")),
         (pd.Timestamp(DAY1), "S1", 3, D("1.0"))],
        ["day", "store", "units", "revenue"],
    )  # fmt: skip
    assert_frames_equal(same, expected, keys)
    wrong = frame(
        [(DAY1, "S1", 1.0, 3), (DAY1, "S2", D("2.51"), 1), (DAY2, "S9", D("0.10"), 2)],
        ["day", "store", "revenue", "units"],
    )
    with pytest.raises(AssertionError) as info:
        assert_frames_equal(wrong, expected, keys)
    message = str(info.value)
    assert "1 expected row(s) missing" in message and "'store': 'S1'" in message
    assert "1 unexpected row(s)" in message and "S9" in message
    assert "2 differing value(s)" in message
    assert "revenue: actual 1.0 != expected Decimal('1.00')" in message  # floats are not exact
    assert "actual Decimal('2.51') != expected Decimal('2.50')" in message
    with pytest.raises(AssertionError, match="columns differ"):
        assert_frames_equal(expected.drop(columns="units"), expected, keys)


# --- the generator's week ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[BatchManifest], Expected]:
    root = tmp_path_factory.mktemp("week")
    manifests = generate_sales(DirectorySink(root), GeneratorConfig(days=7, scale=0.05, seed=11))
    return manifests, expected_from_dir(root)


def test_week_quarantine_equals_manifest(week: tuple[list[BatchManifest], Expected]) -> None:
    manifests, expected = week
    claimed = Counter(
        (b.feed, b.key, b.line, b.order_id, b.line_no, b.reason)
        for m in manifests
        for b in m.bad_records
    )
    found = Counter(
        (q.feed, q.key, q.line, q.order_id, q.line_no, q.reason)
        for q in expected.quarantine.itertuples(index=False)
    )
    assert sorted(claimed - found) == [], "in the manifest, not found by the oracle"
    assert sorted(found - claimed) == [], "found by the oracle, not in the manifest"
    assert set(claimed.values()) == {1}
    reasons = Counter(reason for *_, reason in claimed)
    assert {"unparseable", "missing_order_id", "invalid_quantity", "unknown_product",
            "missing_fx_rate"} <= set(reasons)  # fmt: skip


def test_week_reconciliation(week: tuple[list[BatchManifest], Expected]) -> None:
    manifests, expected = week
    recon = expected.reconciliation
    assert (recon["read"] == recon["accepted"] + recon["quarantined"] + recon["duplicates"]).all()
    records = {f.key: (f.feed, f.records) for m in manifests for f in m.files}
    assert {r.key: (r.feed, r.read) for r in recon.itertuples(index=False)} == records
    for m in manifests:
        for feed in ("orders", "customers", "products", "fx_rates"):
            row = recon[(recon["batch_id"] == m.batch_id) & (recon["feed"] == feed)]
            assert len(row) == 1, (m.batch_id, feed)
            bad = [b for b in m.bad_records if b.feed == feed]
            assert row["quarantined"].item() == len({b.line for b in bad if b.line_no is None})
            assert row["quarantined_items"].item() == sum(b.line_no is not None for b in bad)
            assert row["duplicates"].item() == (m.duplicate_count if feed == "orders" else 0)
    claimed = sorted(
        (d.key, d.line, d.order_id, d.original_key, d.original_line)
        for m in manifests
        for d in m.duplicates
    )
    found = sorted(
        (d.key, d.line, d.order_id, d.original_key, d.original_line)
        for d in expected.duplicates.itertuples(index=False)
    )
    assert found == claimed


def test_week_out_of_order_and_gold_shape(week: tuple[list[BatchManifest], Expected]) -> None:
    manifests, expected = week
    status = dict(expected.orders[["order_id", "status"]].itertuples(index=False))
    stale = [o for m in manifests for o in m.out_of_order]
    assert stale and all(status[o.order_id] == o.current_status for o in stale)
    for table, keys in (
        (expected.daily_sales, DAILY_SALES_KEYS),
        (expected.customer_lifetime, CUSTOMER_LIFETIME_KEYS),
        (expected.product_monthly, PRODUCT_MONTHLY_KEYS),
    ):
        assert len(table) > 0 and not table.duplicated(keys).any()
        assert list(table.index) == list(table.sort_values(keys).index)
    for money in (expected.daily_sales["revenue_usd"], expected.customer_lifetime["revenue_usd"]):
        assert all(isinstance(v, Decimal) and v.as_tuple().exponent == -2 for v in money)
    # Revenue splits the same way in both tables before rounding (checked to the group cent).
    lines = expected.order_lines
    counting = lines[lines["status"].isin(["placed", "shipped", "delivered"])]
    exact = sum(counting["amount_usd"], Decimal(0))
    assert abs(sum(expected.daily_sales["revenue_usd"], Decimal(0)) - exact) <= D("0.005") * len(
        expected.daily_sales
    )
