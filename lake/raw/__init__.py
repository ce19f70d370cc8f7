"""Raw zone: every landed batch copied as-is, checksummed, partitioned by feed and day.

Layout: ``s3://<raw bucket>/<feed>/ingest_date=YYYY-MM-DD/<file as landed>``, plus the
ledger of each batch ``_ledger/ingest/<batch_id>.json`` (files, bytes, sha256; the
batch id is the ``<batch_id>`` of the file names). Objects are
never modified: a rerun with the same bytes is a no-op, other bytes are refused.
"""

from lake.raw._feeds import FEEDS, INGEST_DATE_PART, Feed, ingest_date_of
from lake.raw._ingest import INGEST_STEP, IngestResult, RawFile, ingest_day, list_landed_dates
from lake.raw.tables import RAW_COLUMNS, raw_table_specs

__all__ = [
    "FEEDS",
    "INGEST_DATE_PART",
    "INGEST_STEP",
    "RAW_COLUMNS",
    "Feed",
    "IngestResult",
    "RawFile",
    "ingest_date_of",
    "ingest_day",
    "list_landed_dates",
    "raw_table_specs",
]
