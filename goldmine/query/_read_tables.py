"""Read catalogued tables as Arrow datasets: Delta through delta-rs, Parquet through pyarrow."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

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
    if not endpoint:
        return fs.S3FileSystem(region=options.get("AWS_REGION"))
    parsed = urlparse(endpoint)
    return fs.S3FileSystem(
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
        return _delta_table(table, aws).to_pyarrow_dataset()
    import pyarrow.dataset as pads

    schema = _arrow_schema(table)
    partitioning = None
    if table.partition_keys:
        import pyarrow as pa

        fields = [
            pa.field(name, arrow_type(kind) or pa.string()) for name, kind in table.partition_keys
        ]
        partitioning = pads.partitioning(pa.schema(fields), flavor="hive")
    filesystem = s3_filesystem(aws)
    base = _path(table.location)
    return pads.dataset(
        _data_files(filesystem, base),
        filesystem=filesystem,
        format="parquet",
        partitioning=partitioning,
        partition_base_dir=base,
        schema=schema,
    )


def _data_files(filesystem: Any, base: str) -> list[str]:
    """List the data files under ``base``: no directory markers, no ``_``/``.`` files."""
    from pyarrow import fs

    infos = filesystem.get_file_info(fs.FileSelector(base, recursive=True, allow_not_found=True))
    files = []
    for info in infos:
        if info.type != fs.FileType.File or not info.size:
            continue
        relative = info.path[len(base) :].strip("/")
        if any(part.startswith(("_", ".")) for part in relative.split("/")):
            continue
        files.append(info.path)
    # the local store lists directories as objects too: drop every path that prefixes another
    return sorted(f for f in files if not any(g.startswith(f + "/") for g in files))


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


def _path(location: str) -> str:
    return location.removeprefix("s3://").removeprefix("s3a://").rstrip("/")
