"""Ledgers: one small JSON object per batch and step, stored in the zone it describes.

``_ledger/ingest/<batch_id>.json`` in the raw bucket lists the files copied and their
sha256; ``_ledger/build/<batch_id>.json`` in the curated bucket records that a batch was
built, the raw files it read and its row counts (a batch whose ingest ledger has a
file its build ledger lacks is pending again). A ledger is written last, so a step
that failed half-way has no ledger and is redone; a ledger is rewritten only when its
content changes, so a rerun leaves its ETag unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

LEDGER_PREFIX = "_ledger/"


def ledger_key(step: str, batch_id: str) -> str:
    """Return the key of ``step``'s ledger for ``batch_id`` (``_ledger/ingest/20250106.json``)."""
    return f"{LEDGER_PREFIX}{step}/{batch_id}.json"


def encode_ledger(entry: dict[str, Any]) -> bytes:
    """Return the canonical bytes of a ledger entry (sorted keys: same entry, same bytes)."""
    return (json.dumps(entry, indent=2, sort_keys=True) + "\n").encode()


def read_ledger(s3: Any, bucket: str, step: str, batch_id: str) -> dict[str, Any] | None:
    """Return the ledger entry of ``batch_id`` for ``step``, ``None`` when there is none."""
    try:
        body = s3.get_object(Bucket=bucket, Key=ledger_key(step, batch_id))["Body"].read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
            return None
        raise
    entry: dict[str, Any] = json.loads(body)
    return entry


def write_ledger(s3: Any, bucket: str, step: str, batch_id: str, entry: dict[str, Any]) -> bool:
    """Store ``entry`` unless an identical one is stored; return whether it was written."""
    if read_ledger(s3, bucket, step, batch_id) == json.loads(encode_ledger(entry)):
        return False
    s3.put_object(
        Bucket=bucket,
        Key=ledger_key(step, batch_id),
        Body=encode_ledger(entry),
        ContentType="application/json",
    )
    return True


def list_ledgers(s3: Any, bucket: str, step: str) -> Iterator[dict[str, Any]]:
    """Yield every ledger entry of ``step`` in ``bucket``, in batch order."""
    prefix = f"{LEDGER_PREFIX}{step}/"
    keys = sorted(k for k, _ in list_objects(s3, bucket, prefix) if k.endswith(".json"))
    for key in keys:
        yield json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def list_objects(s3: Any, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    """Yield ``(key, size)`` of every object under ``prefix`` (directory markers skipped)."""
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith("/"):
                yield obj["Key"], int(obj["Size"])


def has_unbuilt_files(entry: dict[str, Any], ledger: dict[str, Any] | None) -> bool:
    """Whether the batch of ingest ledger ``entry`` has a raw file its build ledger lacks."""
    if ledger is None:
        return True
    if "files" not in ledger:  # written before build ledgers listed their files
        return False
    return not {f["raw_key"] for f in entry["files"]} <= set(ledger["files"])
