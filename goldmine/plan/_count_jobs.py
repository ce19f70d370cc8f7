"""Count the Spark jobs a block of code runs, with job groups and the status tracker."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_GROUP_KEY, _DESCRIPTION_KEY = "spark.jobGroup.id", "spark.job.description"
_SEQUENCE = itertools.count(1)
_OPEN = threading.local()  # .groups: the job groups of each open block, innermost last


@contextmanager
def count_spark_jobs(spark: SparkSession, label: str) -> Iterator[Callable[[], int]]:
    """Run the block in a job group of its own; yield a function that counts its jobs.

    Every job the block starts (Delta's internal ones included: Delta forwards the
    caller's local properties to its worker threads) carries the group, and
    ``SparkStatusTracker.getJobIdsForGroup`` lists them. Blocks nest: a block inside
    another runs in a group of its own, and the outer block counts the inner one's
    jobs too (a build counted as a whole while its steps are counted one by one). The
    caller's own job group, if any, is restored afterwards. Counts are exact as long
    as the application retains the jobs (``spark.ui.retainedJobs``, 1,000 by default):
    the status tracker learns of a job from the listener bus, asynchronously, so the
    count first waits for the bus to deliver what is queued (a job that just ended
    would otherwise be missed, and counted by the next step or by no one).

    Parameters
    ----------
    spark
        The session whose jobs to count.
    label
        Shown as the jobs' description (event log, Spark UI); the group id adds a
        sequence number so two blocks with one label never share a count.
    """
    sc = spark.sparkContext
    before = sc.getLocalProperty(_GROUP_KEY), sc.getLocalProperty(_DESCRIPTION_KEY)
    groups: list[str] = [f"goldmine-{next(_SEQUENCE)}-{label}"]
    stack: list[list[str]] = _OPEN.__dict__.setdefault("groups", [])
    stack.append(groups)
    sc.setJobGroup(groups[0], label)

    def counted() -> int:
        _deliver_events(sc)
        return sum(len(sc.statusTracker().getJobIdsForGroup(g)) for g in groups)

    try:
        yield counted
    finally:
        stack.pop()
        if stack:
            stack[-1].extend(groups)
        sc.setLocalProperty(_GROUP_KEY, before[0])  # type: ignore[arg-type]
        sc.setLocalProperty(_DESCRIPTION_KEY, before[1])  # type: ignore[arg-type]


def open_count() -> list[str] | None:
    """Return the job groups of this thread's innermost open block (``None``: none open)."""
    stack: list[list[str]] = _OPEN.__dict__.setdefault("groups", [])
    return stack[-1] if stack else None


@contextmanager
def counted_into(groups: list[str] | None) -> Iterator[None]:
    """In the block, count this thread's blocks into ``groups``, another thread's block.

    ``groups`` is what :func:`open_count` returned in the thread that started this
    one: a block opened here adds its groups to it as it ends, as a block nested in
    it would, so an outer count includes work run on other threads for it.
    """
    if groups is None:
        yield
        return
    stack: list[list[str]] = _OPEN.__dict__.setdefault("groups", [])
    stack.append(groups)
    try:
        yield
    finally:
        stack.pop()


def _deliver_events(sc: Any) -> None:
    """Wait until the listener bus has delivered its queued events (at most 10 s).

    ``LiveListenerBus.waitUntilEmpty`` is Spark's own (``private[spark]``, reachable
    through the JVM gateway); the status tracker is fed by that bus. A context without
    a gateway (a test's stand-in) has nothing to wait for.
    """
    gateway = getattr(sc, "_jsc", None)
    if gateway is not None:
        gateway.sc().listenerBus().waitUntilEmpty()
