"""Run a few independent calls at once, each on a thread with the caller's Spark properties."""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Calls run at once by default: a small build's writes are one task each and wait on
#: storage about half of their time, so a 2-core machine keeps both cores busy with a few
#: in flight (ADR 0028).
CONCURRENT_CALLS = 4


def run_concurrently(
    calls: Mapping[str, Callable[[], T]],
    *,
    workers: int = CONCURRENT_CALLS,
    after: Mapping[str, Collection[str]] | None = None,
) -> dict[str, T]:
    """Run independent calls at once; return their results by name, in the order given.

    Each call runs on a thread of its own pool (``min(workers, len(calls))`` threads)
    that starts with the caller's Spark local properties
    (:func:`pyspark.inheritable_thread_target`: job group, job description, scheduler
    pool) and a copy of its context variables, so the Spark jobs a call starts belong
    to the caller's job group (:func:`goldmine.plan.count_spark_jobs` counts them as
    the step's) and run side by side under Spark's FIFO scheduler. One call or one
    worker: the calls run inline, one after the other, as a loop would.

    With ``after``, a call starts once the calls it names have ended (those among
    ``calls``; a call that reads what others write names them). A free worker takes,
    of the calls ready to start, the one with the longest chain of calls waiting on it,
    then the first in the order of ``calls`` (critical path first: a call that others
    wait for does not queue behind one nothing waits for). Inline, the calls run in the
    order of ``calls``, each after those it names.

    Calls that may run at once must be independent: no call reads what another writes,
    and no call changes state the others read (Spark session configuration, such as Delta's
    ``txnAppId`` of idempotent DML, is shared by every thread). A call should not open
    a job-counting block of its own: the blocks open in the caller's thread do not see
    a group set in another thread, and would miss its jobs.

    Parameters
    ----------
    calls
        Name -> a call without arguments. The name labels the call's error.
    workers
        Calls run at once, at most (at least 1).
    after
        Name -> the names of the calls it must start after (default: none).

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
    ValueError
        When ``after`` makes a cycle: nothing is run.

    Examples
    --------
    >>> run_concurrently({"a": lambda: 1, "b": lambda: 2})
    {'a': 1, 'b': 2}
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    needs = {name: set((after or {}).get(name, ())) & calls.keys() - {name} for name in calls}
    order = _start_order(needs)
    if workers == 1 or len(calls) <= 1:
        results: dict[str, T] = {}
        for name in order:
            try:
                results[name] = calls[name]()
            except BaseException as error:
                error.add_note(f"raised by {name!r}")
                raise
        return {name: results[name] for name in calls}
    # Wrapped here, in the caller's thread: the wrapper captures the caller's Spark
    # local properties now; each call gets a context of its own (one context cannot
    # be entered by two threads at once).
    targets = {
        name: _in_context(contextvars.copy_context(), _inheriting(call))
        for name, call in calls.items()
    }
    pool = ThreadPoolExecutor(min(workers, len(calls)), thread_name_prefix="goldmine-concurrent")
    futures: dict[str, Future[T]] = {}
    chain = _chains(needs)
    by_priority = sorted(calls, key=lambda name: -chain[name])  # stable: then call order
    try:
        while True:
            # One look at the futures for the whole round: a call that ends meanwhile
            # is still waited for, so the calls waiting on it are started next round.
            ended = {name for name, f in futures.items() if f.done()}
            if any(futures[name].exception() is not None for name in ended):
                break  # start no more calls
            running = [f for name, f in futures.items() if name not in ended]
            free = workers - len(running)
            # No more than the free workers: a call that gets ready later can still
            # start before the ones that were ready first.
            for name in by_priority:
                if free and name not in futures and needs[name] <= ended:
                    futures[name] = pool.submit(targets[name])
                    running.append(futures[name])
                    free -= 1
            if not running:
                break
            wait(running, return_when=FIRST_COMPLETED)
    finally:  # a failure (or an interrupt) starts no more calls; the running ones end
        pool.shutdown(wait=True, cancel_futures=True)
    return _results(calls, futures)


def _chains(needs: Mapping[str, set[str]]) -> dict[str, int]:
    """Return, per name, the most calls in a chain that waits on it (0: none waits).

    ``needs`` has no cycle (:func:`_start_order` checked it).
    """
    waiting: dict[str, set[str]] = {name: set() for name in needs}
    for name, wanted in needs.items():
        for other in wanted:
            waiting[other].add(name)
    chain: dict[str, int] = {}

    def length(name: str) -> int:
        if name not in chain:
            chain[name] = max((1 + length(w) for w in waiting[name]), default=0)
        return chain[name]

    for name in needs:
        length(name)
    return chain


def _start_order(needs: Mapping[str, set[str]]) -> list[str]:
    """Return the names, each after those it needs, else in the given order."""
    order: list[str] = []
    while len(order) < len(needs):
        ready = [n for n, wanted in needs.items() if n not in order and wanted <= set(order)]
        if not ready:
            cycle = sorted(n for n in needs if n not in order)
            raise ValueError(f"the calls wait on each other: {', '.join(cycle)}")
        order.append(ready[0])
    return order


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


def _results(calls: Mapping[str, object], futures: Mapping[str, Future[T]]) -> dict[str, T]:
    """Return every result, or raise the first call's error (in order) once all ended."""
    failed = {
        name: error
        for name in calls
        if name in futures
        and not futures[name].cancelled()
        and (error := futures[name].exception()) is not None
    }
    if not failed:
        return {name: futures[name].result() for name in calls}
    first, *others = failed
    skipped = [name for name in calls if name not in futures or futures[name].cancelled()]
    error = failed[first]
    note = f"raised by {first!r}, one of {len(calls)} calls run concurrently"
    if others:
        note += f"; failed too: {', '.join(map(repr, others))}"
    if skipped:
        note += f"; not started: {', '.join(map(repr, skipped))}"
    error.add_note(note)
    for name in others:
        log.error("%r failed too", name, exc_info=failed[name])
    raise error
