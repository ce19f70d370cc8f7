"""Raw zone: every landed batch copied as-is, checksummed, partitioned by feed and day.

Layout: ``s3://<raw bucket>/<feed>/ingest_date=YYYY-MM-DD/<file as landed>``, plus the
batch ledger ``_ledger/ingest/<batch_id>.json`` (files, bytes, sha256). Objects are
never modified: a rerun with the same bytes is a no-op, other bytes are refused.
"""

from lake.raw._feeds import FEEDS, Feed, batch_id_of, date_of_batch
from lake.raw._ingest import INGEST_STEP, IngestResult, RawFile, ingest_batch, list_landed_dates
from lake.raw.tables import RAW_COLUMNS, raw_table_specs

__all__ = [
    "FEEDS",
    "INGEST_STEP",
    "RAW_COLUMNS",
    "Feed",
    "IngestResult",
    "RawFile",
    "batch_id_of",
    "date_of_batch",
    "ingest_batch",
    "list_landed_dates",
    "raw_table_specs",
]
