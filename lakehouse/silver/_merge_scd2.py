"""Incremental SCD type 2 MERGE of customers (D12) with inferred members (D8).

Same semantics as :func:`goldmine.rules.build_customer_scd2` (a change of a tracked
attribute opens a version; other changes update the version in place; an inferred
member disappears when the real record arrives), applied as one MERGE of the
batch's records onto the current rows instead of a rebuild.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from goldmine.rules import SCD2_COLUMNS
from goldmine.rules._build_customer_scd2 import TRACKED
from lakehouse._delta import create_if_missing, evolve_schema, idempotent_dml

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger(__name__)

ATTRIBUTES: tuple[str, ...] = SCD2_COLUMNS[1:7]
#: Silver customers: the SCD2 columns + the newest record applied and its lineage.
COLUMNS: tuple[str, ...] = (
    *SCD2_COLUMNS, "updated_at", "batch_id", "source_file", "line_number",
)  # fmt: skip


def stage_scd2(target: DataFrame, records: DataFrame, order_customers: DataFrame) -> DataFrame:
    """Return the rows to apply: ``_action`` ``update`` / ``insert`` / ``delete``.

    Parameters
    ----------
    target
        The silver customers table as it is.
    records
        Accepted customer records of the batches (``clean_customers``).
    order_customers
        ``customer_id`` of the batches' accepted orders (inferred members, D8).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    tie = Window.partitionBy("customer_id", "updated_at").orderBy(
        F.col("ingest_date").desc_nulls_last(),
        F.col("batch_id").desc(),
        F.col("line_number").desc(),
    )
    src = (
        records.withColumn("_r", F.row_number().over(tie))
        .filter("_r = 1")
        .select(
            "customer_id",
            *ATTRIBUTES,
            "updated_at",
            "batch_id",
            "source_file",
            F.col("line_number").cast("long").alias("line_number"),
        )
    )
    current = target.filter("is_current").select(
        "customer_id",
        F.col("is_inferred").alias("_cur_inferred"),
        F.col("updated_at").alias("_cur_updated_at"),
    )
    # Only records newer than what the current version already holds (out-of-order
    # older records and replays change nothing).
    src = (
        src.join(current, "customer_id", "left")
        .filter(
            F.col("_cur_updated_at").isNull()
            | F.col("_cur_inferred")
            | (F.col("updated_at") > F.col("_cur_updated_at"))
        )
        .drop("_cur_inferred", "_cur_updated_at")
    )
    cur_rows = target.filter("is_current AND NOT is_inferred").join(
        src.select("customer_id").distinct(), "customer_id"
    )
    chain = cur_rows.select(
        "customer_id", *ATTRIBUTES, "updated_at", "batch_id", "source_file", "line_number",
        F.col("valid_from").alias("_cur_valid_from"), F.lit(0).alias("_kind"),
    ).unionByName(
        src.withColumn("_cur_valid_from", F.lit(None).cast("timestamp")).withColumn(
            "_kind", F.lit(1)
        )
    )  # fmt: skip
    by_time = Window.partitionBy("customer_id").orderBy("updated_at", "_kind")
    opens = F.row_number().over(by_time) == 1
    for attr in TRACKED:
        opens = opens | ~F.col(attr).eqNullSafe(F.lag(attr).over(by_time))
    chain = chain.withColumn("_open", opens.cast("int")).withColumn(
        "_version", F.sum("_open").over(by_time.rowsBetween(Window.unboundedPreceding, 0))
    )
    group = Window.partitionBy("customer_id", "_version")
    latest = Window.partitionBy("customer_id", "_version").orderBy(F.col("updated_at").desc())
    versions = (
        chain.withColumn(
            "valid_from",
            F.coalesce(F.min("_cur_valid_from").over(group), F.min("updated_at").over(group)),
        )
        .withColumn("_has_cur", F.max(1 - F.col("_kind")).over(group) == 1)
        .withColumn("_rows", F.count(F.lit(1)).over(group))
        .withColumn("_r", F.row_number().over(latest))
        .filter("_r = 1")
    )
    nxt = Window.partitionBy("customer_id").orderBy("valid_from")
    versions = (
        versions.withColumn("valid_to", F.lead("valid_from").over(nxt))
        .withColumn("is_current", F.col("valid_to").isNull())
        .withColumn("is_inferred", F.lit(False))
    )
    # The current version changes when records joined it or a version follows it.
    updates = versions.filter(
        F.col("_has_cur") & ((F.col("_rows") > 1) | F.col("valid_to").isNotNull())
    ).withColumn("_action", F.lit("update"))
    inserts = versions.filter(~F.col("_has_cur")).withColumn("_action", F.lit("insert"))
    deletes = (
        target.filter("is_current AND is_inferred")
        .join(src.select("customer_id").distinct(), "customer_id")
        .select(*COLUMNS)
        .withColumn("_action", F.lit("delete"))
    )
    known = target.select("customer_id").union(src.select("customer_id")).distinct()
    inferred = (
        order_customers.select("customer_id")
        .filter(F.col("customer_id").isNotNull())
        .distinct()
        .join(known, "customer_id", "left_anti")
        .select(
            "customer_id",
            *[F.lit(None).cast("string").alias(c) for c in ATTRIBUTES],
            F.lit(None).cast("timestamp").alias("valid_from"),
            F.lit(None).cast("timestamp").alias("valid_to"),
            F.lit(True).alias("is_current"),
            F.lit(True).alias("is_inferred"),
            F.lit(None).cast("timestamp").alias("updated_at"),
            F.lit(None).cast("string").alias("batch_id"),
            F.lit(None).cast("string").alias("source_file"),
            F.lit(None).cast("long").alias("line_number"),
            F.lit("insert").alias("_action"),
        )
    )
    staged = [f.select(*COLUMNS, "_action") for f in (updates, inserts, deletes)]
    return staged[0].unionByName(staged[1]).unionByName(staged[2]).unionByName(inferred)


def merge_scd2(
    spark: SparkSession,
    uri: str,
    records: DataFrame,
    order_customers: DataFrame,
    *,
    app_id: str,
) -> None:
    """Apply the batches' customer records to the SCD2 table ``uri`` in one MERGE.

    Grain: one customer version; key ``customer_id, valid_from`` (``valid_from``
    null for an inferred member). Exactly one ``is_current`` row per customer.
    """
    from delta.tables import DeltaTable
    from pyspark.sql.types import (
        BooleanType,
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    types = {"valid_from": TimestampType(), "valid_to": TimestampType(),
             "updated_at": TimestampType(), "is_current": BooleanType(),
             "is_inferred": BooleanType(), "line_number": LongType()}  # fmt: skip
    schema = StructType([StructField(c, types.get(c, StringType())) for c in COLUMNS])
    create_if_missing(spark, uri, schema)
    target = DeltaTable.forPath(spark, uri)
    staged = stage_scd2(target.toDF(), records, order_customers)
    evolve_schema(spark, uri, staged.drop("_action"), log)
    if staged.isEmpty():  # nothing changes: no commit at all
        return
    set_all: dict[str, str | Column] = {c: f"s.`{c}`" for c in COLUMNS}
    with idempotent_dml(spark, app_id):
        (
            target.alias("t")
            .merge(
                staged.alias("s"),
                "t.customer_id = s.customer_id AND t.is_current "
                "AND s._action IN ('update', 'delete')",
            )
            .whenMatchedDelete(condition="s._action = 'delete'")
            .whenMatchedUpdate(condition="s._action = 'update'", set=set_all)
            .whenNotMatchedInsert(condition="s._action = 'insert'", values=set_all)
            .execute()
        )
