"""A session of its own for work that runs beside other work in one Spark application."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@contextlib.contextmanager
def own_session(spark: SparkSession) -> Iterator[SparkSession]:
    """Yield a new session of ``spark``'s application, active on this thread for the block.

    The new session (``SparkSession.newSession``) shares the SparkContext, its
    executors and the cache, and has its own SQL configuration, temporary views and
    functions: a build may then set session configuration (Delta's ``txnAppId`` of
    idempotent DML, the execution sizing of ``sized_execution``) while another build
    runs on another thread (ADR 0033). It is made the thread's active session, so code
    that asks the JVM for the active session (Delta's, Spark's) finds it, not the
    parent; the thread's active session is cleared afterwards.
    """
    session = spark.newSession()
    jvm = session._jvm
    assert jvm is not None
    jvm.SparkSession.setActiveSession(session._jsparkSession)
    try:
        yield session
    finally:
        jvm.SparkSession.clearActiveSession()
