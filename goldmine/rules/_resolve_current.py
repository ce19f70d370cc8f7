"""Current versions: orders (D2) and products (newest record wins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def resolve_current_orders(orders: DataFrame) -> DataFrame:
    """Return the current version of every order: the newest ``updated_at`` wins (D2).

    Out-of-order safe: the result depends only on the set of records, not on the
    order they arrived in. Ties (same ``updated_at``; D1 duplicates) go to the
    first landed record (``ingest_date, batch_id, source_file, line_number``),
    the one :func:`clean_orders` keeps. A null ``updated_at`` ranks oldest.

    Parameters
    ----------
    orders
        Every accepted order record so far (``clean_orders(...).accepted`` of all
        batches; quarantined records never get here).

    Returns
    -------
    DataFrame
        Grain: one row per ``order_id`` (key). Columns: those of ``orders``.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window = Window.partitionBy("order_id").orderBy(
        F.col("updated_at").desc_nulls_last(),
        F.col("ingest_date").asc_nulls_last(),
        "batch_id",
        "source_file",
        "line_number",
    )
    return (
        orders.withColumn("_rank", F.row_number().over(window))
        .filter(F.col("_rank") == 1)
        .drop("_rank")
    )


def resolve_current_products(products: DataFrame) -> DataFrame:
    """Return the current record of every product: the newest ``updated_at`` wins.

    Ties go to the last landed record (a same-time correction).

    Parameters
    ----------
    products
        Every accepted product record so far (``clean_products(...).accepted``).

    Returns
    -------
    DataFrame
        Grain: one row per ``product_id`` (key). Columns: those of ``products``.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    window = Window.partitionBy("product_id").orderBy(
        F.col("updated_at").desc_nulls_last(),
        F.col("ingest_date").desc_nulls_last(),
        F.col("batch_id").desc(),
        F.col("line_number").desc(),
    )
    return (
        products.withColumn("_rank", F.row_number().over(window))
        .filter(F.col("_rank") == 1)
        .drop("_rank")
    )
