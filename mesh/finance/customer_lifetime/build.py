"""Build finance.customer_lifetime ONLY from published products (sales.orders, customer.customers).

The figures are gold ``customer_lifetime`` (``goldmine.rules.customer_lifetime``) over
the lines of sales.orders, with the current ``segment`` and ``country`` of
customer.customers (its ``is_current`` rows; neither column is PII-treated). A customer
of an order missing from customer.customers (an inferred member, D8) gets null
``segment`` and ``country``, as in the lake's and the lakehouse's gold.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext
from mesh.finance._gold_lines import gold_lines

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def lifetime(orders: DataFrame, customers: DataFrame) -> DataFrame:
    """Return one row per customer with a revenue-counting order (pure)."""
    from goldmine.rules import CUSTOMER_LIFETIME_COLUMNS, customer_lifetime

    return customer_lifetime(gold_lines(orders), customers).select(*CUSTOMER_LIFETIME_COLUMNS)


def build_customer_lifetime(context: BuildContext) -> DataFrame:
    """Build the product from its input products (never from raw feeds)."""
    return lifetime(context.inputs["sales.orders"], context.inputs["customer.customers"])
