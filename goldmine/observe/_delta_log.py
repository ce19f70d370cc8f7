"""Rows and bytes a run wrote to a Delta table, from the commits' own metrics (no Spark)."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

_COMMIT = re.compile(r"_delta_log/(\d{20})\.json$")
#: ``operationMetrics`` that count what a commit added (WRITE / MERGE / ...).
_ROWS = ("numOutputRows", "numTargetRowsInserted", "numTargetRowsUpdated", "numTargetRowsCopied")
_BYTES = ("numOutputBytes", "numTargetBytesAdded")


def delta_written_since(s3: Any, location: str, since: dt.datetime) -> tuple[int, int] | None:
    """Return ``(rows, bytes)`` written by the commits of ``location`` made at or after ``since``.

    Reads the ``commitInfo.operationMetrics`` of those commits (one listing of the log,
    one GET per commit of the run). ``None`` when the run made no commit to the table.
    """
    rows = size = commits = 0
    for actions in _commits_since(s3, location, since):
        metrics = _commit_info(actions).get("operationMetrics") or {}
        rows += sum(int(metrics.get(k, 0)) for k in _ROWS)
        size += sum(int(metrics.get(k, 0)) for k in _BYTES)
        commits += 1
    return (rows, size) if commits else None


def delta_files_added_since(s3: Any, location: str, since: dt.datetime) -> list[str]:
    """Return the URIs of the data files the commits made at or after ``since`` added."""
    root = location.rstrip("/")
    return [
        f"{root}/{unquote(action['add']['path'])}"
        for actions in _commits_since(s3, location, since)
        for action in actions
        if "add" in action
    ]


def _commits_since(s3: Any, location: str, since: dt.datetime) -> Iterator[list[dict[str, Any]]]:
    """Yield the actions of each commit of ``location`` made at or after ``since``."""
    bucket, _, prefix = location.removeprefix("s3://").removeprefix("s3a://").partition("/")
    log_prefix = f"{prefix.rstrip('/')}/_delta_log/0"
    since_ms = int(since.timestamp() * 1000)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=log_prefix)
    for page in pages:
        for obj in page.get("Contents", []):
            if not _COMMIT.search(obj["Key"]) or obj["LastModified"].timestamp() * 1000 < (
                since_ms - 1000
            ):
                continue
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
            actions = [json.loads(line) for line in body.splitlines() if line.strip()]
            if int(_commit_info(actions).get("timestamp", 0)) >= since_ms:
                yield actions


def _commit_info(actions: list[dict[str, Any]]) -> dict[str, Any]:
    for action in actions:
        if "commitInfo" in action:
            info: dict[str, Any] = action["commitInfo"]
            return info
    return {}
