"""Table maintenance: OPTIMIZE + Z-ORDER, VACUUM with a safe retention, history, restore."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.settings import Settings
from lakehouse._delta import is_table
from lakehouse._tables import TABLES, table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Delta's own default: files a reader may still need are at least 7 days old.
SAFE_RETENTION_HOURS = 168


class UnsafeRetentionError(ValueError):
    """A vacuum retention below the safe minimum was asked without ``force``."""


#: Delta's target size of the files OPTIMIZE writes (default 1 GiB).
MAX_FILE_SIZE_CONF = "spark.databricks.delta.optimize.maxFileSize"


def optimize_tables(
    spark: SparkSession,
    settings: Settings,
    names: list[str] | None = None,
    *,
    max_file_bytes: int | None = None,
) -> list[dict[str, Any]]:
    """Compact every (or the named) table; Z-ORDER by the columns analysts filter by.

    Z-ORDER rewrites every file of the table, range-clustered by the Z-ORDER columns
    (a single column, such as ``order_date`` for ``silver.orders``, gives a plain
    range layout: each date lives in a few neighbouring files), in files of about
    ``max_file_bytes``.

    Parameters
    ----------
    names
        Tables ``layer.name``; every table when ``None``.
    max_file_bytes
        Target file size for this call (``spark.databricks.delta.optimize.maxFileSize``,
        restored afterwards); ``None`` keeps the session's value (Delta: 1 GiB).

    Returns
    -------
    list of dict
        Per table: ``table``, ``zorder`` and Delta's metrics (files added/removed).
    """
    from delta.tables import DeltaTable

    previous = spark.conf.get(MAX_FILE_SIZE_CONF, None)
    if max_file_bytes is not None:
        spark.conf.set(MAX_FILE_SIZE_CONF, str(max_file_bytes))
    results = []
    try:
        for info in [table(n) for n in names] if names else list(TABLES.values()):
            uri = info.uri(settings)
            if not is_table(spark, uri):
                continue
            optimizer = DeltaTable.forPath(spark, uri).optimize()
            zorder = [c for c in info.zorder if c not in info.partition_by]
            metrics = (
                optimizer.executeZOrderBy(*zorder) if zorder else optimizer.executeCompaction()
            ).first()
            m = metrics["metrics"] if metrics is not None else None
            results.append(
                {
                    "table": info.qualified,
                    "zorder": ",".join(zorder),
                    "files_added": int(m["numFilesAdded"]) if m else 0,
                    "files_removed": int(m["numFilesRemoved"]) if m else 0,
                }
            )
    finally:
        if max_file_bytes is not None:
            if previous is None:
                spark.conf.unset(MAX_FILE_SIZE_CONF)
            else:
                spark.conf.set(MAX_FILE_SIZE_CONF, previous)
    return results


def vacuum_table(
    spark: SparkSession,
    settings: Settings,
    name: str,
    *,
    retention_hours: float = SAFE_RETENTION_HOURS,
    force: bool = False,
) -> None:
    """Delete files no version within ``retention_hours`` needs.

    Raises
    ------
    UnsafeRetentionError
        When ``retention_hours`` is below 168 h and ``force`` is not set: readers of
        older versions (and time travel) would lose their files.
    """
    from delta.tables import DeltaTable

    if retention_hours < SAFE_RETENTION_HOURS and not force:
        raise UnsafeRetentionError(
            f"retention {retention_hours:g}h is below the safe {SAFE_RETENTION_HOURS}h: "
            "older versions and running readers would lose files (use --force to insist)"
        )
    key = "spark.databricks.delta.retentionDurationCheck.enabled"
    if force:
        spark.conf.set(key, "false")
    try:
        DeltaTable.forPath(spark, table(name).uri(settings)).vacuum(retention_hours)
    finally:
        spark.conf.unset(key)


@dataclass(frozen=True)
class Commit:
    """One version of a Delta table, as its commit recorded it."""

    version: int
    timestamp: dt.datetime
    operation: str
    metrics: dict[str, str]


def table_history(
    settings: Settings,
    storage_options: Mapping[str, str],
    name: str,
    limit: int | None = None,
) -> list[Commit]:
    """Return the commits of table ``layer.name``, newest first (delta-rs: no Spark).

    Raises
    ------
    LookupError
        When the table has no commit yet.
    """
    from goldmine.read_delta import open_delta

    found = open_delta(table(name).uri(settings), storage_options)
    if found is None:
        raise LookupError(f"{name} has no Delta table yet: build the lakehouse first")
    return [
        Commit(
            int(c["version"]),
            dt.datetime.fromtimestamp(int(c["timestamp"]) / 1000, dt.UTC),
            str(c.get("operation", "")),
            {k: str(v) for k, v in (c.get("operationMetrics") or {}).items()},
        )
        for c in found.history(limit)
    ]


def restore_table(spark: SparkSession, settings: Settings, name: str, version: int) -> int:
    """Restore table ``layer.name`` to ``version``; return the new (restoring) version."""
    from delta.tables import DeltaTable

    DeltaTable.forPath(spark, table(name).uri(settings)).restoreToVersion(version)
    row = DeltaTable.forPath(spark, table(name).uri(settings)).history(1).first()
    return int(row["version"]) if row is not None else version
