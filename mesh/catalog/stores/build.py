"""Build catalog.stores from stores.csv (the full list)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mesh._build_context import BuildContext

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

COLUMNS = ("store_id", "name", "channel", "region", "country", "opened_on")


def build_stores(context: BuildContext) -> DataFrame:
    """Build the product: accepted store rows, one per store_id (last landed wins)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    accepted = context.clean_feed("stores").accepted
    newest = Window.partitionBy("store_id").orderBy(
        F.col("batch_id").desc(), F.col("line_number").desc()
    )
    return (
        accepted.withColumn("_rank", F.row_number().over(newest))
        .filter("_rank = 1")
        .select(*COLUMNS)
    )
