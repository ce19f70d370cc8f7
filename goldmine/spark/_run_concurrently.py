"""Run a few independent calls at once, each on a thread with the caller's Spark properties."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Calls run at once by default: a small build's writes are one task each and wait on
#: storage about half of their time, so a 2-core machine keeps both cores busy with a few
#: in flight (ADR 0028).
CONCURRENT_CALLS = 4


def run_concurrently(
    calls: Mapping[str, Callable[[], T]], *, workers: int = CONCURRENT_CALLS
) -> dict[str, T]:
    """Run independent calls at once; return their results by name, in the order given.

    Each call runs on a thread of its own pool (``min(workers, len(calls))`` threads)
    that starts with the caller's Spark local properties
    (:func:`pyspark.inheritable_thread_target`: job group, job description, scheduler
    pool) and a copy of its context variables, so the Spark jobs a call starts belong
    to the caller's job group (:func:`goldmine.plan.count_spark_jobs` counts them as
    the step's) and run side by side under Spark's FIFO scheduler. One call or one
    worker: the calls run inline, one after the other, as a loop would.

    The calls must be independent: no call reads what another writes, and no call
    changes state the others read (Spark session configuration, such as Delta's
    ``txnAppId`` of idempotent DML, is shared by every thread). A call should not open
    a job-counting block of its own: the blocks open in the caller's thread do not see
    a group set in another thread, and would miss its jobs.

    Parameters
    ----------
    calls
        Name -> a call without arguments. The name labels the call's error.
    workers
        Calls run at once, at most (at least 1).

    Returns
    -------
    dict
        Name -> the call's result, in the order of ``calls``.

    Raises
    ------
    BaseException
        When a call raised: once every call that started has finished (calls not yet
        started are not started), the error of the first failed call in the order of
        ``calls``, with a note naming it and the other calls that failed.

    Examples
    --------
    >>> run_concurrently({"a": lambda: 1, "b": lambda: 2})
    {'a': 1, 'b': 2}
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if workers == 1 or len(calls) <= 1:
        results: dict[str, T] = {}
        for name, call in calls.items():
            try:
                results[name] = call()
            except BaseException as error:
                error.add_note(f"raised by {name!r}")
                raise
        return results
    # Wrapped here, in the caller's thread: the wrapper captures the caller's Spark
    # local properties now; each call gets a context of its own (one context cannot
    # be entered by two threads at once).
    targets = {
        name: _in_context(contextvars.copy_context(), _inheriting(call))
        for name, call in calls.items()
    }
    pool = ThreadPoolExecutor(min(workers, len(calls)), thread_name_prefix="goldmine-concurrent")
    try:
        futures = {name: pool.submit(target) for name, target in targets.items()}
        wait(futures.values(), return_when=FIRST_EXCEPTION)
    finally:  # a failure (or an interrupt) starts no more calls; the running ones end
        pool.shutdown(wait=True, cancel_futures=True)
    return _results(futures)


def _inheriting(call: Callable[[], T]) -> Callable[[], T]:
    """Wrap ``call`` to start with the current thread's Spark local properties, if any."""
    from pyspark import SparkContext
    from pyspark.util import inheritable_thread_target

    if SparkContext._active_spark_context is None:  # no Spark: nothing to inherit
        return call
    wrapped: Callable[[], T] = inheritable_thread_target(call)
    return wrapped


def _in_context(context: contextvars.Context, call: Callable[[], T]) -> Callable[[], T]:
    def run() -> T:
        return context.run(call)

    return run


def _results(futures: Mapping[str, Future[T]]) -> dict[str, T]:
    """Return every result, or raise the first call's error (in order) once all ended."""
    failed = {
        name: error
        for name, f in futures.items()
        if not f.cancelled() and (error := f.exception()) is not None
    }
    if not failed:
        return {name: f.result() for name, f in futures.items()}
    first, *others = failed
    skipped = [name for name, f in futures.items() if f.cancelled()]
    error = failed[first]
    note = f"raised by {first!r}, one of {len(futures)} calls run concurrently"
    if others:
        note += f"; failed too: {', '.join(map(repr, others))}"
    if skipped:
        note += f"; not started: {', '.join(map(repr, skipped))}"
    error.add_note(note)
    for name in others:
        log.error("%r failed too", name, exc_info=failed[name])
    raise error
