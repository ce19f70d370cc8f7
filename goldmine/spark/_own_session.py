"""A session of its own for work that runs beside other work in one Spark application."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import TYPE_CHECKING, TypeVar

from goldmine.spark._on_demand import SessionOnDemand
from goldmine.spark._run_concurrently import CONCURRENT_CALLS, run_concurrently

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

T = TypeVar("T")
#: A session, or one started on demand (then each call's own session is too).
S = TypeVar("S", "SparkSession", SessionOnDemand)


def copy_session(spark: SparkSession) -> SparkSession:
    """Return a copy of ``spark`` in its application (the JVM session's ``cloneSession``).

    The copy starts with ``spark``'s SQL configuration (the sizing ``sized_execution``
    set on the build's session, say), temporary views and functions, shares the
    SparkContext, its executors and the cache, and from then on has a configuration
    of its own: work may set session configuration (Delta's ``txnAppId`` of
    idempotent DML, the execution sizing) while other work runs on another thread,
    and ``spark`` sees none of it (ADR 0033, ADR 0035).
    """
    from pyspark.sql import SparkSession

    return SparkSession(spark.sparkContext, spark._jsparkSession.cloneSession())


@contextlib.contextmanager
def active_session(session: SparkSession) -> Iterator[SparkSession]:
    """Make ``session`` this thread's active one for the block, then clear it.

    Code that asks the JVM for the active session (Delta's, Spark's) then finds it,
    not another session of the application.
    """
    jvm = session._jvm
    assert jvm is not None
    jvm.SparkSession.setActiveSession(session._jsparkSession)
    try:
        yield session
    finally:
        jvm.SparkSession.clearActiveSession()


@contextlib.contextmanager
def own_session(spark: SparkSession) -> Iterator[SparkSession]:
    """Yield a copy of ``spark`` (:func:`copy_session`), active on this thread for the block.

    It is made the thread's active session (:func:`active_session`), so code that
    asks the JVM for the active session finds it, not the parent; the thread's active
    session is cleared afterwards.
    """
    with active_session(copy_session(spark)) as session:
        yield session


def run_in_own_sessions(
    spark: S,
    calls: Mapping[str, Callable[[S], T]],
    *,
    workers: int = CONCURRENT_CALLS,
    after: Mapping[str, Collection[str]] | None = None,
) -> dict[str, T]:
    """Run ``call(session)`` for each call at once, each on a session of its own.

    :func:`run_concurrently` (results in order, errors after every started call ended,
    ``after``) where each call gets its own :func:`own_session` of ``spark``: calls that
    set session configuration (Delta's idempotent DML, ``sized_execution``) or register
    temporary views do not see each other's. Frames made on ``spark`` may be used by
    every call (one application, one cache). With one worker the calls run inline on
    ``spark`` itself. When ``spark`` is a :class:`SessionOnDemand`, so is each call's
    own session: a call that never asks for it starts no Spark (ADR 0036).
    """

    def on_own(call: Callable[[S], T]) -> T:
        if isinstance(spark, SessionOnDemand):
            with contextlib.ExitStack() as entered:
                parent = spark
                child = SessionOnDemand(lambda: entered.enter_context(own_session(parent())))
                return call(child)  # type: ignore[arg-type]
        with own_session(spark) as session:
            return call(session)

    if workers == 1 or len(calls) <= 1:
        wrapped = {name: functools.partial(call, spark) for name, call in calls.items()}
    else:
        wrapped = {name: functools.partial(on_own, call) for name, call in calls.items()}
    return run_concurrently(wrapped, workers=workers, after=after)
