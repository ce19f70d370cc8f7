"""Store run summaries as JSON in S3 and read them back (for ``goldmine report``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldmine.observe._run_summary import ARCHITECTURES, RunSummary

if TYPE_CHECKING:
    from goldmine.settings import Settings

#: Prefix of the run summaries in the artifacts bucket: ``runs/<architecture>/<run_id>.json``.
RUNS_PREFIX = "runs/"


def runs_location(settings: Settings) -> tuple[str, str]:
    """Return ``(bucket, prefix)`` where the platform keeps its run summaries."""
    return settings.buckets.artifacts, RUNS_PREFIX


def save_run_summary(s3: Any, bucket: str, summary: RunSummary) -> str:
    """Write ``summary`` to ``s3://bucket/runs/<architecture>/<run_id>.json``; return its URI."""
    key = f"{RUNS_PREFIX}{summary.key}"
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=summary.model_dump_json(indent=2).encode(),
        ContentType="application/json",
    )
    return f"s3://{bucket}/{key}"


def load_run_summaries(
    s3: Any,
    bucket: str,
    *,
    architecture: str | None = None,
    command: str | None = None,
) -> list[RunSummary]:
    """Return the stored run summaries, oldest first.

    Parameters
    ----------
    s3
        A boto3 S3 client (``platform.aws.s3()``).
    bucket
        The artifacts bucket (:func:`runs_location`).
    architecture, command
        Only runs of this architecture (``lake``, ``lakehouse``, ``mesh``) / command.

    Raises
    ------
    ValueError
        When ``architecture`` is not one of the three.

    Examples
    --------
    >>> bucket, _ = runs_location(platform.settings)                    # doctest: +SKIP
    >>> [r.seconds for r in load_run_summaries(s3, bucket, architecture="lake")]  # doctest: +SKIP
    """
    if architecture is not None and architecture not in ARCHITECTURES:
        raise ValueError(
            f"unknown architecture {architecture!r}: expected one of {', '.join(ARCHITECTURES)}"
        )
    prefix = RUNS_PREFIX + (f"{architecture}/" if architecture else "")
    summaries = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith(".json"):
                continue
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            summary = RunSummary.model_validate_json(body)
            if command is None or summary.command == command:
                summaries.append(summary)
    return sorted(summaries, key=lambda s: (s.started_at, s.run_id))
