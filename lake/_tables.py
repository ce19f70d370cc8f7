"""Read and write the lake's Parquet tables with Spark (paths, partitions, publishing).

A table is ``s3://<zone bucket>/<name>/<partition>=<value>/part-*.parquet``. Writes go
first to a staging prefix of the run; :func:`publish` then replaces only the
partitions the run touched (a partition swap: the effect of dynamic partition
overwrite, without a second Spark write) and deletes touched partitions that became
empty. Nothing is published before everything is staged.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lake._ledger import list_objects

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

STAGING_PREFIX = "_staging/"
_STAGING_OPTIONS = {
    "partitionOverwriteMode": "static",
    "mapreduce.fileoutputcommitter.algorithm.version": "2",
    "mapreduce.fileoutputcommitter.cleanup.skipped": "true",
    "mapreduce.fileoutputcommitter.marksuccessfuljobs": "false",
}


@dataclass(frozen=True)
class LakeTable:
    """A Parquet table of the lake: zone bucket, name, partition column, grain and keys."""

    bucket: str
    name: str
    partition: str | None
    grain: str
    keys: tuple[str, ...]

    @property
    def uri(self) -> str:
        """``s3://bucket/name/``."""
        return f"s3://{self.bucket}/{self.name}/"

    def staged_uri(self, run_id: str) -> str:
        """Where a run stages this table before publishing."""
        return f"s3://{self.bucket}/{STAGING_PREFIX}{run_id}/{self.name}/"


def table_exists(s3: Any, table: LakeTable) -> bool:
    """Whether the table holds at least one Parquet file."""
    return any(k.endswith(".parquet") for k, _ in list_objects(s3, table.bucket, f"{table.name}/"))


def partition_values(s3: Any, table: LakeTable) -> list[str]:
    """Return the partition values present in storage, sorted."""
    if table.partition is None:
        return []
    values = set()
    marker = f"/{table.partition}="
    for key, _ in list_objects(s3, table.bucket, f"{table.name}/{table.partition}="):
        if key.endswith(".parquet"):
            values.add(("/" + key).split(marker, 1)[1].split("/", 1)[0])
    return sorted(values)


def read_table(spark: SparkSession, s3: Any, table: LakeTable, empty: DataFrame) -> DataFrame:
    """Read the table (partition column included), or ``empty`` when it has no data."""
    if not table_exists(s3, table):
        return empty
    # The schema is given, so a partition value is read with its column's type (batch
    # ids such as ``20250106`` or ``007`` stay strings, not inferred numbers).
    frame = spark.read.schema(empty.schema).parquet(table.uri)
    return frame.select(*empty.columns)


def read_partitions(
    spark: SparkSession, s3: Any, table: LakeTable, values: Iterable[str], empty: DataFrame
) -> DataFrame:
    """Read only the given partitions (``value`` as in the path), or ``empty``."""
    present = set(partition_values(s3, table))
    paths = [f"{table.uri}{table.partition}={v}/" for v in sorted(set(values)) if v in present]
    if not paths:
        return empty
    frame = spark.read.schema(empty.schema).option("basePath", table.uri).parquet(*paths)
    return frame.select(*empty.columns)


def stage(frame: DataFrame, table: LakeTable, run_id: str, *, one_task: bool = False) -> None:
    """Write ``frame`` to the run's staging prefix.

    One file per partition: few, larger files keep footers and request counts low for
    Athena. The rows of each partition are gathered by a shuffle (one task per
    partition, in parallel), or, with ``one_task`` (a small run), all by one task that
    writes every partition's file: no shuffle, one Spark job instead of two.
    """
    if table.partition is not None and not one_task:
        writer = frame.repartition(table.partition).write.mode("overwrite")
    else:
        writer = frame.coalesce(1).write.mode("overwrite")
    if table.partition is not None:
        writer = writer.partitionBy(table.partition)
    # The staging prefix is fresh and private to the run: a static overwrite needs no
    # per-partition renames, committer version 2 moves each task's files into place
    # once, and the committer's clean-up of ``_temporary`` (object by object on S3A,
    # most of the time of a small write) is left to the deletion of the whole prefix.
    for key, value in _STAGING_OPTIONS.items():
        writer = writer.option(key, value)
    writer.parquet(table.staged_uri(run_id))


def read_staged(
    spark: SparkSession, s3: Any, table: LakeTable, run_id: str, like: DataFrame
) -> DataFrame:
    """Read what :func:`stage` wrote, with the columns of ``like`` (empty if nothing)."""
    prefix = table.staged_uri(run_id).removeprefix(f"s3://{table.bucket}/")
    if not any(k.endswith(".parquet") for k, _ in list_objects(s3, table.bucket, prefix)):
        return like.limit(0)
    return spark.read.schema(like.schema).parquet(table.staged_uri(run_id)).select(*like.columns)


def publish(s3: Any, table: LakeTable, run_id: str, touched: Iterable[str] = ()) -> list[str]:
    """Swap the table's touched partitions for the staged ones; return the keys published.

    Partitioned tables: every partition present in staging replaces the partition of
    the same value (the effect of Spark's dynamic partition overwrite, done as a
    server-side copy of files already written), and each value of ``touched`` absent
    from staging is deleted. Unpartitioned tables are replaced as a whole.
    """
    staged_prefix = f"{STAGING_PREFIX}{run_id}/{table.name}/"
    staged: dict[str, list[str]] = {}
    for key, _ in list_objects(s3, table.bucket, staged_prefix):
        relative = key[len(staged_prefix) :]
        if not key.endswith(".parquet") or any(p[:1] in "_." for p in relative.split("/")):
            continue  # committer leftovers (_temporary, .spark-staging) stay behind
        directory = relative.rsplit("/", 1)[0] + "/" if "/" in relative else ""
        staged.setdefault(directory, []).append(key)
    if table.partition is None:
        directories = {""}
    else:
        directories = set(staged) | {f"{table.partition}={v}/" for v in touched}
    published = []
    for directory in sorted(directories):
        delete_prefix(s3, table.bucket, f"{table.name}/{directory}")
        for key in sorted(staged.get(directory, [])):
            target = f"{table.name}/{key[len(staged_prefix) :]}"
            s3.copy_object(
                Bucket=table.bucket, Key=target, CopySource={"Bucket": table.bucket, "Key": key}
            )
            published.append(target)
    return published


def delete_prefix(s3: Any, bucket: str, prefix: str) -> int:
    """Delete every object under ``prefix`` one by one (S3Proxy-safe); return the count."""
    keys = [k for k, _ in list_objects(s3, bucket, prefix)]
    for key in keys:
        s3.delete_object(Bucket=bucket, Key=key)
    return len(keys)


def _path_value(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def athena_columns(frame: DataFrame, skip: Iterable[str] = ()) -> tuple[tuple[str, str, str], ...]:
    """Return ``(name, athena_type, "")`` for the columns of ``frame`` (Hive type names)."""
    skipped = set(skip)
    return tuple(
        (f.name, f.dataType.simpleString(), "")
        for f in frame.schema.fields
        if f.name not in skipped
    )
