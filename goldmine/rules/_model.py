"""Value types shared by the rules: landed files, per-feed results, reasons, errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

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
    size
        Bytes of the file when known (from the listing); ``None``: ask the store.
    """

    uri: str
    feed: Feed
    batch_id: str
    ingest_date: dt.date | None
    size: int | None = None


@dataclass(frozen=True)
class ObservedCounts:
    """Rows per batch of one reconciliation figure, observed while the build reads them.

    A ``pyspark.sql.Observation`` on a frame the build reads anyway counts the rows
    of each batch that ``where`` selects (:func:`goldmine.rules.observe_batches`), so
    the figure costs no pass of its own; the first action that reads the frame
    whole makes it.

    Attributes
    ----------
    kind
        The figure: ``read`` or ``duplicates``.
    observation
        The ``pyspark.sql.Observation``; metric ``n<i>`` counts ``batches[i]``.
    batches
        The batches counted (a row of another batch is not counted).
    frame
        The rows the figure counts (column ``batch_id``), counted with a Spark job
        instead when the observation is missing or does not balance.
    """

    kind: Literal["read", "duplicates"]
    observation: Any
    batches: tuple[str, ...]
    frame: DataFrame


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
    observed
        Figures observed instead of counted (:class:`ObservedCounts`); when one is
        given, its kind's frame above is not counted again on the fast path.
    """

    feed: Feed
    accepted: DataFrame
    quarantine: DataFrame
    duplicates: DataFrame
    read: DataFrame
    items: DataFrame | None = None
    observed: tuple[ObservedCounts, ...] = ()


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
