"""Land a directory of source exports in the landing bucket, append-only.

The directory is laid out as the landing bucket is (DATASET.md section 1): its relative
paths are the keys. A key outside that layout is refused; a file already landed with
the same bytes is skipped; a different file under a landed key is refused (a landed
batch never changes: a corrected export is a new batch). The layout is the one the
builds read (``goldmine.rules``), so what lands is what they will find.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from goldmine.rules._read_landed import _LAYOUT, _STORES_KEY, STORES_BATCH_ID

Outcome = Literal["landed", "skipped", "refused"]
#: Batch of the keys that follow no layout (they have no batch id).
NO_BATCH = "(not in the layout)"


@dataclass(frozen=True)
class LandedKey:
    """What landing one file did.

    Attributes
    ----------
    key
        The key (the file's path relative to the directory, ``/``-separated).
    outcome
        ``landed`` (uploaded), ``skipped`` (already landed with the same bytes) or
        ``refused``.
    batch_id
        The ``<batch_id>`` of the file name (``stores`` for ``stores/stores.csv``).
    reason
        Why it was refused (one line).
    size
        Bytes of the local file.
    """

    key: str
    outcome: Outcome
    batch_id: str
    reason: str = ""
    size: int = 0


@dataclass(frozen=True)
class LandReport:
    """Every file of one ``land`` run, in key order."""

    bucket: str
    keys: tuple[LandedKey, ...] = field(default_factory=tuple)

    @property
    def refused(self) -> list[LandedKey]:
        """Return the refused files."""
        return [k for k in self.keys if k.outcome == "refused"]

    def by_batch(self) -> dict[str, Counter[str]]:
        """Return ``{batch_id: Counter(landed=, skipped=, refused=)}``, batches sorted."""
        batches: dict[str, Counter[str]] = {}
        for key in self.keys:
            batches.setdefault(key.batch_id, Counter())[key.outcome] += 1
        return dict(sorted(batches.items()))


def batch_of(key: str) -> str | None:
    """Return the batch id of a key of the landing layout, ``None`` for any other key.

    Examples
    --------
    >>> batch_of("sales/orders/ingest_date=2025-01-06/orders-20250106.jsonl")
    '20250106'
    >>> batch_of("stores/stores.csv"), batch_of("sales/orders/orders.jsonl")
    ('stores', None)
    """
    if key == _STORES_KEY:
        return STORES_BATCH_ID
    for pattern, _feed in _LAYOUT:
        match = pattern.match(key)
        if match:
            return match.group(2)
    return None


def _landed_bytes(s3_client: Any, bucket: str, key: str) -> tuple[int, str] | None:
    """Return ``(size, etag)`` of a landed key, ``None`` when nothing is there."""
    try:
        head = s3_client.head_object(Bucket=bucket, Key=key)
    except s3_client.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return int(head["ContentLength"]), str(head.get("ETag", "")).strip('"')


def _same_bytes(s3_client: Any, bucket: str, key: str, data: bytes, etag: str) -> bool:
    if etag == hashlib.md5(data, usedforsecurity=False).hexdigest():
        return True
    landed: bytes = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    return landed == data


def _land_one(s3_client: Any, bucket: str, key: str, path: Path, dry_run: bool) -> LandedKey:
    batch = batch_of(key)
    size = path.stat().st_size
    if batch is None:
        reason = "not in the landing layout (DATASET.md section 1)"
        return LandedKey(key, "refused", NO_BATCH, reason, size)
    landed = _landed_bytes(s3_client, bucket, key)
    if landed is None:
        if not dry_run:
            s3_client.upload_file(str(path), bucket, key)
        return LandedKey(key, "landed", batch, size=size)
    landed_size, etag = landed
    if landed_size == size and _same_bytes(s3_client, bucket, key, path.read_bytes(), etag):
        return LandedKey(key, "skipped", batch, size=size)
    reason = (
        f"differs from the file landed under this key ({landed_size} bytes landed, "
        f"{size} here): landing is append-only, land a correction as a new batch"
    )
    return LandedKey(key, "refused", batch, reason, size)


def land_directory(
    s3_client: Any,
    bucket: str,
    root: Path,
    *,
    dry_run: bool = False,
    progress: Callable[[LandedKey], None] | None = None,
) -> LandReport:
    """Upload every file under ``root`` to ``bucket`` at its relative path, append-only.

    Parameters
    ----------
    s3_client
        A boto3 S3 client (``platform.aws.s3()``).
    bucket
        The landing bucket.
    root
        A directory laid out as the landing bucket (DATASET.md section 1).
    dry_run
        Decide every file but upload none.
    progress
        Called with each file's outcome as it is decided.

    Returns
    -------
    LandReport
        Every file's outcome; refusals never stop the other files.

    Raises
    ------
    NotADirectoryError
        When ``root`` is not a directory.
    """
    root = Path(root)
    if not root.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    outcomes = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        outcome = _land_one(s3_client, bucket, path.relative_to(root).as_posix(), path, dry_run)
        if progress is not None:
            progress(outcome)
        outcomes.append(outcome)
    return LandReport(bucket, tuple(outcomes))
