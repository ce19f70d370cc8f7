"""Small Delta helpers shared by the layers: versions, idempotent DML, MERGE metrics."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
_TXN_VERSION = "spark.databricks.delta.write.txnVersion"


def is_table(spark: SparkSession, uri: str) -> bool:
    """Whether a Delta table exists at ``uri``."""
    from delta.tables import DeltaTable

    return bool(DeltaTable.isDeltaTable(spark, uri))


def last_version(spark: SparkSession, uri: str) -> int | None:
    """Return the latest committed version of the Delta table at ``uri`` (``None``: none)."""
    from delta.tables import DeltaTable

    if not is_table(spark, uri):
        return None
    row = DeltaTable.forPath(spark, uri).history(1).select("version").first()
    return None if row is None else int(row[0])


def last_metrics(spark: SparkSession, uri: str) -> dict[str, str]:
    """Return the ``operationMetrics`` of the latest commit of ``uri``."""
    from delta.tables import DeltaTable

    row = DeltaTable.forPath(spark, uri).history(1).select("operationMetrics").first()
    return dict(row[0] or {}) if row is not None else {}


@contextlib.contextmanager
def idempotent_dml(spark: SparkSession, app_id: str, version: int = 1) -> Iterator[None]:
    """Make the Delta DML (MERGE/UPDATE/DELETE) inside the block idempotent.

    Delta records ``(app_id, version)`` with the commit and skips a later command
    with the same pair, without committing (Delta's idempotent DML session confs).
    """
    spark.conf.set(_TXN_APP_ID, app_id)
    spark.conf.set(_TXN_VERSION, str(version))
    try:
        yield
    finally:
        spark.conf.unset(_TXN_APP_ID)
        spark.conf.unset(_TXN_VERSION)


def create_if_missing(
    spark: SparkSession, uri: str, schema: Any, partition_by: tuple[str, ...] = ()
) -> None:
    """Create an empty Delta table at ``uri`` with ``schema`` when none exists."""
    if is_table(spark, uri):
        return
    from delta.tables import DeltaTable

    builder = DeltaTable.createIfNotExists(spark).location(uri).addColumns(schema)
    if partition_by:
        builder = builder.partitionedBy(*partition_by)
    builder.execute()


def evolve_schema(spark: SparkSession, uri: str, frame: DataFrame, log: Any) -> list[str]:
    """Add to the table at ``uri`` the columns ``frame`` has and it lacks; return them.

    Explicit, logged schema evolution (D13/D14): the new columns are added with an
    ``ALTER TABLE ... ADD COLUMNS`` commit and named in the log, never merged
    silently by ``autoMerge``.
    """
    from delta.tables import DeltaTable

    current = {f.name.lower() for f in DeltaTable.forPath(spark, uri).toDF().schema.fields}
    added = [f for f in frame.schema.fields if f.name.lower() not in current]
    if not added:
        return []
    columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in added)
    spark.sql(f"ALTER TABLE delta.`{uri}` ADD COLUMNS ({columns})")
    names = [f.name for f in added]
    log.info("schema evolution on %s: added columns %s", uri, ", ".join(names))
    return names


def append_new_batches(
    spark: SparkSession,
    uri: str,
    frame: DataFrame,
    *,
    app_id: str,
    partition_by: tuple[str, ...] = (),
    batches: list[str] | None = None,
) -> int:
    """Append the rows of ``frame`` whose ``batch_id`` the table does not hold yet.

    ``batches`` (the batch ids ``frame`` may hold) lets a replay of batches that are
    all present return without writing anything.

    An append commits all of its batches or none, so "batch already present" is an
    exact replay check; the write also carries ``txnAppId`` so that replaying the
    same set of batches commits nothing. Returns the rows appended.
    """
    from pyspark.sql import functions as F

    if is_table(spark, uri):
        present = [
            r[0]
            for r in spark.read.format("delta").load(uri).select("batch_id").distinct().collect()
        ]
        if batches is not None and set(batches) <= set(present):
            return 0
        frame = frame.filter(~F.col("batch_id").isin(present))
    writer = (
        frame.write.format("delta")
        .mode("append")
        .option("txnAppId", app_id)
        .option("txnVersion", 1)
    )
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(uri)
    # The presence check above is exact, so this write committed (a skip by txnAppId
    # would need the same batches present already).
    return int(last_metrics(spark, uri).get("numOutputRows", 0))
