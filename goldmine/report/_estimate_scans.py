"""Bytes Athena would scan to answer each standard question on each build.

Athena reads Parquet by column chunk: a query pays for the compressed chunks of the
columns it names, in every data file of every table it reads. The estimate sums those
chunk sizes from the files' footers (no data is read) for the files a full read of each
table touches (``goldmine.query.list_table_files``: a Delta table's current files, a
Parquet table's listing). Partition and row-group pruning are not applied, so for a
query that filters on a partition key the figure is an upper bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from goldmine.report._model import QueryScan

if TYPE_CHECKING:
    from sqlglot import exp

    from goldmine.platform import Platform
    from goldmine.query import ResolvedTable, StandardQuery


def named_columns(query: exp.Query) -> set[str] | None:
    """Return the lower-cased column names ``query`` mentions; ``None`` for ``SELECT *``.

    Examples
    --------
    >>> from goldmine.query import parse_select
    >>> sorted(named_columns(parse_select("SELECT a, SUM(b) FROM t WHERE c > 1 GROUP BY a")))
    ['a', 'b', 'c']
    >>> named_columns(parse_select("SELECT * FROM t")) is None
    True
    """
    from sqlglot import exp

    if any(isinstance(star, exp.Star) for star in query.find_all(exp.Star)):
        return None
    names = {column.name.lower() for column in query.find_all(exp.Column)}
    for join in query.find_all(exp.Join):  # JOIN ... USING (a, b) names identifiers
        names.update(ident.name.lower() for ident in join.args.get("using") or [])
    return names


def column_chunk_bytes(filesystem: Any, path: str) -> dict[str, int]:
    """Return the compressed bytes per top-level column of the Parquet file at ``path``."""
    import pyarrow.parquet as pq

    with filesystem.open_input_file(path) as handle:
        meta = pq.ParquetFile(handle).metadata
    sizes: dict[str, int] = {}
    for group in range(meta.num_row_groups):
        row_group = meta.row_group(group)
        for index in range(row_group.num_columns):
            chunk = row_group.column(index)
            name = chunk.path_in_schema.split(".", 1)[0].lower()
            sizes[name] = sizes.get(name, 0) + int(chunk.total_compressed_size)
    return sizes


class _Footers:
    """Column chunk sizes per data file, each footer read once per collection."""

    def __init__(self, platform: Platform) -> None:
        from goldmine.query import s3_filesystem

        self._platform = platform
        self._filesystem = s3_filesystem(platform.aws)
        self._sizes: dict[str, dict[str, int]] = {}
        self._files: dict[str, tuple[str, ...]] = {}

    def table_bytes(self, table: ResolvedTable, columns: set[str] | None) -> int:
        from goldmine.query import list_table_files

        if table.qualified_name not in self._files:
            listed = list_table_files(table, self._platform.aws).files
            self._files[table.qualified_name] = tuple(listed)
        total = 0
        for uri in self._files[table.qualified_name]:
            path = uri.removeprefix("s3://").removeprefix("s3a://")
            if path not in self._sizes:
                self._sizes[path] = column_chunk_bytes(self._filesystem, path)
            sizes = self._sizes[path]
            total += (
                sum(sizes.values())
                if columns is None
                else sum(size for name, size in sizes.items() if name in columns)
            )
        return total


def estimate_scans(
    platform: Platform, build: str, queries: Iterable[StandardQuery]
) -> tuple[QueryScan, ...]:
    """Return the bytes Athena would scan for each of ``queries`` on ``build``.

    A question whose tables the build does not have (not built yet) is left out.
    """
    from goldmine.query import QueryError, parse_select, plan_query

    footers = _Footers(platform)
    scans = []
    for query in queries:
        try:
            plan = plan_query(platform, query.sql, build, "athena")
        except QueryError:
            continue
        columns = named_columns(parse_select(query.sql))
        scanned = sum(footers.table_bytes(table, columns) for table in plan.tables)
        scans.append(QueryScan(query.name, query.question, scanned))
    return tuple(scans)
