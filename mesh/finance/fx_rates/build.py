"""Build finance.fx_rates from the fx rates feed: one rate per date and currency."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def latest_rates(accepted: DataFrame) -> DataFrame:
    """Return one row per ``rate_date, currency``: the last landed record wins (pure)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    newest = Window.partitionBy("rate_date", "currency").orderBy(
        F.col("ingest_date").desc_nulls_last(),
        F.col("batch_id").desc(),
        F.col("line_number").desc(),
    )
    return (
        accepted.withColumn("_rank", F.row_number().over(newest))
        .filter("_rank = 1")
        .select(
            "rate_date",
            "currency",
            F.col("usd_per_unit").cast("decimal(18,6)").alias("usd_per_unit"),
        )
    )


def build_fx_rates(context: BuildContext) -> DataFrame:
    """Build the product from the fx rates feed (its rejects stay in the context)."""
    return latest_rates(context.clean_feed("fx_rates").accepted)
