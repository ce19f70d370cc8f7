"""Retry a pyarrow S3 read that the AWS C++ SDK under pyarrow would not retry itself."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from goldmine.aws._clients import S3_MAX_ATTEMPTS

T = TypeVar("T")

#: What pyarrow's S3 errors say when S3 throttled, failed or dropped the connection. A
#: 503 or 500 on a small ranged GET (a Parquet footer) overflows the SDK's preallocated
#: response buffer with the error XML and surfaces as a non-retryable INTERNAL_FAILURE
#: "Failed to flush response stream", which AwsStandardS3RetryStrategy gives up on.
_TRANSIENT = (
    "Failed to flush response stream",
    "NETWORK_CONNECTION",
    "SlowDown",
    "InternalError",
    "HTTP status 5",
)
_MAX_PAUSE_S = 20.0


def retry_arrow_read(
    read: Callable[[], T], *, attempts: int = S3_MAX_ATTEMPTS, first_pause_s: float = 1.0
) -> T:
    """Return ``read()``, calling it again on a transient S3 error (ADR 0025).

    Backoff as boto3's standard mode: full jitter, up to ``first_pause_s`` before the
    second try, doubling, at most 20 s. Other errors (a missing key, a corrupt file) are
    raised at once, and the last transient one after ``attempts`` tries.
    """
    for attempt in range(1, attempts + 1):
        try:
            return read()
        except OSError as exc:
            if attempt == attempts or not any(m in str(exc) for m in _TRANSIENT):
                raise
            pause = min(first_pause_s * 2 ** (attempt - 1), _MAX_PAUSE_S)
            time.sleep(random.uniform(0, pause))
    raise AssertionError("unreachable")  # pragma: no cover
