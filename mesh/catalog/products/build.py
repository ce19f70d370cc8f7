"""Build catalog.products: the current record of every product (newest updated_at)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

COLUMNS = (
    "product_id", "sku", "name", "category", "subcategory", "list_price", "currency",
    "active", "updated_at",
)  # fmt: skip


def current_products(accepted: DataFrame) -> DataFrame:
    """Return one row per product_id, the newest record, contract columns (pure)."""
    from pyspark.sql import functions as F

    from goldmine.rules import resolve_current_products

    current = resolve_current_products(accepted)
    return current.select(
        *[
            F.col(c).cast("decimal(18,2)").alias(c) if c == "list_price" else F.col(c)
            for c in COLUMNS
        ]
    )


def build_products(context: BuildContext) -> DataFrame:
    """Build the product from the products feed (its rejects stay in the context)."""
    return current_products(context.clean_feed("products").accepted)
