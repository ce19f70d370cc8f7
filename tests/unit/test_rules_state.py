"""State-aware rules D2, D6, D7, D8, D10, D12; exact decimals; gold on a tiny dataset."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from goldmine.rules import (
    build_customer_scd2,
    customer_lifetime,
    daily_sales,
    product_monthly,
    resolve_current_orders,
    resolve_current_products,
    select_current_lines,
    validate_items,
)

pytestmark = pytest.mark.spark

D = dt.date
T = dt.datetime
ORDER_DDL = (
    "order_id string, customer_id string, store_id string, order_ts timestamp, "
    "order_date date, status string, currency string, updated_at timestamp, "
    "promo_code string, batch_id string, ingest_date date, source_file string, "
    "line_number long"
)
ITEM_DDL = (
    "order_id string, updated_at timestamp, line_no int, product_id string, quantity int, "
    "unit_price decimal(10,2), discount decimal(5,2), order_date date, currency string, "
    "batch_id string, source_file string, line_number long, raw string"
)


def orders_df(spark: Any, *rows: tuple[Any, ...]) -> Any:
    """Rows: (order_id, customer_id, store_id, order_date, status, currency, updated_at, line)."""
    data = [
        (oid, cust, store, T(day.year, day.month, day.day, 12), day, status, cur, upd, None,
         "b1", D(2025, 1, 6), "f", line)
        for oid, cust, store, day, status, cur, upd, line in rows
    ]  # fmt: skip
    return spark.createDataFrame(data, ORDER_DDL)


def items_df(spark: Any, *rows: tuple[Any, ...]) -> Any:
    """Rows: (order_id, updated_at, line_no, product_id, qty, price, discount, date, cur)."""
    data = [
        (oid, upd, no, pid, qty, _dec(price), _dec(disc), day, cur, "b1", "f", 1, "raw")
        for oid, upd, no, pid, qty, price, disc, day, cur in rows
    ]
    return spark.createDataFrame(data, ITEM_DDL)


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def products_df(spark: Any, *rows: tuple[str, str, dt.datetime]) -> Any:
    data = [(pid, cat, upd, "b1", D(2025, 1, 6), 1) for pid, cat, upd in rows]
    return spark.createDataFrame(
        data, "product_id string, category string, updated_at timestamp, batch_id string, "
        "ingest_date date, line_number long"
    )  # fmt: skip


def fx_df(spark: Any, *rows: tuple[dt.date, str, str]) -> Any:
    return spark.createDataFrame(
        [(d, c, Decimal(r)) for d, c, r in rows],
        "rate_date date, currency string, usd_per_unit decimal(18,6)",
    )


U1, U2, U3 = T(2025, 1, 6, 8), T(2025, 1, 6, 9), T(2025, 1, 7, 9)


def test_current_order_newest_wins_whatever_the_arrival(spark: Any) -> None:
    # D2: the shipped record (newer) landed first, the stale placed record later.
    orders = orders_df(
        spark,
        ("O1", "C1", "S1", D(2025, 1, 6), "shipped", "USD", U2, 1),
        ("O1", "C1", "S1", D(2025, 1, 6), "placed", "USD", U1, 2),
        ("O2", "C1", "S1", D(2025, 1, 6), "placed", "USD", U1, 3),
        ("O2", "C1", "S1", D(2025, 1, 6), "cancelled", "USD", U3, 4),
    )
    current = sorted((r.order_id, r.status, r.line_number)
                     for r in resolve_current_orders(orders).collect())  # fmt: skip
    assert current == [("O1", "shipped", 1), ("O2", "cancelled", 4)]


@pytest.mark.parametrize(
    ("pairs_from", "kept"),
    [("items", False), ("orders", False), ("items", True)],  # kept: as silver, a copy
)
def test_item_rules_precedence_fx_and_exact_amount(spark: Any, pairs_from: str, kept: bool) -> None:
    jan6, jan8, jan3 = D(2025, 1, 6), D(2025, 1, 8), D(2025, 1, 3)
    items = items_df(
        spark,
        ("O1", U1, 1, "P1", 3, "19.99", "0.15", jan6, "EUR"),  # rate of the day
        ("O1", U1, 2, "PX1", 0, "-1.00", "2.00", jan6, "EUR"),  # all faults: quantity wins
        ("O1", U1, 3, "PX1", 1, "-1.00", "0.00", jan6, "EUR"),  # price before product
        ("O1", U1, 4, "PX1", 1, "1.00", "1.01", jan6, "EUR"),  # discount before product
        ("O1", U1, 5, "PX1", 1, "1.00", "0.00", jan6, "EUR"),  # unknown product (D7)
        ("O1", U1, 6, "P1", 1, None, "0.00", jan6, "EUR"),  # price with > 2 decimals
        ("O2", U1, 1, "P1", 2, "10.00", "0.00", jan8, "EUR"),  # no rate on 8th: 7th's
        ("O3", U1, 1, "P1", 1, "10.00", "0.00", jan3, "GBP"),  # no GBP rate ever before
        ("O4", U1, 1, "P1", 1, "0.00", "1.00", jan3, "USD"),  # USD at 1, edge values
    )
    products = products_df(spark, ("P1", "toys", U1))
    fx = fx_df(spark, (jan6, "EUR", "1.085123"), (D(2025, 1, 7), "EUR", "1.090000"),
               (jan6, "GBP", "1.250000"))  # fmt: skip
    orders = None
    if pairs_from == "orders":  # the items' orders, and one with no item (a pair too many)
        extra = spark.createDataFrame([("GBP", D(2025, 1, 9))], "currency string, order_date date")
        orders = items.select("currency", "order_date").unionByName(extra)
    copies: list[Any] = []

    def keep(priced: Any) -> Any:
        copies.append(priced.cache())
        return copies[-1]

    lines, quarantine = validate_items(items, products, fx, orders, keep=keep if kept else None)
    if kept:  # the copy keeps the order line of the rejected items only
        copy = copies[0].filter("raw is not null").collect()
        assert sorted((r.order_id, r.line_no) for r in copy) == [
            ("O1", 2), ("O1", 3), ("O1", 4), ("O1", 5), ("O1", 6), ("O3", 1),
        ]  # fmt: skip
    assert {r.raw for r in quarantine.collect()} == {"raw"}
    assert sorted((r.order_id, r.line_no, r.reason) for r in quarantine.collect()) == [
        ("O1", 2, "invalid_quantity"),
        ("O1", 3, "invalid_price"),
        ("O1", 4, "invalid_discount"),
        ("O1", 5, "unknown_product"),
        ("O1", 6, "invalid_price"),
        ("O3", 1, "missing_fx_rate"),
    ]
    got = {(r.order_id, r.line_no): (r.usd_per_unit, r.amount_usd) for r in lines.collect()}
    exact = Decimal(3) * Decimal("19.99") * (1 - Decimal("0.15")) * Decimal("1.085123")
    assert got == {
        ("O1", 1): (Decimal("1.085123"), exact),
        ("O2", 1): (Decimal("1.090000"), Decimal("21.8000000000")),
        ("O4", 1): (Decimal("1.000000"), Decimal("0E-10")),
    }
    assert exact == Decimal("55.3136023635")  # 59.97 * 0.85 * 1.085123, all exact
    assert exact.quantize(Decimal("0.01"), ROUND_HALF_UP) == Decimal("55.31")


def test_customer_scd2_city_twice_and_inferred_member(spark: Any) -> None:
    ddl = ("customer_id string, email string, first_name string, last_name string, "
           "country string, city string, segment string, updated_at timestamp, "
           "batch_id string, ingest_date date, line_number long")  # fmt: skip
    t1, t2, t3, t4 = T(2025, 1, 1), T(2025, 1, 2), T(2025, 1, 3), T(2025, 1, 4)
    rec = [
        ("C1", "a@x", "A", "L", "US", "Boston", "retail", t1, "b1", D(2025, 1, 6), 2),
        ("C1", "new@x", "A", "L", "US", "Boston", "retail", t2, "b2", D(2025, 1, 7), 2),
        ("C1", "new@x", "A", "L", "US", "Austin", "retail", t3, "b3", D(2025, 1, 8), 2),
        ("C1", "new@x", "A", "L", "US", "Denver", "retail", t4, "b2", D(2025, 1, 7), 3),
    ]
    orders = spark.createDataFrame([("C1",), ("C9",)], "customer_id string")
    scd2 = build_customer_scd2(spark.createDataFrame(rec, ddl), orders)
    rows = sorted(
        (r.customer_id, r.email, r.city, r.valid_from, r.valid_to, r.is_current, r.is_inferred)
        for r in scd2.collect()
    )
    assert rows == [
        ("C1", "new@x", "Austin", t3, t4, False, False),
        ("C1", "new@x", "Boston", t1, t3, False, False),
        ("C1", "new@x", "Denver", t4, None, True, False),
        ("C9", None, None, None, None, True, True),
    ]


def test_gold_on_a_tiny_dataset(spark: Any) -> None:
    jan6, jan7 = D(2025, 1, 6), D(2025, 1, 7)
    orders = orders_df(
        spark,
        ("O1", "C1", "S1", jan6, "placed", "USD", U1, 1),
        ("O1", "C1", "S1", jan6, "shipped", "USD", U2, 2),  # current: shipped (D2)
        ("O2", "C1", "S1", jan6, "delivered", "USD", U1, 3),
        ("O3", "C9", "S2", jan7, "returned", "USD", U1, 4),
        ("O4", "C1", "S1", jan7, "cancelled", "USD", U1, 5),
    )
    items = items_df(
        spark,
        ("O1", U1, 1, "P1", 1, "99.99", "0.00", jan6, "USD"),  # stale version
        ("O1", U2, 1, "P1", 2, "10.01", "0.00", jan6, "USD"),
        ("O1", U2, 2, "P2", 1, "0.01", "0.50", jan6, "USD"),
        ("O2", U1, 1, "P1", 1, "3.33", "0.00", jan6, "USD"),
        ("O3", U1, 1, "P1", 3, "5.00", "0.00", jan7, "USD"),
        ("O4", U1, 1, "P1", 9, "5.00", "0.00", jan7, "USD"),
    )
    products = products_df(
        spark, ("P1", "old", T(2025, 1, 1)), ("P1", "toys", T(2025, 1, 2)), ("P2", "books", U1)
    )
    lines, _ = validate_items(items, products, fx_df(spark))
    current = select_current_lines(resolve_current_orders(orders), lines)
    daily = sorted(
        tuple(r) for r in daily_sales(current, resolve_current_products(products)).collect()
    )
    # O1: 2*10.01 = 20.02 (toys), 0.01*0.5 = 0.005 (books); O2: 3.33 (toys)
    assert daily == [
        (jan6, "S1", "books", 1, 1, Decimal("0.01"), Decimal("0.01")),
        (jan6, "S1", "toys", 2, 3, Decimal("23.35"), Decimal("11.68")),
    ]
    scd2 = build_customer_scd2(
        spark.createDataFrame(
            [("C1", "e", "f", "l", "US", "Boston", "vip", U1)],
            "customer_id string, email string, first_name string, last_name string, "
            "country string, city string, segment string, updated_at timestamp",
        ),
        orders,
    )
    lifetime = sorted(tuple(r) for r in customer_lifetime(current, scd2).collect())
    assert lifetime == [("C1", jan6, jan6, 2, Decimal("23.36"), "vip", "US")]
    monthly = sorted(tuple(r) for r in product_monthly(current).collect())
    assert monthly == [
        (D(2025, 1, 1), "P1", 3, Decimal("23.35"), 3, Decimal("0.5000")),
        (D(2025, 1, 1), "P2", 1, Decimal("0.01"), 0, Decimal("0.0000")),
    ]
    only = daily_sales(current, resolve_current_products(products), order_dates=[jan7])
    assert only.count() == 0
