"""Read sales.orders as the current valid lines the shared gold rules take."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def gold_lines(orders: DataFrame) -> DataFrame:
    """Return sales.orders in the shape of ``goldmine.rules.select_current_lines`` (pure).

    sales.orders holds the valid lines of every order's current version, whatever its
    status, with the exact USD amount as ``line_amount_usd``; the gold rules
    (``goldmine.rules.daily_sales``, ``customer_lifetime``, ``product_monthly``) call
    it ``amount_usd`` and select the statuses they count themselves.

    Parameters
    ----------
    orders
        The published sales.orders product (major 1).

    Returns
    -------
    DataFrame
        The same rows, ``line_amount_usd`` renamed ``amount_usd``.
    """
    return orders.withColumnRenamed("line_amount_usd", "amount_usd")
