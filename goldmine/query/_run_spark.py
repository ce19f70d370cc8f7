"""The Spark engine: translated SQL on Spark SQL over temp views of the gold tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from goldmine.query._resolve_tables import ResolvedTable


def run_spark(
    spark: SparkSession, sql: str, tables: Sequence[ResolvedTable], *, register: bool = True
) -> pd.DataFrame:
    """Register ``tables`` as temp views (``table.view_name``) and run Spark ``sql``.

    ``register=False``: the views are already registered (by :func:`register_view`), e.g.
    once for a batch of queries; registering lists the table's files (Delta log or
    Parquet partitions) again.
    """
    if register:
        for table in tables:
            register_view(spark, table)
    return spark.sql(sql).toPandas()


def register_view(spark: SparkSession, table: ResolvedTable) -> None:
    """Register one catalogued table as a temp view, read from its Glue location."""
    location = table.location.rstrip("/")
    if table.table_format == "delta":
        frame = spark.read.format("delta").load(location)
    else:
        ddl = ", ".join(f"`{name}` {kind}" for name, kind in table.columns + table.partition_keys)
        frame = spark.read.schema(ddl).option("basePath", location).parquet(location)
    frame.createOrReplaceTempView(table.view_name)
