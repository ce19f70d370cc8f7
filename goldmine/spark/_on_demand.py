"""A Spark session started only when a build finds work for it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


class SessionOnDemand:
    """Starts a Spark session the first time it is called; a build with nothing to do never does.

    A command hands one to a build instead of a session: the build finds its pending
    work without Spark (listings, ledgers, registry) and calls it only when there is
    some, so a rerun with nothing pending pays no JVM start (ADR 0036). Calls from
    several threads start one session.

    Examples
    --------
    >>> starts = []
    >>> spark = SessionOnDemand(lambda: starts.append(1) or "session")
    >>> spark.started
    False
    >>> spark(), spark(), len(starts), spark.started
    ('session', 'session', 1, True)
    """

    def __init__(self, start: Callable[[], SparkSession]) -> None:
        self._start = start
        self._session: SparkSession | None = None
        self._lock = threading.Lock()

    def __call__(self) -> SparkSession:
        """Return the session, starting it on the first call."""
        with self._lock:
            if self._session is None:
                self._session = self._start()
            return self._session

    @property
    def started(self) -> bool:
        """Whether a call started the session."""
        return self._session is not None


def session_of(spark: SparkSession | SessionOnDemand) -> SparkSession:
    """Return ``spark`` itself, or the session a :class:`SessionOnDemand` starts."""
    return spark() if isinstance(spark, SessionOnDemand) else spark
