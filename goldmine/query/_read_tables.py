"""Read catalogued tables as Arrow datasets: Delta through delta-rs, Parquet through pyarrow."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from goldmine.aws import S3_MAX_ATTEMPTS

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from goldmine.aws import AwsClients
    from goldmine.query._resolve_tables import ResolvedTable

_DECIMAL = re.compile(r"^decimal\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True)
class TableFiles:
    """What a table read touches: data files, partitions and (Delta) version."""

    files: tuple[str, ...]
    partitions: tuple[str, ...]
    version: int | None = None


def arrow_type(athena_type: str) -> pa.DataType | None:
    """Return the Arrow type of an Athena column type, ``None`` when not a plain scalar."""
    import pyarrow as pa

    text = athena_type.strip().lower()
    match = _DECIMAL.match(text)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    scalars = {
        "string": pa.string(),
        "varchar": pa.string(),
        "bigint": pa.int64(),
        "int": pa.int32(),
        "integer": pa.int32(),
        "smallint": pa.int16(),
        "tinyint": pa.int8(),
        "double": pa.float64(),
        "float": pa.float32(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }
    return scalars.get(text)


def s3_filesystem(aws: AwsClients) -> Any:
    """Return pyarrow's S3 filesystem pointed at the environment's object store."""
    from pyarrow import fs

    options = aws.storage_options()
    endpoint = options.get("AWS_ENDPOINT_URL")
    retries = fs.AwsStandardS3RetryStrategy(max_attempts=S3_MAX_ATTEMPTS)
    if not endpoint:
        return fs.S3FileSystem(region=options.get("AWS_REGION"), retry_strategy=retries)
    parsed = urlparse(endpoint)
    return fs.S3FileSystem(
        retry_strategy=retries,
        access_key=options["AWS_ACCESS_KEY_ID"],
        secret_key=options["AWS_SECRET_ACCESS_KEY"],
        region=options.get("AWS_REGION"),
        endpoint_override=parsed.netloc,
        scheme=parsed.scheme or "http",
        allow_bucket_creation=False,
    )


def read_dataset(table: ResolvedTable, aws: AwsClients) -> ds.Dataset:
    """Return ``table`` as a pyarrow dataset with the catalog's column types.

    Delta tables are read at their latest version through delta-rs; Parquet tables as a
    hive-partitioned dataset over pyarrow's S3 filesystem.
    """
    if table.table_format == "delta":
        return delta_dataset(table, aws)[0]
    filesystem = s3_filesystem(aws)
    files = list_data_files(filesystem, s3_path(table.location))
    return parquet_dataset(table, filesystem, [f.path for f in files])


def delta_dataset(table: ResolvedTable, aws: AwsClients) -> tuple[ds.Dataset, int]:
    """Return a Delta table's latest version as a pyarrow dataset and its data bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    delta = _delta_table(table, aws)
    actions = pa.table(delta.get_add_actions(flatten=True))
    size = int(pc.sum(actions.column("size_bytes")).as_py() or 0) if len(actions) else 0
    return delta.to_pyarrow_dataset(), size


def parquet_dataset(table: ResolvedTable, filesystem: Any, files: list[str]) -> ds.Dataset:
    """Return the Parquet ``files`` of ``table`` as a hive-partitioned dataset."""
    import pyarrow as pa
    import pyarrow.dataset as pads

    partitioning = None
    if table.partition_keys:
        fields = [
            pa.field(name, arrow_type(kind) or pa.string()) for name, kind in table.partition_keys
        ]
        partitioning = pads.partitioning(pa.schema(fields), flavor="hive")
    return pads.dataset(
        files,
        filesystem=filesystem,
        format="parquet",
        partitioning=partitioning,
        partition_base_dir=s3_path(table.location),
        schema=_arrow_schema(table),
    )


def list_data_files(filesystem: Any, base: str, *, skip_hidden: bool = True) -> list[Any]:
    """List the files under ``base`` (``FileInfo``s, sorted by path).

    Directory markers and empty objects are dropped and, with ``skip_hidden``, every
    path with a ``_``- or ``.``-prefixed part below ``base`` (Delta logs, markers).
    """
    from pyarrow import fs

    infos = filesystem.get_file_info(fs.FileSelector(base, recursive=True, allow_not_found=True))
    files = {i.path: i for i in infos if i.type == fs.FileType.File}
    kept = data_files(((path, info.size) for path, info in files.items()), base, skip_hidden)
    return [files[path] for path in kept]


def data_files(
    objects: Iterable[tuple[str, int | None]], base: str, skip_hidden: bool = True
) -> list[str]:
    """Return the data files among ``(path, size)`` objects under ``base``, sorted.

    Directory markers (empty objects, keys ending in ``/``, keys that prefix others) are
    dropped and, with ``skip_hidden``, every path with a ``_``- or ``.``-prefixed part
    below ``base``.
    """
    files = []
    for path, size in objects:
        if not size or path.endswith("/"):
            continue
        relative = path[len(base) :].strip("/")
        if skip_hidden and any(part.startswith(("_", ".")) for part in relative.split("/")):
            continue
        files.append(path)
    # the local store lists directories as objects too: drop every path that prefixes another
    parents = {f.rsplit("/", n)[0] for f in files for n in range(1, f.count("/") + 1)}
    return sorted(f for f in files if f not in parents)


def list_table_files(table: ResolvedTable, aws: AwsClients) -> TableFiles:
    """Return the data files and partitions a full read of ``table`` touches."""
    if table.table_format == "delta":
        delta = _delta_table(table, aws)
        files = tuple(delta.file_uris())
        partition_columns = delta.metadata().partition_columns
        parts = (
            sorted(
                {
                    "/".join(f"{k}={v}" for k, v in sorted(p.items()))
                    for p in _delta_partitions(delta)
                }
            )
            if partition_columns
            else []
        )
        return TableFiles(files=files, partitions=tuple(parts), version=delta.version())
    dataset = read_dataset(table, aws)
    files = tuple(f"s3://{f}" for f in dataset.files)
    names = {name for name, _ in table.partition_keys}
    parts = sorted(
        {
            "/".join(seg for seg in f.split("/") if seg.split("=", 1)[0] in names and "=" in seg)
            for f in dataset.files
        }
        - {""}
    )
    return TableFiles(files=files, partitions=tuple(parts))


def _delta_table(table: ResolvedTable, aws: AwsClients) -> Any:
    from deltalake import DeltaTable

    return DeltaTable(table.location.rstrip("/"), storage_options=aws.storage_options())


def _delta_partitions(delta: Any) -> list[dict[str, Any]]:
    try:
        return list(delta.partitions())
    except Exception:  # older delta-rs without partitions()
        return []


def _arrow_schema(table: ResolvedTable) -> pa.Schema | None:
    import pyarrow as pa

    fields = []
    for name, kind in table.columns + table.partition_keys:
        dtype = arrow_type(kind)
        if dtype is None:
            return None  # nested types: let pyarrow read the file schema
        fields.append(pa.field(name, dtype))
    return pa.schema(fields)


def s3_path(location: str) -> str:
    """Return ``bucket/prefix`` of an ``s3://`` (or ``s3a://``) location, no trailing slash."""
    return location.removeprefix("s3://").removeprefix("s3a://").rstrip("/")
