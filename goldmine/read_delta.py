"""Cheap reads of Delta tables through delta-rs (no Spark): row counts from the log, columns.

Delta-rs reads the committed ``_delta_log/N.json`` files (and checkpoints) directly. A
commit claimed in DynamoDB whose ``N.json`` is not written yet (a writer died between
the two, ADR 0023) is not seen until a Spark reader or the next commit finishes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


def open_delta(uri: str, storage_options: Mapping[str, str]) -> Any:
    """Return the ``deltalake.DeltaTable`` at ``uri``, ``None`` when there is none."""
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        return DeltaTable(uri, storage_options=dict(storage_options))
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
