"""goldmine.aws.retry_arrow_read: retries transient pyarrow S3 errors with boto3's backoff."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from goldmine.aws import retry_arrow_read


def _flaky(errors: list[str]) -> tuple[Callable[[], int], list[int]]:
    """A read that raises ``OSError(e)`` for each of ``errors`` in turn, then returns 42."""
    calls = []

    def read() -> int:
        calls.append(1)
        if len(calls) <= len(errors):
            raise OSError(errors[len(calls) - 1])
        return 42

    return read, calls


def test_transient_errors_are_retried_with_growing_jittered_pauses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pauses: list[float] = []
    monkeypatch.setattr("goldmine.aws._retry_arrow.time.sleep", pauses.append)
    read, calls = _flaky(
        ["AWS Error SLOW_DOWN ... SlowDown", "Failed to flush response stream", "HTTP status 503"]
    )

    assert retry_arrow_read(read, first_pause_s=0.5) == 42

    assert len(calls) == 4 and len(pauses) == 3
    assert all(0 <= p <= limit for p, limit in zip(pauses, (0.5, 1.0, 2.0), strict=True))


def test_other_errors_and_the_last_transient_one_are_raised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("goldmine.aws._retry_arrow.time.sleep", lambda _s: None)
    missing, calls = _flaky(["Path does not exist"])
    with pytest.raises(OSError, match="does not exist"):
        retry_arrow_read(missing)
    assert len(calls) == 1

    always, calls = _flaky(["SlowDown"] * 10)
    with pytest.raises(OSError, match="SlowDown"):
        retry_arrow_read(always, attempts=3)
    assert len(calls) == 3
