"""Gold tables of DATASET.md section 4, from the current valid lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from goldmine.rules._keep_values import keep_values

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

MONEY = "decimal(18,2)"
#: Statuses of a revenue-counting order (with at least one valid line).
REVENUE_STATUSES: tuple[str, ...] = ("placed", "shipped", "delivered")
DAILY_SALES_COLUMNS = (
    "order_date", "store_id", "category", "orders", "units", "revenue_usd",
    "avg_order_value_usd",
)  # fmt: skip
CUSTOMER_LIFETIME_COLUMNS = (
    "customer_id", "first_order_date", "last_order_date", "orders", "revenue_usd",
    "segment", "country",
)  # fmt: skip
PRODUCT_MONTHLY_COLUMNS = (
    "month", "product_id", "units", "revenue_usd", "returned_units", "return_rate",
)  # fmt: skip


def round_money(exact: Column) -> Column:
    """Round an exact decimal amount half-up to cents, as DECIMAL(18,2)."""
    from pyspark.sql import functions as F

    return F.round(exact, 2).cast(MONEY)


def daily_sales(
    current_lines: DataFrame,
    current_products: DataFrame,
    *,
    order_dates: Iterable[dt.date] | None = None,
) -> DataFrame:
    """Build gold ``daily_sales``.

    Over valid lines of revenue-counting orders (current status placed, shipped
    or delivered), grouped by ``order_date, store_id`` and the product's current
    ``category``: ``orders`` (distinct orders with a line in the group),
    ``units`` (sum of quantity), ``revenue_usd`` (exact sum rounded half-up),
    ``avg_order_value_usd`` (unrounded revenue / orders, rounded half-up).

    Parameters
    ----------
    current_lines
        :func:`select_current_lines` output.
    current_products
        :func:`resolve_current_products` output.
    order_dates
        Only these dates (to rebuild affected partitions); ``None``: all.

    Returns
    -------
    DataFrame
        Grain and key: ``order_date, store_id, category``. Columns
        :data:`DAILY_SALES_COLUMNS` (``orders``/``units`` bigint, money decimal(18,2)).
    """
    from pyspark.sql import functions as F

    lines = _revenue_lines(current_lines)
    if order_dates is not None:
        lines = keep_values(lines, "order_date", order_dates)
    categories = current_products.select("product_id", "category")
    grouped = (
        lines.join(F.broadcast(categories), "product_id", "left")
        .groupBy("order_date", "store_id", "category")
        .agg(
            F.countDistinct("order_id").alias("orders"),
            F.sum(F.col("quantity").cast("long")).alias("units"),
            F.sum("amount_usd").alias("_revenue"),
        )
    )
    return grouped.select(
        "order_date",
        "store_id",
        "category",
        "orders",
        "units",
        round_money(F.col("_revenue")).alias("revenue_usd"),
        round_money(_divide(F.col("_revenue"), F.col("orders"))).alias("avg_order_value_usd"),
    )


def customer_lifetime(
    current_lines: DataFrame,
    customers_scd2: DataFrame,
    *,
    customer_ids: Iterable[str] | None = None,
) -> DataFrame:
    """Build gold ``customer_lifetime``.

    One row per customer with at least one revenue-counting order:
    ``first_order_date``/``last_order_date`` (of those orders), ``orders``,
    ``revenue_usd`` (rounded half-up), current ``segment`` and ``country`` (null
    for inferred members).

    Parameters
    ----------
    current_lines
        :func:`select_current_lines` output.
    customers_scd2
        :func:`build_customer_scd2` output (its ``is_current`` rows are used).
    customer_ids
        Only these customers; ``None``: all.

    Returns
    -------
    DataFrame
        Grain and key: ``customer_id``. Columns :data:`CUSTOMER_LIFETIME_COLUMNS`.
    """
    from pyspark.sql import functions as F

    lines = _revenue_lines(current_lines)
    if customer_ids is not None:
        lines = keep_values(lines, "customer_id", customer_ids)
    current = customers_scd2.filter(F.col("is_current")).select("customer_id", "segment", "country")
    grouped = lines.groupBy("customer_id").agg(
        F.min("order_date").alias("first_order_date"),
        F.max("order_date").alias("last_order_date"),
        F.countDistinct("order_id").alias("orders"),
        F.sum("amount_usd").alias("_revenue"),
    )
    return grouped.join(current, "customer_id", "left").select(
        "customer_id",
        "first_order_date",
        "last_order_date",
        "orders",
        round_money(F.col("_revenue")).alias("revenue_usd"),
        "segment",
        "country",
    )


def product_monthly(
    current_lines: DataFrame, *, months: Iterable[dt.date] | None = None
) -> DataFrame:
    """Build gold ``product_monthly``.

    Over valid lines of orders currently placed, shipped, delivered or returned,
    per ``month`` (first day of ``order_date``'s month) and ``product_id``:
    ``units`` and ``revenue_usd`` of revenue-counting orders, ``returned_units``
    of orders currently ``returned``, ``return_rate`` = returned_units / (units +
    returned_units) rounded half-up to 4 decimals; only rows with units +
    returned_units > 0.

    Parameters
    ----------
    current_lines
        :func:`select_current_lines` output.
    months
        Only these months (first days); ``None``: all.

    Returns
    -------
    DataFrame
        Grain and key: ``month, product_id``. Columns
        :data:`PRODUCT_MONTHLY_COLUMNS` (``return_rate`` decimal(5,4)).
    """
    from pyspark.sql import functions as F

    counting = F.col("status").isin(list(REVENUE_STATUSES))
    returned = F.col("status") == "returned"
    lines = current_lines.filter(counting | returned).withColumn(
        "month", F.trunc("order_date", "month")
    )
    if months is not None:
        lines = keep_values(lines, "month", months)
    qty = F.col("quantity").cast("long")
    grouped = lines.groupBy("month", "product_id").agg(
        F.coalesce(F.sum(F.when(counting, qty)), F.lit(0)).cast("long").alias("units"),
        F.sum(F.when(counting, F.col("amount_usd"))).alias("_revenue"),
        F.coalesce(F.sum(F.when(returned, qty)), F.lit(0)).cast("long").alias("returned_units"),
    )
    total = F.col("units") + F.col("returned_units")
    return grouped.filter(total > 0).select(
        "month",
        "product_id",
        "units",
        round_money(F.coalesce(F.col("_revenue"), F.lit(0).cast("decimal(38,10)"))).alias(
            "revenue_usd"
        ),
        "returned_units",
        F.round(_divide(F.col("returned_units"), total), 4)
        .cast("decimal(5,4)")
        .alias("return_rate"),
    )


def _revenue_lines(current_lines: DataFrame) -> DataFrame:
    from pyspark.sql import functions as F

    return current_lines.filter(F.col("status").isin(list(REVENUE_STATUSES)))


def _divide(numerator: Column, denominator: Column) -> Column:
    """Exact-enough decimal quotient: scale 18 before the final half-up rounding."""
    return numerator.cast("decimal(30,10)") / denominator.cast("decimal(20,0)")
