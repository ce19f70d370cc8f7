"""Incremental gold: recompute only the keys the batches touched, and MERGE them."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from goldmine.plan import Plan, Step, run_plan
from goldmine.read_delta import read_delta_table
from goldmine.rules import (
    clean_customers,
    clean_orders,
    clean_products,
    customer_lifetime,
    daily_sales,
    keep_any,
    keep_values,
    product_monthly,
)
from goldmine.settings import Settings
from goldmine.spark import local_frame, run_in_own_sessions
from lakehouse._delta import is_table
from lakehouse._tables import table
from lakehouse.silver._build_silver import read_bronze, set_id, touched_by
from lakehouse.silver._merge import merge_replace_rows

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession

    from goldmine.read_delta import DeltaLogReader


@dataclass(frozen=True)
class TouchedKeys:
    """The gold keys a set of batches can change."""

    order_dates: list[dt.date]
    months: list[dt.date]
    customer_ids: list[str]


def touched_keys(
    spark: SparkSession,
    settings: Settings,
    gold_batches: list[str],
    touched: dict[str, list] | None = None,
    silver_batches: list[str] | None = None,
) -> TouchedKeys:
    """Return the order dates, months and customers ``gold_batches`` touch.

    ``touched`` is what the silver build of ``silver_batches`` found
    (:func:`lakehouse.silver.touched_by`), taken when they are the same batches;
    otherwise (gold run on its own, or after a crash) it is derived again from bronze,
    so a rerun finds the same keys. A changed product adds every date it sold (its
    current category moves revenue).
    """
    if touched is None or silver_batches != gold_batches:
        landed = read_bronze(spark, settings, gold_batches)
        touched = touched_by(
            clean_orders(landed).accepted,
            clean_products(landed).accepted,
            clean_customers(landed).accepted,
        )
    dates = {dt.date.fromisoformat(d) for d in touched["order_dates"]}
    lines_uri = table("silver.order_lines").uri(settings)
    if touched["product_ids"] and is_table(spark, lines_uri):
        lines = spark.read.format("delta").load(lines_uri)
        sold = (
            keep_values(lines, "product_id", touched["product_ids"])
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


def touched_lines(spark: SparkSession, settings: Settings, touched_keys: TouchedKeys) -> DataFrame:
    """Return the silver order lines of the touched dates, months or customers.

    Kept on local disk: the three gold tables read them (one scan of silver).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    keys = touched_keys
    lines = spark.read.format("delta").load(table("silver.order_lines").uri(settings))
    with_month = lines.withColumn("_month", F.trunc("order_date", "month"))
    kept = keep_any(
        with_month,
        {"order_date": keys.order_dates, "_month": keys.months, "customer_id": keys.customer_ids},
    )
    return kept.drop("_month").persist(StorageLevel.DISK_ONLY)


def gold_frames(
    spark: SparkSession,
    settings: Settings,
    keys: TouchedKeys,
    lines: DataFrame,
    delta_log: DeltaLogReader | None = None,
) -> dict[str, DataFrame]:
    """Recompute the gold rows of ``keys`` from silver with the shared gold rules.

    ``lines``: the silver order lines of ``keys`` (:func:`touched_lines`). The products
    and customers, when small, are read in the driver (``delta_log``, ADR 0044).
    """

    def load(name: str) -> DataFrame:
        return read_delta_table(spark, table(f"silver.{name}").uri(settings), delta_log)

    products = load("products")
    customers = load("customers")
    return {  # each rule keeps the lines of its own keys
        "daily_sales": daily_sales(lines, products, order_dates=keys.order_dates),
        "customer_lifetime": customer_lifetime(lines, customers, customer_ids=keys.customer_ids),
        "product_monthly": product_monthly(lines, months=keys.months),
    }


_GROUPS = {
    "daily_sales": ("order_date", "order_dates"),
    "customer_lifetime": ("customer_id", "customer_ids"),
    "product_monthly": ("month", "months"),
}


def merge_gold(
    spark: SparkSession,
    settings: Settings,
    gold_batches: list[str],
    touched_keys: TouchedKeys,
    touched_lines: DataFrame,
    delta_log: DeltaLogReader | None = None,
) -> dict[str, int]:
    """MERGE the recomputed rows of the touched keys; return rows changed per table.

    Each gold table gets one commit that makes the rows of every touched key equal
    the recomputation: changed rows updated, new rows inserted, rows that no longer
    exist (an order cancelled, say) deleted; untouched keys are not read or written.
    A table whose touched rows are all equal already is not committed to. The three
    MERGEs run at once, each on a Spark session of its own (ADR 0035: its
    idempotent-DML settings are its own); a failed one raises once the others ended.
    """
    keys = touched_keys
    merges: dict[str, Callable[[SparkSession], int]] = {}
    for name, frame in gold_frames(spark, settings, keys, touched_lines, delta_log).items():
        info = table(f"gold.{name}")
        group, attr = _GROUPS[name]
        values = getattr(keys, attr)
        kind = frame.schema[group].dataType.simpleString()
        scope = local_frame(spark, [(v,) for v in values], f"{group} {kind}")
        merges[name] = functools.partial(
            merge_replace_rows, uri=info.uri(settings), rows=frame, scope=scope,
            group_keys=(group,), row_keys=info.keys, app_id=set_id("gold", name, gold_batches),
        )  # fmt: skip
    return run_in_own_sessions(spark, merges)


#: Gold: recompute only the keys the batches touched, from silver, and MERGE them.
GOLD_PLAN = Plan(
    "gold",
    (
        Step("touched_keys", touched_keys),
        Step("touched_lines", touched_lines, persist=True),
        Step("merge_gold", merge_gold),
    ),
)


def build_gold(
    spark: SparkSession,
    settings: Settings,
    batches: list[str],
    touched: dict[str, list] | None = None,
) -> dict[str, int]:
    """Recompute and MERGE the gold keys ``batches`` touched (:data:`GOLD_PLAN`).

    ``touched``: what the silver build of the same batches found; ``None``: derived
    from bronze. Returns the rows changed per table.
    """
    done = run_plan(
        GOLD_PLAN, spark=spark, settings=settings, gold_batches=batches, touched=touched,
        silver_batches=batches,
    )  # fmt: skip
    return dict(done.outputs["merge_gold"])
