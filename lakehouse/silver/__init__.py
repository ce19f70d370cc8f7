"""Silver: typed, cleaned tables maintained with MERGE (newest wins, SCD2, quarantine)."""

from lakehouse.silver._build_silver import SilverCounts, build_silver, read_bronze
from lakehouse.silver._merge import merge_newest, merge_replace_rows
from lakehouse.silver._merge_scd2 import merge_scd2, stage_scd2

__all__ = [
    "SilverCounts",
    "build_silver",
    "merge_newest",
    "merge_replace_rows",
    "merge_scd2",
    "read_bronze",
    "stage_scd2",
]
