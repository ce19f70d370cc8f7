"""goldmine.spark.own_session: a session per concurrent build, its conf its own; sessions
on demand (``SessionOnDemand``)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from goldmine.spark import (
    SessionOnDemand,
    own_session,
    run_concurrently,
    run_in_own_sessions,
    session_of,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_KEY = "spark.databricks.delta.write.txnAppId"  # what idempotent DML sets (lakehouse._delta)


def test_each_thread_sets_conf_the_others_and_the_parent_do_not_see(spark: SparkSession) -> None:
    both_set = threading.Barrier(2, timeout=30)  # each reads only after both have set theirs

    def build(name: str) -> tuple[str | None, str, str | None]:
        with own_session(spark) as session:
            session.conf.set(_KEY, name)
            both_set.wait()
            jvm = session._jvm
            assert jvm is not None
            active = jvm.SparkSession.getActiveSession().get()
            seen_by_jvm = active.conf().get(_KEY, None)  # the JVM's active session is this one
            shared = session.range(3).selectExpr("sum(id)").first()[0]
            return session.conf.get(_KEY, None), str(shared), seen_by_jvm

    seen = run_concurrently({"a": lambda: build("a"), "b": lambda: build("b")}, workers=2)
    assert seen == {"a": ("a", "3", "a"), "b": ("b", "3", "b")}
    assert spark.conf.get(_KEY, None) is None


def test_the_thread_falls_back_to_the_default_session_after_the_block(spark: SparkSession) -> None:
    def after() -> bool:
        with own_session(spark) as session:
            assert session is not spark
        jvm = spark._jvm
        assert jvm is not None
        return bool(jvm.SparkSession.getActiveSession().isDefined())

    assert run_concurrently({"only": after, "other": lambda: True}, workers=2)["only"] is False


def test_the_session_starts_with_the_parents_configuration(spark: SparkSession) -> None:
    """What the build set on its session (``sized_execution``'s sizing, say) holds in the
    sessions its steps run on at once: their Spark jobs are the ones run one at a time."""
    key = "spark.sql.shuffle.partitions"
    before = spark.conf.get(key)
    spark.conf.set(key, "3")
    try:
        with own_session(spark) as session:
            inherited = session.conf.get(key)
            session.conf.set(key, "5")
        assert (inherited, spark.conf.get(key)) == ("3", "3")
    finally:
        spark.conf.set(key, before)


def test_calls_on_a_session_on_demand_start_it_only_when_one_asks(spark: SparkSession) -> None:
    """``run_in_own_sessions`` given a session on demand: a call that never asks for its
    session (a skipped publish) starts nothing; one that asks gets a session of its own
    in the started application, and the parent is started once (ADR 0036)."""
    starts: list[int] = []

    def start() -> SparkSession:
        starts.append(1)
        return spark

    parent = SessionOnDemand(start)

    def skip(session: SessionOnDemand) -> str:
        return "skipped"

    def build(session: SessionOnDemand) -> tuple[bool, int]:
        own = session()
        return own is not spark and own is session(), own.range(4).count()

    nothing = run_in_own_sessions(parent, {"a": skip, "b": skip}, workers=2)
    assert (nothing, starts, parent.started) == ({"a": "skipped", "b": "skipped"}, [], False)

    built = run_in_own_sessions(parent, {"a": build, "b": build, "c": skip}, workers=2)
    assert built == {"a": (True, 4), "b": (True, 4), "c": "skipped"}
    assert (starts, parent.started, session_of(parent) is spark) == ([1], True, True)


def test_a_session_on_demand_is_started_once_by_threads_at_once() -> None:
    started = threading.Barrier(4, timeout=30)
    starts: list[int] = []

    def start() -> Any:
        starts.append(1)
        return object()

    lazy = SessionOnDemand(start)

    def ask() -> int:
        started.wait()
        return id(lazy())

    sessions = run_concurrently({str(i): ask for i in range(4)}, workers=4)
    assert (len(set(sessions.values())), starts) == (1, [1])
