"""Cheap reads of Delta tables through delta-rs (no Spark): row counts from the log, columns.

Delta-rs reads the committed ``_delta_log/N.json`` files (and checkpoints) directly. A
commit claimed in DynamoDB whose ``N.json`` is not written yet (a writer died between
the two, ADR 0023) is not seen until a Spark reader or the next commit finishes it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.aws import AwsClients

log = logging.getLogger(__name__)

#: A table whose live files hold at most this many bytes is read in the driver by
#: :func:`small_frame` (dimensions, a small build's products: ADR 0044).
SMALL_TABLE_BYTES = 2**20


def open_delta(uri: str, storage_options: Mapping[str, str], version: int | None = None) -> Any:
    """Return the ``deltalake.DeltaTable`` at ``uri`` (newest, or ``version``), ``None``: none."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(uri, version=version, storage_options=dict(storage_options))
    except TableNotFoundError:
        return None


def delta_rows(uri: str, storage_options: Mapping[str, str]) -> int:
    """Rows of the Delta table at ``uri`` from its log's file statistics (0 if none)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    table = open_delta(uri, storage_options)
    if table is None:
        return 0
    actions = pa.table(table.get_add_actions(flatten=True))
    if "num_records" not in actions.column_names:
        return 0
    return int(pc.sum(actions["num_records"]).as_py() or 0)


@dataclass(frozen=True)
class DeltaSummary:
    """A Delta table's current version, its live data files and their rows."""

    version: int
    files: int
    rows: int


def delta_summary(uri: str, storage_options: Mapping[str, str]) -> DeltaSummary | None:
    """Return the version, files and rows of the Delta table at ``uri`` (``None``: no table).

    Rows come from the log's file statistics; when a file has none (a writer that keeps
    no statistics), from the Parquet footers of the live files instead: exact either way.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    table = open_delta(uri, storage_options)
    if table is None:
        return None
    actions = pa.table(table.get_add_actions(flatten=True))
    if actions.num_rows and (
        "num_records" not in actions.column_names or actions["num_records"].null_count
    ):
        rows = table.to_pyarrow_dataset().count_rows()
    else:
        rows = int(pc.sum(actions["num_records"]).as_py() or 0) if actions.num_rows else 0
    return DeltaSummary(int(table.version()), actions.num_rows, int(rows))


def count_values(uri: str, column: str, storage_options: Mapping[str, str]) -> dict[str, int]:
    """Count the values of one ``column`` of the Delta table at ``uri`` (empty if none)."""
    table = open_delta(uri, storage_options)
    if table is None:
        return {}
    counts = table.to_pyarrow_table(columns=[column]).column(column).value_counts()
    return {
        str(item["values"].as_py()): int(item["counts"].as_py())
        for item in counts
        if item["values"].as_py() is not None
    }


@dataclass(frozen=True)
class DeltaLogReader:
    """Reads of Delta tables with delta-rs that a build may act on (ADR 0041).

    Under the DynamoDB LogStore (ADR 0023) a commit is claimed in DynamoDB first and
    written to ``_delta_log/N.json`` next. delta-rs lists the log and does not see a
    commit a writer claimed and died before writing (Spark's LogStore writes it on its
    next listing). So each read first asks DynamoDB for the table's newest claim: when
    it is not complete the read answers ``None`` and the caller reads with Spark, which
    finishes the commit. Only the newest claim can be incomplete: a commit finishes the
    one before it first. ``dynamodb`` ``None``: no claims to ask (a table outside the
    LogStore).
    """

    storage_options: Mapping[str, str]
    dynamodb: Any = None
    claims_table: str = ""

    def settled(self, uri: str) -> bool:
        """Whether no commit of the table at ``uri`` is claimed and still unwritten."""
        if self.dynamodb is None:
            return True
        newest = self.dynamodb.query(
            TableName=self.claims_table,
            KeyConditionExpression="tablePath = :t",
            ExpressionAttributeValues={":t": {"S": uri}},
            ScanIndexForward=False,  # file names are zero-padded versions: newest first
            Limit=1,
            ConsistentRead=True,
        )["Items"]
        return not newest or newest[0].get("complete", {}).get("S") == "true"

    def values(self, uri: str, column: str) -> set[Any] | None:
        """Return the distinct values of ``column`` in the table at ``uri``.

        A partition column's values come from the log alone (the live files'
        partition values), another column's from reading that column. Empty when
        there is no table; ``None`` when a commit is claimed and unwritten (read with
        Spark instead).
        """
        from deltalake.exceptions import DeltaError

        if not self.settled(uri):
            return None
        try:
            table = open_delta(uri, self.storage_options)
            if table is None:
                return set()
            if column in table.metadata().partition_columns:
                return {part[column] for part in table.partitions()}
            values = table.to_pyarrow_table(columns=[column]).column(column).unique()
        except DeltaError as error:  # a log delta-rs cannot read: Spark is the authority
            log.warning("reading %s with Spark: delta-rs failed: %s", uri, str(error)[:200])
            return None
        return set(values.to_pylist())

    def small_table(
        self, uri: str, max_bytes: int, version: int | None = None
    ) -> tuple[Any, str] | None:
        """Return the table at ``uri`` as Arrow and its schema (Spark's JSON) when small.

        ``version``: that version (a registered one: written, no claim to ask), else
        the newest. ``None`` when its live files hold more than ``max_bytes``, when
        there is no table, when a commit is claimed and unwritten (newest only), or
        when delta-rs cannot read it: the caller reads it with Spark then.
        """
        import pyarrow as pa
        import pyarrow.compute as pc
        from deltalake.exceptions import DeltaError

        if version is None and not self.settled(uri):
            return None
        try:
            table = open_delta(uri, self.storage_options, version)
            if table is None:
                return None
            sizes = pa.table(table.get_add_actions(flatten=True)).column("size_bytes")
            if (pc.sum(sizes).as_py() or 0) > max_bytes:
                return None
            schema = table.schema().to_json()
            return table.to_pyarrow_table(), schema
        except DeltaError as error:
            log.warning("reading %s with Spark: delta-rs failed: %s", uri, str(error)[:200])
            return None


def delta_log_reader(aws: AwsClients) -> DeltaLogReader:
    """Return the :class:`DeltaLogReader` of ``aws``'s environment (its claims table)."""
    settings = aws.settings
    return DeltaLogReader(aws.storage_options(), aws.client("dynamodb"), settings.delta_log_table)


def small_frame(
    spark: SparkSession,
    uri: str,
    log: DeltaLogReader | None,
    max_bytes: int = SMALL_TABLE_BYTES,
    version: int | None = None,
) -> DataFrame | None:
    """Return the Delta table at ``uri`` as a local frame when it is small (ADR 0044).

    With ``log``, a table whose live files hold at most ``max_bytes`` is read with
    delta-rs and handed to Spark as a local frame with the table's own schema: no Delta
    scan to plan (its snapshot, a "Filtering files" job) in every query that reads it.
    ``None`` (no ``log``, a larger table, a claimed and unwritten commit, a read
    delta-rs cannot do): the caller reads it with Spark.
    """
    import json

    from pyspark.sql.types import StructType

    from goldmine.spark import local_frame

    found = log.small_table(uri, max_bytes, version) if log is not None else None
    if found is None:
        return None
    arrow, schema = found
    struct = StructType.fromJson(json.loads(schema))
    arrow = arrow.select(struct.names)
    rows = list(zip(*(column.to_pylist() for column in arrow.columns), strict=True))
    return local_frame(spark, rows, struct)


def read_delta_table(
    spark: SparkSession, uri: str, log: DeltaLogReader | None = None, version: int | None = None
) -> DataFrame:
    """Return the Delta table at ``uri`` (at ``version``; the newest when ``None``).

    A small one, with ``log``, is a local frame (:func:`small_frame`, ADR 0044); any
    other is Spark's read (``versionAsOf`` when a version is given).
    """
    small = small_frame(spark, uri, log, version=version)
    if small is not None:
        return small
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return reader.load(uri)
