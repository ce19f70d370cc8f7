"""Register tables in Glue and keep their descriptors with the data."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from goldmine.catalog._partitions import register_partitions, stored_partitions

CATALOG_PREFIX = "_catalog/"


@dataclass(frozen=True)
class TableSpec:
    """A Glue table: name, columns (Athena types), location and properties.

    Parameters
    ----------
    database, name
        Where the table is registered.
    location
        ``s3://bucket/prefix/`` of the data.
    columns
        ``(name, athena_type, comment)`` in table order.
    partition_keys
        Partition columns, same shape as ``columns``.
    table_format
        ``parquet``, ``delta``, ``json`` or ``csv``: decides the SerDe.
    parameters
        Extra table properties (classification, projection, ...).
    """

    database: str
    name: str
    location: str
    columns: tuple[tuple[str, str, str], ...]
    partition_keys: tuple[tuple[str, str, str], ...] = ()
    table_format: str = "parquet"
    parameters: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def bucket(self) -> str:
        """Return the bucket that holds the data (and the descriptor)."""
        return self.location.removeprefix("s3://").split("/", 1)[0]

    def to_table_input(self) -> dict[str, Any]:
        """Return the Glue ``TableInput`` for this table."""
        serde, input_format, output_format = _FORMATS[self.table_format]
        parameters = {"classification": self.table_format, **self.parameters}
        if self.table_format == "delta":
            parameters.setdefault("table_type", "DELTA")
            parameters.setdefault("spark.sql.sources.provider", "delta")
            # Spark's metastore convention, which Trino's Delta Lake connector reads the
            # table's root from (ADR 0017); Athena reads Location.
            serde = {**serde, "Parameters": {**serde.get("Parameters", {}), "path": self.location}}
        return {
            "Name": self.name,
            "Description": self.description,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": parameters,
            "PartitionKeys": [_column(c) for c in self.partition_keys],
            "StorageDescriptor": {
                "Columns": [_column(c) for c in self.columns],
                "Location": self.location,
                "InputFormat": input_format,
                "OutputFormat": output_format,
                "SerdeInfo": serde,
                "Parameters": {k: v for k, v in parameters.items() if k == "compressionType"},
            },
        }


_HIVE_TEXT_OUT = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
_FORMATS: dict[str, tuple[dict[str, Any], str, str]] = {
    "parquet": (
        {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    ),
    # Athena engine v3 reads Delta natively from the table_type parameter; the columns
    # are the real ones (not the `col array<string>` placeholder saveAsTable leaves).
    "delta": (
        {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    ),
    "json": (
        {"SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe"},
        "org.apache.hadoop.mapred.TextInputFormat",
        _HIVE_TEXT_OUT,
    ),
    "csv": (
        {
            "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
            "Parameters": {"separatorChar": ",", "quoteChar": '"', "escapeChar": "\\"},
        },
        "org.apache.hadoop.mapred.TextInputFormat",
        _HIVE_TEXT_OUT,
    ),
}


def _column(column: tuple[str, str, str]) -> dict[str, str]:
    name, athena_type, comment = column
    return {"Name": name, "Type": athena_type, "Comment": comment}


def ensure_database(glue: Any, database: str, description: str = "") -> None:
    """Create a Glue database if it does not exist."""
    try:
        glue.create_database(DatabaseInput={"Name": database, "Description": description})
    except ClientError as error:
        if not _already_exists(error):
            raise


def _already_exists(error: ClientError) -> bool:
    """Whether Glue said the database or table exists (another run, or thread, made it).

    Matched by the error code, not by ``glue.exceptions.AlreadyExistsException``: a
    client used by threads at once may build its exception classes twice (botocore
    creates them lazily, unlocked), and the class raised is then not the one caught.
    """
    return _error_code(error) == "AlreadyExistsException"


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def register_table(glue: Any, s3: Any, spec: TableSpec) -> bool:
    """Create or update ``spec`` in Glue and store its descriptor next to the data.

    A table Glue already holds as ``spec`` says, whose descriptor is stored as it would
    be written, is left as it is: two reads instead of four requests that write (a
    build of a new batch registers every table of its layers again). Returns whether
    anything was written.
    """
    table_input = spec.to_table_input()
    key = f"{CATALOG_PREFIX}{spec.database}/{spec.name}.json"
    body = json.dumps(
        {"database": spec.database, "table_input": table_input}, indent=2, sort_keys=True
    ).encode()
    if _held_as(glue, spec.database, table_input) and _stored(s3, spec.bucket, key, body):
        return False
    _upsert(glue, spec.database, table_input)
    s3.put_object(Bucket=spec.bucket, Key=key, Body=body, ContentType="application/json")
    return True


def _held_as(glue: Any, database: str, table_input: dict[str, Any]) -> bool:
    """Whether Glue's table says everything ``table_input`` says (Glue adds fields)."""
    try:
        table = glue.get_table(DatabaseName=database, Name=table_input["Name"])["Table"]
    except ClientError as error:
        if _error_code(error) == "EntityNotFoundException":
            return False
        raise
    return _says(table, table_input)


def _says(held: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(held, dict) and all(
            k in held and _says(held[k], v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(held, list)
            and len(held) == len(wanted)
            and all(_says(h, w) for h, w in zip(held, wanted, strict=True))
        )
    return bool(held == wanted)


def _stored(s3: Any, bucket: str, key: str, body: bytes) -> bool:
    """Whether the object at ``key`` holds exactly ``body``."""
    try:
        stored: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if _error_code(error) in ("NoSuchKey", "404"):
            return False
        raise
    return stored == body


def sync_catalog(glue: Any, s3: Any, buckets: Iterable[str]) -> list[str]:
    """Re-register in Glue every table whose descriptor is stored in ``buckets``.

    The partitions of hive-partitioned Parquet tables are registered again from the
    ``key=value/`` prefixes in storage.

    Returns
    -------
    list of str
        ``database.table`` names registered, in order.
    """
    registered = []
    for bucket in buckets:
        for key in _list_keys(s3, bucket, CATALOG_PREFIX):
            if not key.endswith(".json"):
                continue
            descriptor = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            database, table_input = descriptor["database"], descriptor["table_input"]
            ensure_database(glue, database)
            _upsert(glue, database, table_input)
            _restore_partitions(glue, s3, database, table_input)
            registered.append(f"{database}.{table_input['Name']}")
    return registered


def _restore_partitions(glue: Any, s3: Any, database: str, table_input: dict[str, Any]) -> None:
    """Register the partitions found in storage of a hive-partitioned Parquet table.

    Delta tables (their log lists the files) and tables with partition projection (the
    raw zone) have no partitions in Glue.
    """
    keys = [k["Name"] for k in table_input.get("PartitionKeys", [])]
    parameters = table_input.get("Parameters", {})
    if not keys or parameters.get("table_type") == "DELTA":
        return
    if parameters.get("projection.enabled") == "true":
        return
    location = table_input["StorageDescriptor"]["Location"]
    register_partitions(glue, database, table_input, stored_partitions(s3, location, keys))


def _upsert(glue: Any, database: str, table_input: dict[str, Any], *, tried: bool = False) -> None:
    """Create the table, or update it when it exists; create its database when missing.

    The database is created only when Glue says it is not there (``EntityNotFound``
    on the table's creation), not asked for before each table.
    """
    try:
        glue.create_table(DatabaseName=database, TableInput=table_input)
    except ClientError as error:
        if _error_code(error) == "EntityNotFoundException" and not tried:
            ensure_database(glue, database)
            _upsert(glue, database, table_input, tried=True)
            return
        if not _already_exists(error):
            raise
        glue.update_table(DatabaseName=database, TableInput=table_input)


def _list_keys(s3: Any, bucket: str, prefix: str) -> Iterable[str]:
    try:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                yield obj["Key"]
    except s3.exceptions.NoSuchBucket:
        return
