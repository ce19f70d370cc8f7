"""Incremental gold: recompute only the keys the batches touched, and MERGE them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from goldmine.rules import (
    clean_customers,
    clean_orders,
    clean_products,
    customer_lifetime,
    daily_sales,
    product_monthly,
)
from goldmine.settings import Settings
from lakehouse._delta import is_table
from lakehouse._tables import table
from lakehouse.silver._build_silver import read_bronze, set_id, touched_by
from lakehouse.silver._merge import merge_replace_rows

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class TouchedKeys:
    """The gold keys a set of batches can change."""

    order_dates: list[dt.date]
    months: list[dt.date]
    customer_ids: list[str]


def touched_keys(
    spark: SparkSession,
    settings: Settings,
    batches: list[str],
    touched: dict[str, list] | None = None,
) -> TouchedKeys:
    """Return the order dates, months and customers ``batches`` touch.

    ``touched`` is what the silver build of the same batches found
    (:func:`lakehouse.silver.touched_by`); without it (gold run on its own, or after
    a crash) it is derived again from bronze, so a rerun finds the same keys. A
    changed product adds every date it sold (its current category moves revenue).
    """
    from pyspark.sql import functions as F

    if touched is None:
        landed = read_bronze(spark, settings, batches)
        touched = touched_by(
            clean_orders(landed).accepted,
            clean_products(landed).accepted,
            clean_customers(landed).accepted,
        )
    dates = {dt.date.fromisoformat(d) for d in touched["order_dates"]}
    lines_uri = table("silver.order_lines").uri(settings)
    if touched["product_ids"] and is_table(spark, lines_uri):
        sold = (
            spark.read.format("delta")
            .load(lines_uri)
            .filter(F.col("product_id").isin(touched["product_ids"]))
            .select("order_date")
            .distinct()
            .collect()
        )
        dates |= {r[0] for r in sold}
    months = {d.replace(day=1) for d in dates_of(touched)}
    return TouchedKeys(sorted(dates), sorted(months), list(touched["customer_ids"]))


def dates_of(touched: dict[str, list]) -> list[dt.date]:
    """Return the touched order dates as dates."""
    return [dt.date.fromisoformat(d) for d in touched["order_dates"]]


def touched_lines(spark: SparkSession, settings: Settings, keys: TouchedKeys) -> DataFrame:
    """Return the silver order lines of the touched dates, months or customers."""
    from pyspark.sql import functions as F

    lines = spark.read.format("delta").load(table("silver.order_lines").uri(settings))
    return lines.filter(
        F.col("order_date").isin(keys.order_dates)
        | F.trunc("order_date", "month").isin(keys.months)
        | F.col("customer_id").isin(keys.customer_ids)
    )


def gold_frames(
    spark: SparkSession, settings: Settings, keys: TouchedKeys, lines: DataFrame | None = None
) -> dict[str, DataFrame]:
    """Recompute the gold rows of ``keys`` from silver with the shared gold rules.

    ``lines``: :func:`touched_lines` when the caller keeps them (the three tables then
    read silver's order lines once); ``None``: read here.
    """
    from pyspark.sql import functions as F

    def load(name: str) -> DataFrame:
        return spark.read.format("delta").load(table(f"silver.{name}").uri(settings))

    lines = touched_lines(spark, settings, keys) if lines is None else lines
    products = load("products")
    customers = load("customers")
    by_date = lines.filter(F.col("order_date").isin(keys.order_dates))
    by_month = lines.filter(F.trunc("order_date", "month").isin(keys.months))
    by_customer = lines.filter(F.col("customer_id").isin(keys.customer_ids))
    return {
        "daily_sales": daily_sales(by_date, products, order_dates=keys.order_dates),
        "customer_lifetime": customer_lifetime(
            by_customer, customers, customer_ids=keys.customer_ids
        ),
        "product_monthly": product_monthly(by_month, months=keys.months),
    }


_GROUPS = {
    "daily_sales": ("order_date", "order_dates"),
    "customer_lifetime": ("customer_id", "customer_ids"),
    "product_monthly": ("month", "months"),
}


def build_gold(
    spark: SparkSession,
    settings: Settings,
    batches: list[str],
    touched: dict[str, list] | None = None,
) -> dict[str, int]:
    """Recompute and MERGE the gold keys ``batches`` touched; return rows changed per table.

    Each gold table gets one commit that makes the rows of every touched key equal
    the recomputation: changed rows updated, new rows inserted, rows that no longer
    exist (an order cancelled, say) deleted; untouched keys are not read or written.
    A table whose touched rows are all equal already is not committed to.
    """
    from pyspark import StorageLevel

    keys = touched_keys(spark, settings, batches, touched)
    # Kept: the three tables read the touched lines once (one scan of silver).
    lines = touched_lines(spark, settings, keys).persist(StorageLevel.DISK_ONLY)
    written = {}
    try:
        for name, frame in gold_frames(spark, settings, keys, lines).items():
            info = table(f"gold.{name}")
            group, attr = _GROUPS[name]
            values = getattr(keys, attr)
            kind = frame.schema[group].dataType.simpleString()
            scope = spark.createDataFrame([(v,) for v in values], f"{group} {kind}")
            written[name] = merge_replace_rows(
                spark, info.uri(settings), frame, scope, group_keys=(group,),
                row_keys=info.keys, app_id=set_id("gold", name, batches),
            )  # fmt: skip
    finally:
        lines.unpersist()
    return written
