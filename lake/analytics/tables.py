"""Analytics zone: the gold tables of DATASET.md section 4, as Parquet.

- ``daily_sales``: one row per order_date x store_id x category.
  Keys: ``order_date, store_id, category``. Partition: ``order_date``.
- ``product_monthly``: one row per month x product_id.
  Keys: ``month, product_id``. Partition: ``month``.
- ``customer_lifetime``: one row per customer with a revenue-counting order.
  Keys: ``customer_id``. Partition: none.

Money is DECIMAL(18,2), rounded half-up at this step only (by ``goldmine.rules``).
A build recomputes only the dates, months and customers its batches affect.
"""

from __future__ import annotations

from lake._tables import LakeTable

_SPECS: tuple[tuple[str, str | None, str, tuple[str, ...]], ...] = (
    (
        "daily_sales",
        "order_date",
        "order date x store x category",
        ("order_date", "store_id", "category"),
    ),
    ("product_monthly", "month", "month x product", ("month", "product_id")),
    ("customer_lifetime", None, "customer", ("customer_id",)),
)


def analytics_tables(bucket: str) -> dict[str, LakeTable]:
    """Return the analytics tables in ``bucket`` by name."""
    return {name: LakeTable(bucket, name, part, grain, keys) for name, part, grain, keys in _SPECS}
