"""Bronze: every landed line, appended as it arrived, once per batch."""

from lakehouse.bronze._append import AppendResult, append_bronze, bronze_app_id

__all__ = ["AppendResult", "append_bronze", "bronze_app_id"]
