"""Small Delta helpers shared by the layers: versions, idempotent DML, MERGE metrics."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from goldmine.spark import observed_metrics

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import Column, DataFrame, SparkSession

    from goldmine.read_delta import DeltaLogReader

_TXN_APP_ID = "spark.databricks.delta.write.txnAppId"
_TXN_VERSION = "spark.databricks.delta.write.txnVersion"
_MATERIALIZE_SOURCE = "spark.databricks.delta.merge.materializeSource"
_observations = itertools.count()


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


def materialize(frame: DataFrame) -> tuple[DataFrame, int]:
    """Compute ``frame`` once into a local checkpoint; return it and its rows.

    The rows are observed in the job that computes the checkpoint, not counted by an
    action of their own. The checkpoint cuts the lineage, so the MERGE that reads it
    neither plans nor computes the chain behind it again.
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    observation = Observation(f"goldmine_rows_{next(_observations)}")
    kept = frame.observe(observation, F.count(F.lit(1)).alias("rows")).localCheckpoint(eager=True)
    observed = observed_metrics(observation)
    # Not reported in time: count the checkpoint (small, no lineage).
    return kept, int(observed["rows"]) if observed else kept.count()


def write_rows(
    frame: DataFrame,
    uri: str,
    *,
    app_id: str | None = None,
    partition_by: tuple[str, ...] = (),
    **where: Column,
) -> dict[str, int]:
    """Append ``frame`` to the Delta table at ``uri`` (created if missing); return counts.

    With ``app_id``, the write carries ``txnAppId``/``txnVersion`` (``app_id``, 1), so
    replaying the same write commits nothing; Delta checks it against the table's whole
    state (a Spark job, "Compute snapshot", for a table that exists). ``rows`` (every
    row) and each ``name=condition`` of ``where`` are observed by the write's own job;
    when the observation does not come (a write Delta skipped by its txn id), they are
    counted from ``frame``.
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    observation = Observation(f"goldmine_written_{next(_observations)}")
    metrics = [F.count(F.lit(1)).alias("rows")]
    metrics += [F.count(F.when(condition, 1)).alias(name) for name, condition in where.items()]
    writer = frame.observe(observation, *metrics).write.format("delta").mode("append")
    if app_id is not None:
        writer = writer.option("txnAppId", app_id).option("txnVersion", 1)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(uri)
    observed = observed_metrics(observation)
    if observed is None:
        observed = {"rows": frame.count()}
        observed.update({name: frame.filter(c).count() for name, c in where.items()})
    return {name: int(n) for name, n in observed.items()}


def apply_changes(
    spark: SparkSession,
    uri: str,
    changes: DataFrame,
    merge: Callable[[DeltaTable, DataFrame], None],
    *,
    app_id: str,
    inserts: str | None = None,
) -> int:
    """Apply ``changes`` (the rows that change ``uri``) in one Delta commit, or none.

    ``changes`` is computed once (:func:`materialize`); when it is empty nothing is
    committed. A table that does not exist yet is created by appending the rows
    ``inserts`` selects (a SQL condition; every row when ``None``, columns starting
    with ``_`` dropped), so its first commit holds its data; an existing table gets
    ``merge(target, changes)`` (the MERGE), idempotent per ``app_id``
    (:func:`idempotent_dml`). Returns the rows of ``changes``.
    """
    from delta.tables import DeltaTable

    if not is_table(spark, uri):
        new = changes if inserts is None else changes.filter(inserts)
        new = new.select(*[c for c in new.columns if not c.startswith("_")])
        return write_rows(new, uri, app_id=app_id)["rows"]
    kept, rows = materialize(changes)
    if rows == 0:  # nothing changes: no commit at all
        return 0
    # The source is a local checkpoint already: Delta need not materialize it again.
    previous = spark.conf.get(_MATERIALIZE_SOURCE, None)
    spark.conf.set(_MATERIALIZE_SOURCE, "none")
    try:
        with idempotent_dml(spark, app_id):
            merge(DeltaTable.forPath(spark, uri), kept)
    finally:
        if previous is None:
            spark.conf.unset(_MATERIALIZE_SOURCE)
        else:
            spark.conf.set(_MATERIALIZE_SOURCE, previous)
    return rows


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


def values_present(
    spark: SparkSession, uri: str, column: str, log: DeltaLogReader | None = None
) -> set[Any]:
    """Return the distinct values of ``column`` the table at ``uri`` holds (none: no table).

    With ``log``, read from the table's log with delta-rs (no Spark job, ADR 0041),
    unless a commit is claimed and unwritten: then with Spark, which finishes it.
    """
    found = log.values(uri, column) if log is not None else None
    if found is not None:
        return found
    if not is_table(spark, uri):
        return set()
    rows = spark.read.format("delta").load(uri).select(column).distinct().collect()
    return {r[0] for r in rows}


def batches_present(spark: SparkSession, uri: str, log: DeltaLogReader | None = None) -> set[str]:
    """Return the ``batch_id`` values the table at ``uri`` holds (:func:`values_present`)."""
    return values_present(spark, uri, "batch_id", log)


def append_new_batches(
    spark: SparkSession,
    uri: str,
    frame: DataFrame,
    *,
    partition_by: tuple[str, ...] = (),
    batches: list[str] | None = None,
    present: set[str] | None = None,
    log: DeltaLogReader | None = None,
    **where: Column,
) -> dict[str, int] | None:
    """Append the rows of ``frame`` whose ``batch_id`` the table does not hold yet.

    ``batches`` (the batch ids ``frame`` may hold) lets a replay of batches that are
    all present return without writing anything. ``present``: the table's batches
    when the caller read them (:func:`batches_present`, through ``log`` if given).

    An append commits all of its batches or none, so "batch already present" is an
    exact replay check, and the write carries no ``txnAppId``: Delta would check it
    against the table's whole state, one more Spark job per append (ADR 0046).
    Returns the rows appended and the rows of each ``where`` condition
    (:func:`write_rows`); ``None`` when nothing was appended because every one of
    ``batches`` was there.
    """
    from pyspark.sql import functions as F

    present = batches_present(spark, uri, log) if present is None else present
    if batches is not None and set(batches) <= present:
        return None
    if present:
        frame = frame.filter(~F.col("batch_id").isin(sorted(present)))
    return write_rows(frame, uri, app_id=None, partition_by=partition_by, **where)
