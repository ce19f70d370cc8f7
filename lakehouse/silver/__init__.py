"""Silver: typed, cleaned tables maintained with MERGE (newest wins, SCD2, quarantine)."""

from lakehouse.silver._build_silver import (
    SILVER_PLAN,
    SilverCounts,
    build_silver,
    read_bronze,
    silver_counts,
)
from lakehouse.silver._merge import merge_newest, merge_replace_rows
from lakehouse.silver._merge_scd2 import merge_scd2, stage_scd2

__all__ = [
    "SILVER_PLAN",
    "SilverCounts",
    "build_silver",
    "merge_newest",
    "merge_replace_rows",
    "merge_scd2",
    "read_bronze",
    "silver_counts",
    "stage_scd2",
]
