"""``status``: what each zone holds, read from ledgers, listings and Parquet footers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lake._ledger import has_unbuilt_files, list_ledgers, list_objects
from lake._parquet import arrow_filesystem, read_footers

if TYPE_CHECKING:
    from goldmine.platform import Platform

BUILD_STEP = "build"


@dataclass(frozen=True)
class ZoneStatus:
    """One zone: bucket, bytes and objects stored, rows per table."""

    zone: str
    bucket: str
    bytes: int
    objects: int
    rows: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LakeStatus:
    """Batches ingested and built, zones, and quarantine counts by reason."""

    ingested: tuple[str, ...]
    built: tuple[str, ...]
    zones: tuple[ZoneStatus, ...]
    quarantine: dict[str, int]
    rejected_files: tuple[str, ...]
    #: Batches in the raw zone with a file no build took yet (new, or grown since built).
    pending: tuple[str, ...] = ()


def lake_status(platform: Platform) -> LakeStatus:
    """Return the status of the lake.

    Rows: raw counts physical lines of the landed files (from the ingest ledgers);
    curated and analytics count rows from Parquet footers (no data is read).
    """
    buckets = platform.settings.buckets
    s3 = platform.aws.s3()
    ingested = list(list_ledgers(s3, buckets.raw, "ingest"))
    built = list(list_ledgers(s3, buckets.curated, BUILD_STEP))
    raw_rows: Counter[str] = Counter()
    for entry in ingested:
        for f in entry["files"]:
            raw_rows[f["feed"]] += int(f.get("lines", 0))
    zones = [_zone("raw", buckets.raw, s3, dict(raw_rows))]
    filesystem = arrow_filesystem(platform)
    for zone, bucket in (("curated", buckets.curated), ("analytics", buckets.analytics)):
        zones.append(_zone(zone, bucket, s3, _parquet_rows(s3, filesystem, bucket)))
    quarantine: Counter[str] = Counter()
    rejected: list[str] = []
    for entry in built:
        quarantine.update(entry.get("quarantine_by_reason", {}))
        rejected.extend(f"{r['file']}: {r['problem']}" for r in entry.get("rejected_files", []))
    by_batch = {e["batch_id"]: e for e in built}
    pending = tuple(
        e["batch_id"] for e in ingested if has_unbuilt_files(e, by_batch.get(e["batch_id"]))
    )
    return LakeStatus(
        pending=pending,
        ingested=tuple(e["batch_id"] for e in ingested),
        built=tuple(e["batch_id"] for e in built),
        zones=tuple(zones),
        quarantine=dict(sorted(quarantine.items())),
        rejected_files=tuple(rejected),
    )


def _zone(zone: str, bucket: str, s3: object, rows: dict[str, int]) -> ZoneStatus:
    objects = list(list_objects(s3, bucket, ""))
    return ZoneStatus(zone, bucket, sum(size for _, size in objects), len(objects), rows)


def _parquet_rows(s3: object, filesystem: object, bucket: str) -> dict[str, int]:
    keys = [
        k
        for k, size in list_objects(s3, bucket, "")
        if k.endswith(".parquet") and size > 0 and not k.startswith("_")
    ]
    rows: Counter[str] = Counter()
    for footer in read_footers(filesystem, bucket, keys):
        rows[footer.key.split("/", 1)[0]] += footer.rows
    return dict(sorted(rows.items()))
