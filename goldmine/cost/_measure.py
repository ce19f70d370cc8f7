"""Measure what the estimate prices: stored bytes, Athena scans, EMR Serverless runs."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goldmine.settings import Settings
from goldmine.tags import BUCKET_ROLE_DOMAINS

#: Architecture each bucket role's cost belongs to; ``shared`` serves all three.
BUCKET_ROLE_ARCHITECTURES: dict[str, str] = {
    **{role: "mesh" for role in BUCKET_ROLE_DOMAINS if role.startswith("mesh-")},
    "landing": "shared",
    "raw": "lake",
    "curated": "lake",
    "analytics": "lake",
    "lakehouse": "lakehouse",
    "athena_results": "shared",
    "artifacts": "shared",
    "access_logs": "shared",
}
#: Default cost domain of a job run record that names no ``domain``.
_ARCHITECTURE_DOMAINS = {"lake": "lake", "lakehouse": "lakehouse", "mesh": "platform"}
ATHENA_SCANS_FILE = "athena-scans.json"


@dataclass(frozen=True)
class StorageUsage:
    """Bytes stored under one top-level prefix of one bucket."""

    bucket: str
    prefix: str
    bytes: int
    objects: int
    architecture: str
    domain: str


@dataclass(frozen=True)
class AthenaScan:
    """Bytes one analyst query scans per run."""

    query: str
    bytes_scanned: int
    architecture: str = "shared"
    domain: str = "platform"
    runs_per_month: int | None = None


@dataclass(frozen=True)
class JobRunUsage:
    """Resources one EMR Serverless job run consumed."""

    job: str
    architecture: str
    domain: str
    vcpu_hours: float
    memory_gb_hours: float
    storage_gb_hours: float = 0.0


@dataclass(frozen=True)
class Measurements:
    """Everything the estimate prices.

    Parameters
    ----------
    storage
        Stored bytes per bucket and top-level prefix.
    athena_scans
        Bytes scanned per analyst query, ``None`` when no query was measured yet.
    job_runs
        The last run of each job (empty when none recorded).
    """

    storage: tuple[StorageUsage, ...] = ()
    athena_scans: tuple[AthenaScan, ...] | None = None
    job_runs: tuple[JobRunUsage, ...] = ()


def measure_storage(s3_client: Any, settings: Settings) -> tuple[StorageUsage, ...]:
    """List every existing platform bucket and sum object sizes per top-level prefix.

    Parameters
    ----------
    s3_client
        A boto3 S3 client.
    settings
        The platform settings (bucket names).

    Returns
    -------
    tuple[StorageUsage, ...]
        One entry per bucket and first path segment (``orders/``; ``""`` for objects
        at the root), sorted by bucket then prefix.
    """
    existing = {b["Name"] for b in s3_client.list_buckets().get("Buckets", [])}
    usage: list[StorageUsage] = []
    for role, bucket in settings.buckets.all().items():
        if bucket not in existing:
            continue
        sizes: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                head, sep, _ = obj["Key"].partition("/")
                entry = sizes[head + sep if sep else ""]
                entry[0] += int(obj["Size"])
                entry[1] += 1
        for prefix, (size, count) in sorted(sizes.items()):
            usage.append(
                StorageUsage(
                    bucket,
                    prefix,
                    size,
                    count,
                    BUCKET_ROLE_ARCHITECTURES[role],
                    BUCKET_ROLE_DOMAINS[role],
                )
            )
    return tuple(sorted(usage, key=lambda u: (u.bucket, u.prefix)))


def read_athena_scans(runs_dir: Path) -> tuple[AthenaScan, ...] | None:
    """Read ``<runs_dir>/athena-scans.json``; ``None`` when it does not exist.

    The file holds a list of ``{"query", "bytes_scanned"}`` objects (optional
    ``architecture``, ``domain``, ``runs_per_month``) or of ``[query, bytes]`` pairs.
    """
    path = runs_dir / ATHENA_SCANS_FILE
    if not path.is_file():
        return None
    scans: list[AthenaScan] = []
    for item in json.loads(path.read_text(encoding="utf-8")):
        if isinstance(item, list | tuple):
            scans.append(AthenaScan(str(item[0]), int(item[1])))
        else:
            scans.append(
                AthenaScan(
                    query=str(item["query"]),
                    bytes_scanned=int(item["bytes_scanned"]),
                    architecture=str(item.get("architecture", "shared")),
                    domain=str(item.get("domain", "platform")),
                    runs_per_month=item.get("runs_per_month"),
                )
            )
    return tuple(scans)


def _records(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    items = data if isinstance(data, list) else [data]
    return [
        r
        for r in items
        if isinstance(r, dict) and {"architecture", "vcpu_hours", "memory_gb_hours"} <= r.keys()
    ]


def read_job_runs(runs_dir: Path) -> tuple[JobRunUsage, ...]:
    """Read the last EMR Serverless run of each job from ``<runs_dir>/*.json``.

    Records need ``architecture``, ``vcpu_hours`` and ``memory_gb_hours``
    (``storage_gb_hours``, ``job``, ``domain``, ``finished_at`` optional); files
    without them are skipped. The last run of a job is the one with the greatest
    ``finished_at`` (ISO text), ties broken by file name.

    Returns
    -------
    tuple[JobRunUsage, ...]
        One run per (architecture, job), sorted; empty when none recorded.
    """
    if not runs_dir.is_dir():
        return ()
    latest: dict[tuple[str, str], tuple[tuple[str, str], JobRunUsage]] = {}
    for path in sorted(runs_dir.glob("*.json")):
        if path.name == ATHENA_SCANS_FILE:
            continue
        for record in _records(path):
            architecture = str(record["architecture"])
            job = str(record.get("job") or record.get("step") or path.stem)
            run = JobRunUsage(
                job=job,
                architecture=architecture,
                domain=str(
                    record.get("domain") or _ARCHITECTURE_DOMAINS.get(architecture, "platform")
                ),
                vcpu_hours=float(record["vcpu_hours"]),
                memory_gb_hours=float(record["memory_gb_hours"]),
                storage_gb_hours=float(record.get("storage_gb_hours", 0.0)),
            )
            order = (str(record.get("finished_at", "")), path.name)
            key = (architecture, job)
            if key not in latest or order >= latest[key][0]:
                latest[key] = (order, run)
    return tuple(latest[k][1] for k in sorted(latest))


def measure(s3_client: Any, settings: Settings) -> Measurements:
    """Measure storage through ``s3_client`` and read runs under ``settings.data_dir/runs``."""
    runs_dir = settings.data_dir / "runs"
    return Measurements(
        storage=measure_storage(s3_client, settings),
        athena_scans=read_athena_scans(runs_dir),
        job_runs=read_job_runs(runs_dir),
    )
