"""The customer dimension as SCD type 2 with inferred members (D8, D12)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

SCD2_COLUMNS: tuple[str, ...] = (
    "customer_id", "email", "first_name", "last_name", "country", "city", "segment",
    "valid_from", "valid_to", "is_current", "is_inferred",
)  # fmt: skip
#: Attributes whose change opens a new version (D12); the others are overwritten.
TRACKED: tuple[str, ...] = ("city", "segment")


def build_customer_scd2(
    customer_records: DataFrame, order_customer_ids: DataFrame | None = None
) -> DataFrame:
    """Build the customer dimension, type 2 on ``city`` and ``segment``.

    Records are ordered by ``updated_at`` per customer (out-of-order safe;
    duplicates of the same ``updated_at`` collapse, the last landed wins). A
    record whose ``city`` or ``segment`` differs from the previous record's opens
    a new version (D12); other attribute changes update the version in place
    (its latest record's values). A version is valid from its first record's
    ``updated_at`` to the next version's ``valid_from`` (exclusive; null for the
    current one).

    Inferred members (D8): each ``customer_id`` of ``order_customer_ids`` with
    no customer record gets one row, every attribute and ``valid_from`` null,
    ``is_current`` and ``is_inferred`` true. It disappears on the rebuild after
    the real record arrives.

    Parameters
    ----------
    customer_records
        Every accepted customer record so far (``clean_customers(...).accepted``).
    order_customer_ids
        A DataFrame with a ``customer_id`` column (e.g. accepted orders), or None.

    Returns
    -------
    DataFrame
        Grain: one row per customer version; key ``customer_id, valid_from``.
        Columns :data:`SCD2_COLUMNS`.
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    tie = [F.col(c).desc_nulls_last() for c in ("ingest_date", "batch_id", "line_number")
           if c in customer_records.columns]  # fmt: skip
    dedup = (
        customer_records.withColumn(
            "_r",
            F.row_number().over(
                Window.partitionBy("customer_id", "updated_at").orderBy(*(tie or [F.lit(0)]))
            ),
        )
        .filter(F.col("_r") == 1)
        .drop("_r")
    )
    by_time = Window.partitionBy("customer_id").orderBy("updated_at")
    prev = [F.lag(c).over(by_time) for c in TRACKED]
    changed = F.lit(False)
    for col, before in zip(TRACKED, prev, strict=True):
        changed = changed | ~F.col(col).eqNullSafe(before)
    first = F.row_number().over(by_time) == 1
    versioned = dedup.withColumn("_new", (first | changed).cast("int")).withColumn(
        "_version",
        F.sum("_new").over(by_time.rowsBetween(Window.unboundedPreceding, Window.currentRow)),
    )
    in_version = Window.partitionBy("customer_id", "_version").orderBy(F.col("updated_at").desc())
    versions = (
        versioned.withColumn(
            "valid_from", F.min("updated_at").over(Window.partitionBy("customer_id", "_version"))
        )
        .withColumn("_r", F.row_number().over(in_version))
        .filter(F.col("_r") == 1)
    )
    next_version = Window.partitionBy("customer_id").orderBy("valid_from")
    scd2 = (
        versions.withColumn("valid_to", F.lead("valid_from").over(next_version))
        .withColumn("is_current", F.col("valid_to").isNull())
        .withColumn("is_inferred", F.lit(False))
        .select(*SCD2_COLUMNS)
    )
    if order_customer_ids is None:
        return scd2
    inferred = (
        order_customer_ids.select("customer_id")
        .filter(F.col("customer_id").isNotNull())
        .distinct()
        .join(dedup.select("customer_id").distinct(), "customer_id", "left_anti")
        .select(
            "customer_id",
            *[F.lit(None).cast("string").alias(c) for c in SCD2_COLUMNS[1:7]],
            F.lit(None).cast("timestamp").alias("valid_from"),
            F.lit(None).cast("timestamp").alias("valid_to"),
            F.lit(True).alias("is_current"),
            F.lit(True).alias("is_inferred"),
        )
    )
    return scd2.unionByName(inferred)
