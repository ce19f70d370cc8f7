"""Build finance.product_monthly ONLY from a published product: sales.orders.

The figures are gold ``product_monthly`` (``goldmine.rules.product_monthly``) over the
lines of sales.orders, which holds the valid lines of every order's current version
whatever its status (returned orders included).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext
from mesh.finance._gold_lines import gold_lines

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def monthly(orders: DataFrame) -> DataFrame:
    """Return units, revenue and returns per month and product (pure)."""
    from goldmine.rules import PRODUCT_MONTHLY_COLUMNS, product_monthly

    return product_monthly(gold_lines(orders)).select(*PRODUCT_MONTHLY_COLUMNS)


def build_product_monthly(context: BuildContext) -> DataFrame:
    """Build the product from its input product (never from raw feeds)."""
    return monthly(context.inputs["sales.orders"])
