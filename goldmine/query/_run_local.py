"""The local engine: translated SQL on DuckDB over Arrow datasets of the gold tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

    from goldmine.aws import AwsClients
    from goldmine.query._resolve_tables import ResolvedTable


def run_duckdb(
    sql: str, tables: Sequence[ResolvedTable], aws: AwsClients, *, threads: int = 2
) -> pa.Table:
    """Run DuckDB ``sql`` with each table registered as a view named ``table.view_name``.

    DuckDB scans the Arrow datasets lazily, pushing projections and filters down (a
    filter on a partition column skips the other partitions' files).
    """
    import duckdb

    from goldmine.query._read_tables import read_dataset

    con = duckdb.connect(":memory:", config={"threads": threads})
    try:
        for table in tables:
            con.register(table.view_name, read_dataset(table, aws))
        return con.execute(sql).to_arrow_table()
    finally:
        con.close()
