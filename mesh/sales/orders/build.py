"""Build sales.orders from the orders feed and two published input products.

Product ids are checked against catalog.products (D7) and amounts converted with
finance.fx_rates (D10), both read through their published contracts.

Grain: one row per ``order_id, line_no`` of the current version of each order (D2),
valid lines only (D6, D7, D10 per ``goldmine.rules``). The rejected records (D4, D5) and
items (D6, D7, D10, of every accepted version) stay in the build context, which the
publisher reconciles and keeps in the sales domain's quarantine.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mesh._build_context import BuildContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def order_lines(
    orders: DataFrame,
    items: DataFrame,
    products: DataFrame,
    fx: DataFrame,
    keep: Callable[[DataFrame], DataFrame] | None = None,
) -> tuple[DataFrame, DataFrame]:
    """Return the valid USD lines of every order's current version, and rejected items (pure).

    Items of every accepted version are validated, so each record line's rejected
    items are quarantined against that line (as the lake and the source's manifests
    count them); the valid lines of current versions are the same either way.

    Parameters
    ----------
    orders, items
        ``clean_orders(...).accepted`` and ``.items`` of every batch.
    products
        Every known product (``product_id``).
    fx
        Rates ``rate_date, currency, usd_per_unit``.
    keep
        Given the priced items, which both outputs read (``validate_items``): the
        publisher keeps them persisted (:meth:`mesh.BuildContext.keep`). ``None``:
        each output prices the items.

    Returns
    -------
    (lines, item_quarantine)
        The product's rows (contract columns) and the rejected items
        (``goldmine.rules.QUARANTINE_COLUMNS``).
    """
    from pyspark.sql import functions as F

    from goldmine.rules import resolve_current_orders, select_current_lines, validate_items

    current = resolve_current_orders(orders)
    valid, item_quarantine = validate_items(items, products, fx, keep=keep)
    lines = select_current_lines(current, valid)
    product = lines.select(
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
    return product, item_quarantine


def build_orders(context: BuildContext) -> DataFrame:
    """Build the product from the domain's feed and its input products.

    Rejected records and items stay in the context (the publisher keeps them).
    """
    cleaned = context.clean_feed("orders")
    assert cleaned.items is not None  # clean_orders always returns the items
    lines, item_quarantine = order_lines(
        cleaned.accepted,
        cleaned.items,
        context.inputs["catalog.products"],
        context.inputs["finance.fx_rates"],
        keep=context.keep,
    )
    context.quarantine_items(item_quarantine)
    return lines
