"""The settle rule: a build takes a batch only once its files have stopped arriving (ADR 0026).

Files of one batch may land minutes apart (DATASET.md section 1). A batch is
*settled* when

1. the source's manifest for it has landed (``_manifests/manifest-<batch_id>.json``,
   written after the batch's files) and every file it lists is landed with the bytes
   it gives; or, when the source sends no manifest,
2. no file of the batch has landed for ``quiet`` seconds (``Settings.settle_seconds``).

A batch younger than the quiet period is waited for, once and for at most
``max_wait`` seconds; files that keep arriving, a longer wait, or a manifest that lists
a file which has not landed leave the batch to a later build, said in one line. The
stores list has no batch: it is always settled.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.landing._land_directory import batch_of
from goldmine.rules._read_landed import STORES_BATCH_ID, list_landed_files

if TYPE_CHECKING:
    from goldmine.rules import LandedFile

#: Where a source system's manifests land (the project's generator writes them).
MANIFEST_PREFIX = "_manifests/manifest-"


@dataclass(frozen=True)
class LandedBatch:
    """The files of one landed batch: key -> size, and when its newest file landed."""

    batch_id: str
    sizes: dict[str, int]
    newest: dt.datetime
    manifest: bool = False


@dataclass(frozen=True)
class Settlement:
    """Which landed batches a build may take, and why the others wait."""

    settled: frozenset[str]
    unsettled: dict[str, str] = field(default_factory=dict)
    #: The landed batches as last listed.
    batches: dict[str, LandedBatch] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """One line per batch left to a later build."""
        return [f"batch {b} not settled: {why}" for b, why in sorted(self.unsettled.items())]


def list_landed_batches(s3: Any, bucket: str) -> dict[str, LandedBatch]:
    """List the landing bucket once: every batch's files, sizes and newest landing time."""
    files: dict[str, dict[str, int]] = {}
    newest: dict[str, dt.datetime] = {}
    manifests: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.startswith(MANIFEST_PREFIX) and key.endswith(".json"):
                manifests.add(key.removeprefix(MANIFEST_PREFIX).removesuffix(".json"))
                continue
            batch = batch_of(key)
            if batch is None or batch == STORES_BATCH_ID:
                continue
            files.setdefault(batch, {})[key] = int(obj.get("Size", 0))
            modified = obj["LastModified"]
            if batch not in newest or modified > newest[batch]:
                newest[batch] = modified
    return {
        b: LandedBatch(b, sizes, newest[b], b in manifests) for b, sizes in sorted(files.items())
    }


def settlement(
    s3: Any,
    bucket: str,
    batches: dict[str, LandedBatch],
    quiet: float,
    now: dt.datetime,
) -> Settlement:
    """Judge every batch: its manifest complete, else ``quiet`` seconds since its newest file."""
    settled, unsettled = set(), {}
    for b, batch in batches.items():
        age = (now - batch.newest).total_seconds()
        if batch.manifest:
            missing = _missing_from_manifest(s3, bucket, batch)
            if not missing:
                settled.add(b)
                continue
            if age >= quiet:
                unsettled[b] = f"its manifest lists {missing}"
                continue
        elif age >= quiet:
            settled.add(b)
            continue
        unsettled[b] = f"newest file landed {age:.0f} s ago (quiet period {quiet:g} s)"
    return Settlement(frozenset(settled), unsettled, batches)


def settle_landing(
    s3: Any,
    bucket: str,
    quiet: float,
    *,
    say: Callable[[str], None] | None = None,
    max_wait: float = 60.0,
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> Settlement:
    """Return the settled batches of ``bucket``, waiting once for those in their quiet period.

    Parameters
    ----------
    s3
        A boto3 S3 client.
    bucket
        The landing bucket.
    quiet
        Seconds without a new file after which a batch without a manifest is settled.
    say
        Called with a progress line while waiting and one line per batch left out.
    max_wait
        Longest wait for batches to settle; when they need longer, they are left.
    clock, sleep
        The time source and the wait (injected by tests).
    """
    batches = list_landed_batches(s3, bucket)
    judged = settlement(s3, bucket, batches, quiet, clock())
    young = [
        batches[b].newest for b, why in judged.unsettled.items() if why.startswith("newest file")
    ]
    # Until the newest of them has been quiet for the period (plus a margin).
    wait = max(0.0, quiet - (clock() - max(young)).total_seconds()) + 0.5 if young else 0.0
    if young and wait <= max_wait:
        if say:
            say(
                f"waiting {wait:.0f} s for {len(young)} batch(es) to settle "
                f"(no new file for {quiet:g} s, or their manifest)"
            )
        sleep(wait)
        batches = list_landed_batches(s3, bucket)
        judged = settlement(s3, bucket, batches, quiet, clock())
    for line in judged.lines():
        if say:
            say(line)
    return judged


def settled_files(
    s3: Any, bucket: str, quiet: float, *, say: Callable[[str], None] | None = None
) -> tuple[list[LandedFile], Settlement]:
    """Return the landed files a build may read, and the settlement of the batches.

    The files are those of the settled batches and the stores list; the settlement says
    why the other batches wait (:func:`settle_landing`).
    """
    files = list_landed_files(s3, bucket)
    judged = settle_landing(s3, bucket, quiet, say=say)
    return [f for f in files if f.feed == "stores" or f.batch_id not in judged.unsettled], judged


def _missing_from_manifest(s3: Any, bucket: str, batch: LandedBatch) -> str:
    """Return what the batch's manifest lists that has not landed as listed ('' when none)."""
    body = s3.get_object(Bucket=bucket, Key=f"{MANIFEST_PREFIX}{batch.batch_id}.json")["Body"]
    try:
        listed = json.loads(body.read()).get("files", [])
    except ValueError:
        return "nothing readable (not JSON)"
    missing = [
        f["key"]
        for f in listed
        if isinstance(f, dict)
        and batch_of(str(f.get("key"))) == batch.batch_id  # not the stores list
        and batch.sizes.get(str(f.get("key"))) != f.get("bytes")
    ]
    if not missing:
        return ""
    return f"{len(missing)} file(s) not landed as listed, e.g. {missing[0]}"
