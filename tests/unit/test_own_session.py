"""goldmine.spark.own_session: a session per concurrent build, its conf its own."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from goldmine.spark import own_session, run_concurrently

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
