"""Build sales.orders from the orders feed and two published input products.

Product ids are checked against catalog.products (D7) and amounts converted with
finance.fx_rates (D10), both read through their published contracts.

Grain: one row per ``order_id, line_no`` of the current version of each order (D2),
valid lines only (D6, D7, D10 per ``goldmine.rules``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def order_lines(
    orders: DataFrame, items: DataFrame, products: DataFrame, fx: DataFrame
) -> DataFrame:
    """Return the valid lines of the current version of every order, in USD (pure).

    Parameters
    ----------
    orders, items
        ``clean_orders(...).accepted`` and ``.items`` of every batch.
    products
        Every known product (``product_id``).
    fx
        Rates ``rate_date, currency, usd_per_unit``.
    """
    from pyspark.sql import functions as F

    from goldmine.rules import resolve_current_orders, select_current_lines, validate_items

    current = resolve_current_orders(orders)
    current_items = items.join(current.select("order_id", "updated_at"), ["order_id", "updated_at"])
    valid, _quarantine = validate_items(current_items, products, fx)
    lines = select_current_lines(current, valid)
    return lines.select(
        "order_id",
        "line_no",
        "order_date",
        "order_ts",
        "customer_id",
        "store_id",
        "status",
        "currency",
        "product_id",
        "quantity",
        F.col("unit_price").cast("decimal(18,2)").alias("unit_price"),
        F.col("discount").cast("decimal(3,2)").alias("discount"),
        F.col("usd_per_unit").cast("decimal(18,6)").alias("usd_per_unit"),
        F.col("amount_usd").alias("line_amount_usd"),
        "promo_code",
        "updated_at",
    )


def build_orders(context: BuildContext) -> DataFrame:
    """Build the product from the domain's feed and its input products."""
    from goldmine.rules import clean_orders

    cleaned = clean_orders(context.read_feed("orders"))
    assert cleaned.items is not None
    return order_lines(
        cleaned.accepted,
        cleaned.items,
        context.inputs["catalog.products"],
        context.inputs["finance.fx_rates"],
    )
