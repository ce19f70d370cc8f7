"""Build finance.revenue ONLY from published products: sales.orders and catalog.products.

The figures are gold ``daily_sales`` (``goldmine.rules.daily_sales``) over the lines of
sales.orders, with the current category of catalog.products.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext
from mesh.finance._gold_lines import gold_lines

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def revenue(orders: DataFrame, products: DataFrame) -> DataFrame:
    """Return daily revenue per store and category from the two products (pure)."""
    from pyspark.sql import functions as F

    from goldmine.rules import daily_sales

    return (
        daily_sales(gold_lines(orders), products)
        .select(
            "order_date",
            "store_id",
            "category",
            "orders",
            "units",
            "revenue_usd",
            "avg_order_value_usd",
        )
        .withColumn("orders", F.col("orders").cast("bigint"))
    )


def build_revenue(context: BuildContext) -> DataFrame:
    """Build the product from its input products (never from raw feeds)."""
    return revenue(context.inputs["sales.orders"], context.inputs["catalog.products"])
