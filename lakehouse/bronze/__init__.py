"""Bronze: every landed line, appended as it arrived, once per batch."""

from lakehouse.bronze._append import AppendResult, append_bronze, bronze_app_id
from lakehouse.bronze._build_bronze import FEEDS, BronzeResult, build_bronze

__all__ = [
    "FEEDS",
    "AppendResult",
    "BronzeResult",
    "append_bronze",
    "bronze_app_id",
    "build_bronze",
]
