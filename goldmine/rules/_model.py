"""Value types shared by the rules: landed files, per-feed results, reasons, errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from goldmine.sales import Feed

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


#: Columns of every quarantine DataFrame, in this order.
QUARANTINE_COLUMNS: tuple[str, ...] = (
    "feed",
    "batch_id",
    "source_file",
    "line_number",
    "order_id",
    "line_no",
    "reason",
    "raw",
)


class ReconciliationError(RuntimeError):
    """Records read differ from accepted + quarantined + duplicates dropped."""


@dataclass(frozen=True)
class LandedFile:
    """One landed source file.

    Attributes
    ----------
    uri
        ``s3://bucket/key`` of the file.
    feed
        ``orders``, ``customers``, ``products``, ``stores`` or ``fx_rates``.
    batch_id
        Batch the file belongs to (from the file name; ``stores.csv``: the
        ``batch_id`` passed by the caller or ``"stores"``).
    ingest_date
        The ``ingest_date=`` partition of the key (``None`` for ``stores.csv``).
    """

    uri: str
    feed: Feed
    batch_id: str
    ingest_date: dt.date | None


@dataclass(frozen=True)
class FeedResult:
    """Outcome of cleaning one feed of one or more batches.

    Attributes
    ----------
    feed
        The feed cleaned.
    accepted
        The accepted records, typed (grain and columns: see the cleaning function).
    quarantine
        Quarantined records, columns :data:`QUARANTINE_COLUMNS`.
    duplicates
        Dropped exact duplicates (D1), columns ``batch_id, source_file,
        line_number, order_id, updated_at`` (empty for the CSV feeds).
    read
        Records read per batch: the raw lines, CSV headers excluded; columns
        ``batch_id, read``.
    items
        Orders only: one row per item of an accepted record (else ``None``).
    """

    feed: Feed
    accepted: DataFrame
    quarantine: DataFrame
    duplicates: DataFrame
    read: DataFrame
    items: DataFrame | None = None


@dataclass(frozen=True)
class BatchCounts:
    """Reconciliation figures of one batch and feed (DATASET.md section 2)."""

    batch_id: str
    feed: Feed
    read: int
    accepted: int
    quarantined: int
    duplicates: int

    @property
    def balanced(self) -> bool:
        """Whether read = accepted + quarantined + duplicates."""
        return self.read == self.accepted + self.quarantined + self.duplicates
