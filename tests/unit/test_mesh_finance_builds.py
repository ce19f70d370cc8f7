"""The finance products built from other products equal their gold tables on a tiny week.

sales.orders, customer.customers and catalog.products are given as their published
contracts' schemas; each build (the contract's ``build``) must return exactly the
contract's columns and the gold figures, rounded half-up only at the end.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

import mesh
from mesh._build_context import BuildContext
from mesh._publish import _build_function

pytestmark = pytest.mark.spark

D, T = dt.date, dt.datetime


def _line(order_id: str, line_no: int, day: D, customer: str, store: str, status: str,
          product: str, quantity: int, amount: str) -> dict[str, Any]:  # fmt: skip
    ts = T.combine(day, dt.time(12))
    return {
        "order_id": order_id, "line_no": line_no, "order_date": day, "order_ts": ts,
        "customer_id": customer, "store_id": store, "status": status, "currency": "USD",
        "product_id": product, "quantity": quantity, "unit_price": Decimal("1.00"),
        "discount": Decimal("0.00"), "usd_per_unit": Decimal("1"),
        "line_amount_usd": Decimal(amount), "promo_code": None, "updated_at": ts,
    }  # fmt: skip


ORDERS = [
    _line("o1", 1, D(2025, 1, 6), "c1", "s1", "delivered", "p1", 2, "20"),
    _line("o1", 2, D(2025, 1, 6), "c1", "s1", "delivered", "p2", 1, "5.005"),
    _line("o2", 1, D(2025, 1, 8), "c1", "s1", "shipped", "p1", 1, "10"),
    # c2 is in no customers record: an inferred member (D8).
    _line("o3", 1, D(2025, 1, 7), "c2", "s2", "placed", "p2", 3, "3.3333333333"),
    _line("o4", 1, D(2025, 1, 7), "c3", "s2", "returned", "p1", 4, "40"),
    _line("o5", 1, D(2025, 2, 1), "c3", "s2", "cancelled", "p1", 1, "10"),
]


def _customer(customer: str, valid_from: T, valid_to: T | None, segment: str,
              country: str) -> dict[str, Any]:  # fmt: skip
    return {
        "customer_id": customer, "valid_from": valid_from, "valid_to": valid_to,
        "is_current": valid_to is None, "email": "0" * 64, "first_name": "A***",
        "last_name": "B***", "country": country, "city": "X", "segment": segment,
    }  # fmt: skip


CUSTOMERS = [
    _customer("c1", T(2025, 1, 1), T(2025, 1, 5), "retail", "DE"),
    _customer("c1", T(2025, 1, 5), None, "vip", "FR"),
    _customer("c3", T(2025, 1, 1), None, "smb", "US"),
]
PRODUCTS = [
    {"product_id": p, "sku": p, "name": p, "category": c, "subcategory": c,
     "list_price": Decimal("1.00"), "currency": "USD", "active": True,
     "updated_at": T(2025, 1, 1)}
    for p, c in (("p1", "toys"), ("p2", "books"))
]  # fmt: skip

EXPECTED = {
    "finance.revenue": [
        (D(2025, 1, 6), "s1", "books", 1, 1, Decimal("5.01"), Decimal("5.01")),
        (D(2025, 1, 6), "s1", "toys", 1, 2, Decimal("20.00"), Decimal("20.00")),
        (D(2025, 1, 7), "s2", "books", 1, 3, Decimal("3.33"), Decimal("3.33")),
        (D(2025, 1, 8), "s1", "toys", 1, 1, Decimal("10.00"), Decimal("10.00")),
    ],
    "finance.customer_lifetime": [
        # c1: current segment and country; c2: inferred, null; c3: no counting order.
        ("c1", D(2025, 1, 6), D(2025, 1, 8), 2, Decimal("35.01"), "vip", "FR"),
        ("c2", D(2025, 1, 7), D(2025, 1, 7), 1, Decimal("3.33"), None, None),
    ],
    "finance.product_monthly": [
        # p1 in February: only a cancelled order, so no row.
        (D(2025, 1, 1), "p1", 3, Decimal("30.00"), 4, Decimal("0.5714")),
        (D(2025, 1, 1), "p2", 4, Decimal("8.34"), 0, Decimal("0.0000")),
    ],
}
ROWS = {"sales.orders": ORDERS, "customer.customers": CUSTOMERS, "catalog.products": PRODUCTS}


@pytest.mark.parametrize("product_id", sorted(EXPECTED))
def test_finance_build_gives_the_contract_schema_and_the_gold_figures(
    spark: Any, product_id: str
) -> None:
    contract = mesh.load_product_contract(product_id)
    inputs = {}
    for spec in contract.input_products():
        upstream = spec.split("@")[0]
        schema = mesh.spark_schema(mesh.load_product_contract(upstream))
        inputs[upstream] = spark.createDataFrame(
            [tuple(r[f.name] for f in schema.fields) for r in ROWS[upstream]], schema
        )
    built = _build_function(contract)(BuildContext(spark, None, inputs=inputs))  # type: ignore[arg-type]
    expected_schema = [(f.name, f.dataType.simpleString()) for f in mesh.spark_schema(contract)]
    assert [(f.name, f.dataType.simpleString()) for f in built.schema.fields] == expected_schema
    assert sorted(tuple(r) for r in built.collect()) == EXPECTED[product_id]
