"""The Delta lakehouse: bronze -> silver -> gold with MERGE, SCD2, quarantine, maintenance.

Public surface::

    build_lakehouse(spark, platform, layers=("bronze", "silver", "gold"), batches=None)
    read_gold(platform) -> {"daily_sales": DataFrame, ...}     # pandas, via delta-rs
    register_tables(spark, settings, glue, s3, sts)             # Glue, table_type=DELTA
    optimize_tables / vacuum_table / table_history / restore_table
    TABLES                                                       # grain and keys per table
"""

from lakehouse._build import BuildSummary, build_lakehouse, finished_batches, ledger_uri
from lakehouse._catalog import athena_type, register_tables, table_spec
from lakehouse._maintenance import (
    SAFE_RETENTION_HOURS,
    UnsafeRetentionError,
    optimize_tables,
    restore_table,
    table_history,
    vacuum_table,
)
from lakehouse._tables import LAYERS, TABLES, TableInfo, layer_tables, table
from lakehouse.gold import read_gold

__all__ = [
    "LAYERS",
    "SAFE_RETENTION_HOURS",
    "TABLES",
    "BuildSummary",
    "TableInfo",
    "UnsafeRetentionError",
    "athena_type",
    "build_lakehouse",
    "finished_batches",
    "layer_tables",
    "ledger_uri",
    "optimize_tables",
    "read_gold",
    "register_tables",
    "restore_table",
    "table",
    "table_history",
    "table_spec",
    "vacuum_table",
]
