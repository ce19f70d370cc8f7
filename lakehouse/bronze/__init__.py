"""Bronze: every landed line, appended as it arrived, once per batch."""

from lakehouse.bronze._append import AppendResult, append_bronze
from lakehouse.bronze._build_bronze import FEEDS, BronzeResult, build_bronze

__all__ = [
    "FEEDS",
    "AppendResult",
    "BronzeResult",
    "append_bronze",
    "build_bronze",
]
