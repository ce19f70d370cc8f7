"""Incremental SCD type 2 MERGE of customers (D12) with inferred members (D8).

Same semantics as :func:`goldmine.rules.build_customer_scd2` (a change of a tracked
attribute opens a version; other changes update the version in place; an inferred
member disappears when the real record arrives), applied as one MERGE of the
batch's records onto the current rows instead of a rebuild.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from goldmine.rules import SCD2_COLUMNS
from goldmine.rules._build_customer_scd2 import TRACKED
from goldmine.spark import empty_frame, union_by_name
from lakehouse._delta import apply_changes, is_table

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import Column, DataFrame, SparkSession

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
    src = newer_records(target, latest_per_update(records))
    versions = version_chain(target, src)
    return union_by_name(
        [
            *version_changes(versions),
            resolved_inferred(target, src),
            new_inferred(target, src, order_customers),
        ]
    )


def latest_per_update(records: DataFrame) -> DataFrame:
    """One record per ``customer_id, updated_at``: the last landed (SCD2 columns + lineage)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    tie = Window.partitionBy("customer_id", "updated_at").orderBy(
        F.col("ingest_date").desc_nulls_last(),
        F.col("batch_id").desc(),
        F.col("line_number").desc(),
    )
    return (
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


def newer_records(target: DataFrame, src: DataFrame) -> DataFrame:
    """Only records newer than what the current version already holds.

    Out-of-order older records and replays change nothing; an inferred member is
    replaced by any real record.
    """
    from pyspark.sql import functions as F

    current = target.filter("is_current").select(
        "customer_id",
        F.col("is_inferred").alias("_cur_inferred"),
        F.col("updated_at").alias("_cur_updated_at"),
    )
    return (
        src.join(current, "customer_id", "left")
        .filter(
            F.col("_cur_updated_at").isNull()
            | F.col("_cur_inferred")
            | (F.col("updated_at") > F.col("_cur_updated_at"))
        )
        .drop("_cur_inferred", "_cur_updated_at")
    )


def version_chain(target: DataFrame, src: DataFrame) -> DataFrame:
    """Return one row per version of the customers ``src`` touches, current one included.

    The current (real) version and the new records, ordered by time: a change of a
    tracked attribute opens a version; ``valid_from`` is the version's first time
    (the current version keeps its own), ``valid_to`` the next version's.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

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
    return (
        versions.withColumn("valid_to", F.lead("valid_from").over(nxt))
        .withColumn("is_current", F.col("valid_to").isNull())
        .withColumn("is_inferred", F.lit(False))
    )


def version_changes(versions: DataFrame) -> tuple[DataFrame, DataFrame]:
    """Return the current versions to update and the new versions to insert."""
    from pyspark.sql import functions as F

    # The current version changes when records joined it or a version follows it.
    updates = versions.filter(
        F.col("_has_cur") & ((F.col("_rows") > 1) | F.col("valid_to").isNotNull())
    ).withColumn("_action", F.lit("update"))
    inserts = versions.filter(~F.col("_has_cur")).withColumn("_action", F.lit("insert"))
    return updates.select(*COLUMNS, "_action"), inserts.select(*COLUMNS, "_action")


def resolved_inferred(target: DataFrame, src: DataFrame) -> DataFrame:
    """Return the inferred members whose real record arrived, to delete."""
    from pyspark.sql import functions as F

    return (
        target.filter("is_current AND is_inferred")
        .join(src.select("customer_id").distinct(), "customer_id")
        .select(*COLUMNS)
        .withColumn("_action", F.lit("delete"))
    )


def new_inferred(target: DataFrame, src: DataFrame, order_customers: DataFrame) -> DataFrame:
    """Return an inferred member (attributes null) for each unknown customer of an order (D8)."""
    from pyspark.sql import functions as F

    known = target.select("customer_id").union(src.select("customer_id")).distinct()
    return (
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


def merge_scd2(
    spark: SparkSession,
    uri: str,
    records: DataFrame,
    order_customers: DataFrame,
    *,
    app_id: str,
) -> int:
    """Apply the batches' customer records to the SCD2 table ``uri`` in one commit.

    Grain: one customer version; key ``customer_id, valid_from`` (``valid_from``
    null for an inferred member). Exactly one ``is_current`` row per customer. The
    first build creates the table with its rows (all inserts); later builds MERGE.
    Returns the rows staged (:func:`lakehouse._delta.apply_changes`).
    """
    target = _target(spark, uri, records, order_customers)
    staged = stage_scd2(target, records, order_customers)
    set_all: dict[str, str | Column] = {c: f"s.`{c}`" for c in COLUMNS}

    def merge(table: DeltaTable, changes: DataFrame) -> None:
        (
            table.alias("t")
            .merge(
                changes.alias("s"),
                "t.customer_id = s.customer_id AND t.is_current "
                "AND s._action IN ('update', 'delete')",
            )
            .whenMatchedDelete(condition="s._action = 'delete'")
            .whenMatchedUpdate(condition="s._action = 'update'", set=set_all)
            .whenNotMatchedInsert(condition="s._action = 'insert'", values=set_all)
            .execute()
        )

    return apply_changes(spark, uri, staged, merge, app_id=app_id, inserts="_action = 'insert'")


def _target(
    spark: SparkSession, uri: str, records: DataFrame, order_customers: DataFrame
) -> DataFrame:
    """Return the rows of the customers table at ``uri`` the batches' customers need.

    :func:`stage_scd2` reads the target four ways (current versions, real ones, inferred
    ones, every known id), each only for the customers of ``records`` or of
    ``order_customers``: those rows are all it needs. They are a lazy local checkpoint:
    the table's scan is planned once (not four Delta scans) and its rows computed by
    the first job that needs them. No table yet: an empty frame of its columns.
    """
    from pyspark.sql.types import (
        BooleanType,
        LongType,
        StringType,
        StructField,
        StructType,
        TimestampType,
    )

    if not is_table(spark, uri):
        types = {"valid_from": TimestampType(), "valid_to": TimestampType(),
                 "updated_at": TimestampType(), "is_current": BooleanType(),
                 "is_inferred": BooleanType(), "line_number": LongType()}  # fmt: skip
        schema = StructType([StructField(c, types.get(c, StringType())) for c in COLUMNS])
        return empty_frame(spark, schema)
    ids = records.select("customer_id").union(order_customers.select("customer_id")).distinct()
    target = spark.read.format("delta").load(uri)
    return target.join(ids, "customer_id", "left_semi").localCheckpoint(eager=False)
