"""Copy the landed batches of one ingest date, byte for byte, into the raw zone."""

from __future__ import annotations

import datetime as dt
import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from goldmine.landing import batch_of
from goldmine.rules import check_encoding
from lake._errors import NothingLandedError, RawConflictError
from lake._ledger import list_objects, read_ledger, write_ledger
from lake.raw._feeds import FEEDS, STORES_LANDING_KEY, ingest_date_of

INGEST_STEP = "ingest"
#: Landed files copied into the raw zone at once (the S3 requests of a day's files).
COPIES_AT_ONCE = 8


@dataclass(frozen=True)
class RawFile:
    """One landed file and its raw copy."""

    feed: str
    landing_key: str
    raw_key: str
    bytes: int
    sha256: str
    lines: int = 0
    problem: str | None = None


@dataclass(frozen=True)
class IngestResult:
    """What one ingest run did: files copied, files already there, bytes."""

    batch_id: str
    ingest_date: dt.date
    files: tuple[RawFile, ...]
    copied: tuple[str, ...] = field(default=())

    @property
    def skipped(self) -> int:
        """Files whose identical raw copy already existed (a rerun skips them all)."""
        return len(self.files) - len(self.copied)

    @property
    def bytes(self) -> int:
        """Bytes of the batch's files."""
        return sum(f.bytes for f in self.files)


def list_landed_dates(s3: Any, landing_bucket: str) -> list[dt.date]:
    """Return every ingest date with at least one landed file of a dated feed."""
    dates: set[dt.date] = set()
    for feed in FEEDS.values():
        if feed.name == "stores":
            continue
        for key, _ in list_objects(s3, landing_bucket, feed.landing_prefix):
            day = ingest_date_of(key)
            if day is not None:
                dates.add(day)
    return sorted(dates)


def ingest_day(
    s3: Any, landing_bucket: str, raw_bucket: str, ingest_date: dt.date
) -> list[IngestResult]:
    """Copy every file landed for ``ingest_date`` into the raw zone, unchanged.

    Each file goes to ``<feed>/ingest_date=D/<file>`` with its sha256 as object
    metadata; the stores file (no date in its landing path) is copied under ``D``
    only when its content is not already in the raw zone. Files are grouped by the
    ``<batch_id>`` of their names (DATASET.md section 1: several batches may share an
    ingest date); each batch's ledger ``_ledger/ingest/<batch_id>.json`` is written
    last and lists every raw file of the batch so far (a file that lands later joins
    it, and the build sees the batch grew).

    Parameters
    ----------
    s3
        A boto3 S3 client.
    landing_bucket, raw_bucket
        Source and target buckets.
    ingest_date
        The ``ingest_date=`` partition to copy.

    Returns
    -------
    list of IngestResult
        One per batch of the date, in batch id order.

    Raises
    ------
    NothingLandedError
        When no dated file landed for ``ingest_date``.
    RawConflictError
        When a raw object exists with different bytes (raw is never modified).
    """
    landed = [f for f in _landed_files(s3, landing_bucket, ingest_date) if batch_of(f[1])]
    if not landed:
        raise NothingLandedError(
            f"nothing landed for {ingest_date.isoformat()} in s3://{landing_bucket}/ "
            f"(expected e.g. {FEEDS['orders'].landing_partition(ingest_date)}*)"
        )
    by_batch: dict[str, list[tuple[str, str, str]]] = {}
    for feed, landing_key, raw_key in landed:
        by_batch.setdefault(str(batch_of(landing_key)), []).append((feed, landing_key, raw_key))
    ledgers = {b: read_ledger(s3, raw_bucket, INGEST_STEP, b) or {} for b in sorted(by_batch)}
    stores = _stores_file(s3, landing_bucket, raw_bucket, ingest_date)
    if stores is not None:
        by_batch[_stores_batch(ledgers, stores[2])].append(stores)
    results = []
    for batch_id, files_landed in sorted(by_batch.items()):
        files, copied = _copy_files(s3, landing_bucket, raw_bucket, files_landed)
        earlier = ledgers[batch_id]
        mine = {f.raw_key for f in files}
        kept = [f for f in earlier.get("files", []) if f["raw_key"] not in mine]
        write_ledger(
            s3,
            raw_bucket,
            INGEST_STEP,
            batch_id,
            {
                "batch_id": batch_id,
                "ingest_date": min(
                    d for d in (earlier.get("ingest_date"), ingest_date.isoformat()) if d
                ),
                "files": sorted(
                    [*kept, *(f.__dict__ for f in files)], key=lambda f: str(f["raw_key"])
                ),
            },
        )
        results.append(IngestResult(batch_id, ingest_date, tuple(files), tuple(copied)))
    return results


def _copy_files(
    s3: Any, landing_bucket: str, raw_bucket: str, landed: list[tuple[str, str, str]]
) -> tuple[list[RawFile], list[str]]:
    """Copy the ``(feed, landing_key, raw_key)`` files not in raw yet; return all and the copied.

    The files are copied :data:`COPIES_AT_ONCE` at a time (each is a GET, a HEAD and
    maybe a PUT: waits on the store); the results keep the order of ``landed``. A
    conflict is raised once every other file was copied (each an object of its own;
    the batch's ledger, written after, is not).
    """
    with ThreadPoolExecutor(COPIES_AT_ONCE, thread_name_prefix="goldmine-ingest") as pool:
        done = list(pool.map(lambda f: _copy_file(s3, landing_bucket, raw_bucket, *f), landed))
    return [file for file, _ in done], [file.raw_key for file, copied in done if copied]


def _copy_file(
    s3: Any, landing_bucket: str, raw_bucket: str, feed: str, landing_key: str, raw_key: str
) -> tuple[RawFile, bool]:
    """Copy one landed file into raw unless it is there; return it and whether it was copied."""
    body = s3.get_object(Bucket=landing_bucket, Key=landing_key)["Body"].read()
    digest = hashlib.sha256(body).hexdigest()
    existing = _raw_sha256(s3, raw_bucket, raw_key)
    if existing is None:
        s3.put_object(Bucket=raw_bucket, Key=raw_key, Body=body, Metadata={"sha256": digest})
    elif existing != digest:
        raise RawConflictError(
            f"s3://{raw_bucket}/{raw_key} already holds other bytes (sha256 {existing[:12]}"
            f" != landed {digest[:12]}); raw objects are never modified: land the "
            "correction as a new batch"
        )
    problem = check_encoding(body)
    lines = body.count(b"\n") + (1 if body and not body.endswith(b"\n") else 0)
    return RawFile(feed, landing_key, raw_key, len(body), digest, lines, problem), existing is None


def _stores_batch(ledgers: dict[str, dict[str, Any]], raw_key: str) -> str:
    """Return the batch the stores list goes with: the one whose ledger has it, else the first.

    ``ledgers``: the ingest ledger of each batch of the date (empty when none yet), in
    batch id order.
    """
    for batch_id, entry in ledgers.items():
        if any(f["raw_key"] == raw_key for f in entry.get("files", [])):
            return batch_id
    return next(iter(ledgers))


def _landed_files(s3: Any, bucket: str, ingest_date: dt.date) -> list[tuple[str, str, str]]:
    found = []
    for feed in FEEDS.values():
        if feed.name == "stores":
            continue
        for key, _ in sorted(list_objects(s3, bucket, feed.landing_partition(ingest_date))):
            if key.endswith("/"):
                continue
            name = key.rsplit("/", 1)[-1]
            found.append((feed.name, key, feed.raw_key(ingest_date, name)))
    return found


def _stores_file(
    s3: Any, landing_bucket: str, raw_bucket: str, ingest_date: dt.date
) -> tuple[str, str, str] | None:
    """Return the stores file to copy under ``ingest_date``, if its content is new."""
    feed = FEEDS["stores"]
    own_key = feed.raw_key(ingest_date, "stores.csv")
    try:
        body = s3.get_object(Bucket=landing_bucket, Key=STORES_LANDING_KEY)["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    digest = hashlib.sha256(body).hexdigest()
    for key, _ in list_objects(s3, raw_bucket, f"{feed.name}/"):
        if key != own_key and _raw_sha256(s3, raw_bucket, key) == digest:
            return None  # this content is already in the raw zone, under another day
    return feed.name, STORES_LANDING_KEY, own_key


def _raw_sha256(s3: Any, bucket: str, key: str) -> str | None:
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
            return None
        raise
    recorded = head.get("Metadata", {}).get("sha256")
    if recorded:
        return str(recorded)
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return hashlib.sha256(body).hexdigest()
