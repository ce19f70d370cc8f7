"""The manifest written next to every batch: files, dirt counts and expected outcomes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from goldmine.sales._feeds import Feed, Reason

#: Dirt kinds of DATASET.md section 2, in manifest order.
DIRT_KINDS: tuple[str, ...] = tuple(f"D{i}" for i in range(1, 15))


class FileEntry(BaseModel):
    """One file of the batch as landed.

    ``records`` counts lines, excluding a CSV header.
    """

    model_config = ConfigDict(frozen=True)

    key: str
    feed: Feed
    records: int
    bytes: int
    sha256: str


class BadRecord(BaseModel):
    """A record the pipeline must quarantine, with the expected reason.

    ``line`` is the 1-based physical line of ``key`` (for CSV the header is
    line 1). ``line_no`` is the item's ``line_no`` for item-level reasons and
    ``None`` for record-level ones.
    """

    model_config = ConfigDict(frozen=True)

    feed: Feed
    key: str
    line: int
    order_id: str | None = None
    line_no: int | None = None
    reason: Reason


class DuplicateRecord(BaseModel):
    """An order line repeated byte for byte (D1): ``key``/``line`` repeats the original."""

    model_config = ConfigDict(frozen=True)

    key: str
    line: int
    order_id: str
    updated_at: str
    original_key: str
    original_line: int


class OutOfOrderRecord(BaseModel):
    """An older order record landing after a newer one (D2).

    ``stale_*`` is the older ``placed`` record (listed in the manifest of the batch
    it lands in); ``current_*`` the newer ``shipped`` record that landed before it,
    in an earlier batch or an earlier line. The order must end ``current_status``.
    """

    model_config = ConfigDict(frozen=True)

    order_id: str
    stale_key: str
    stale_line: int
    stale_status: str
    stale_updated_at: str
    current_key: str
    current_line: int
    current_status: str
    current_updated_at: str


class BatchManifest(BaseModel):
    """Everything a test needs to reconcile one batch exactly.

    Attributes
    ----------
    batch_id
        ``YYYYMMDD`` of the ingest date.
    ingest_date
        The business day the batch was exported.
    seed, scale
        The generator inputs.
    files
        Every file landed with this batch (``stores/stores.csv`` with the first).
    dirt_counts
        Instances injected per dirt kind ``D1`` .. ``D14`` (records, items or files).
    bad_record_count, duplicate_count, out_of_order_count
        Lengths of the three lists below (kept when a caller drops the lists).
    bad_records
        One entry per quarantine-worthy record or item, reason by precedence.
    duplicates
        Every exact duplicate line (D1).
    out_of_order
        Every stale record that lands after the newer record of its order (D2).
    """

    model_config = ConfigDict(frozen=True)

    batch_id: str
    ingest_date: dt.date
    seed: int
    scale: float
    files: list[FileEntry]
    dirt_counts: dict[str, int] = Field(default_factory=dict)
    bad_record_count: int = 0
    duplicate_count: int = 0
    out_of_order_count: int = 0
    bad_records: list[BadRecord] = Field(default_factory=list)
    duplicates: list[DuplicateRecord] = Field(default_factory=list)
    out_of_order: list[OutOfOrderRecord] = Field(default_factory=list)

    def without_details(self) -> BatchManifest:
        """Return a copy without the per-record lists (counts stay)."""
        return self.model_copy(update={"bad_records": [], "duplicates": [], "out_of_order": []})

    @property
    def order_lines(self) -> int:
        """Number of lines in the batch's orders file."""
        return sum(f.records for f in self.files if f.feed == "orders")


def manifest_key(batch_id: str) -> str:
    """Return the landing key of a batch manifest."""
    return f"_manifests/manifest-{batch_id}.json"
