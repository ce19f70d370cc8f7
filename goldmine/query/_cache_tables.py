"""Keep each table's data in the process between queries, keyed by what the table is now.

A local query spends most of its time outside DuckDB if every query loads the Delta log,
lists the Parquet files and reads the data again. Within one process the local engine
therefore keeps, per table location, the data it last read together with a *content key*:

- Delta: the listing of ``_delta_log/`` (every commit and checkpoint file with its size,
  ETag and modification time). Any commit, overwrite, vacuum or re-creation changes it.
- Parquet: the listing of the data files (path, size, ETag, modification time), plus the
  catalog's column types the dataset is read with. The ETag (a hash of the content for
  single-part uploads) catches a file rewritten in place within the same second.

Each query lists again (one S3 LIST per table, a few milliseconds) and reuses the cached
data only when the key is unchanged, so a query never sees stale data. Tables whose data
files total at most ``max_bytes`` (the gold tables: aggregated, small) are held as
in-memory Arrow tables; larger ones as lazy pyarrow datasets, which DuckDB scans with
projection and filter push-down (partition pruning).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.query._read_tables import (
    data_files,
    delta_dataset,
    list_data_files,
    parquet_dataset,
    s3_filesystem,
    s3_path,
)

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from goldmine.aws import AwsClients
    from goldmine.query._resolve_tables import ResolvedTable

#: Tables whose data files total at most this many bytes are held in memory.
MAX_MATERIALIZED_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class _Entry:
    key: tuple[Any, ...]
    data: pa.Table | ds.Dataset


class TableCache:
    """Per-process cache of table data keyed by location and content key (thread-safe).

    Parameters
    ----------
    max_bytes
        Largest total size of data files held in memory as an Arrow table; larger
        tables are cached as lazy datasets.
    filesystem
        The pyarrow filesystem to list and read with (default: the environment's S3,
        ``s3_filesystem``); tests pass a local one.
    """

    def __init__(self, max_bytes: int = MAX_MATERIALIZED_BYTES, filesystem: Any = None) -> None:
        self.max_bytes = max_bytes
        self.filesystem = filesystem
        self._entries: dict[tuple[Any, ...], _Entry] = {}
        self._filesystems: dict[tuple[Any, ...], Any] = {}
        self._s3_clients: dict[tuple[Any, ...], Any] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def data(self, table: ResolvedTable, aws: AwsClients) -> pa.Table | ds.Dataset:
        """Return ``table``'s current data: from the cache when its content is unchanged."""
        options = aws.storage_options()
        where: tuple[Any, ...] = (
            table.table_format,
            table.location.rstrip("/"),
            *sorted(options.items()),
        )
        filesystem = self._filesystem(where[2:], aws)
        base = s3_path(table.location)
        schema_key = (table.columns, table.partition_keys)
        if table.table_format == "delta":
            log = self._listing(where[2:], aws, f"{base}/_delta_log", skip_hidden=False)
            key: tuple[Any, ...] = (log, schema_key)
        else:
            files = self._listing(where[2:], aws, base, skip_hidden=True)
            key = (files, schema_key)
        with self._lock:
            entry = self._entries.get(where)
            if entry is not None and entry.key == key:
                self.hits += 1
                return entry.data
        if table.table_format == "delta":
            dataset, size = delta_dataset(table, aws)
        else:
            dataset = parquet_dataset(table, filesystem, [path for path, _, _ in files])
            size = sum(file_size for _, file_size, _ in files)
        data: pa.Table | ds.Dataset = dataset.to_table() if size <= self.max_bytes else dataset
        with self._lock:
            self.misses += 1
            self._entries[where] = _Entry(key, data)
        return data

    def clear(self) -> None:
        """Forget every cached table."""
        with self._lock:
            self._entries.clear()

    def _listing(
        self, options: tuple[Any, ...], aws: AwsClients, base: str, *, skip_hidden: bool
    ) -> _Listing:
        """Return ``(path, size, version tag)`` of the data files under ``base``.

        On S3 the tag is the ETag and modification time (one ListObjectsV2 per 1,000
        files); on another filesystem the modification time in nanoseconds.
        """
        if self.filesystem is not None:
            infos = list_data_files(self.filesystem, base, skip_hidden=skip_hidden)
            return tuple((i.path, int(i.size), str(i.mtime_ns)) for i in infos)
        with self._lock:
            s3 = self._s3_clients.get(options)
            if s3 is None:
                s3 = self._s3_clients[options] = aws.s3()
        bucket, _, prefix = base.partition("/")
        objects: dict[str, tuple[int, str]] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=f"{prefix}/"
        ):
            for item in page.get("Contents", []):
                tag = f"{item.get('ETag', '')}@{item.get('LastModified', '')}"
                objects[f"{bucket}/{item['Key']}"] = (int(item.get("Size", 0)), tag)
        kept = data_files(((p, size) for p, (size, _) in objects.items()), base, skip_hidden)
        return tuple((path, *objects[path]) for path in kept)

    def _filesystem(self, options: tuple[Any, ...], aws: AwsClients) -> Any:
        if self.filesystem is not None:
            return self.filesystem
        with self._lock:
            filesystem = self._filesystems.get(options)
            if filesystem is None:
                filesystem = self._filesystems[options] = s3_filesystem(aws)
            return filesystem


_Listing = tuple[tuple[str, int, str], ...]


#: The local engine's cache (one per process).
TABLE_CACHE = TableCache()
