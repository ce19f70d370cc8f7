"""Count Delta commits per table by listing the ``_delta_log`` commit files in S3."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

_DELTA_COMMIT = re.compile(r"^(?P<table>.*)/_delta_log/\d{20}\.json$")


def count_delta_commits(s3: Any, buckets: Iterable[str]) -> Counter[str]:
    """Return the number of Delta commits of every table in ``buckets``, by table URI.

    A commit is one ``_delta_log/<20-digit version>.json`` object (checkpoints and
    CRC files are not commits). The difference of two counts taken around a run is
    the commits that run made, per table.

    Parameters
    ----------
    s3
        A boto3 S3 client.
    buckets
        The buckets to list (e.g. ``settings.buckets.all().values()``).
    """
    commits: Counter[str] = Counter()
    for bucket in buckets:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for obj in page.get("Contents", []):
                match = _DELTA_COMMIT.match(obj["Key"])
                if match:
                    commits[f"s3://{bucket}/{match['table']}"] += 1
    return commits
