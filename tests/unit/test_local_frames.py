"""Frames of driver rows: the same rows as ``createDataFrame``, scanned without Python."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING

from goldmine.spark import empty_frame, local_frame, run_concurrently

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SCHEMA = "feed string, ingest_date date, line_number long, raw string, files array<string>"
ROWS = [
    ("orders", dt.date(2026, 1, 2), 1, '{"order_id": "o-1"}', ["a", "b"]),
    ("stores", None, 2, None, []),
    ("customers", dt.date(2026, 12, 31), 3, "caf\u00e9,\ufffd", None),
]


def _lineage(frame: DataFrame) -> str:
    return str(frame._jdf.rdd().toDebugString())


def test_local_frame_holds_the_rows_of_create_data_frame_without_a_python_rdd(
    spark: SparkSession,
) -> None:
    arrow = "spark.sql.execution.arrow.pyspark.enabled"
    before = spark.conf.get(arrow)
    pickled = spark.createDataFrame(ROWS, SCHEMA)
    frame = local_frame(spark, ROWS, SCHEMA)

    assert frame.schema == pickled.schema
    assert sorted(frame.collect()) == sorted(pickled.collect())
    assert "PythonRDD" in _lineage(pickled)  # what the helper avoids
    assert "PythonRDD" not in _lineage(frame)
    # The session's own setting is left as it was.
    assert spark.conf.get(arrow) == before


def test_local_frames_made_at_once_leave_the_session_setting_as_it_was(
    spark: SparkSession,
) -> None:
    arrow = "spark.sql.execution.arrow.pyspark.enabled"
    before = spark.conf.get(arrow)
    calls = {
        str(n): functools.partial(local_frame, spark, ROWS[n % len(ROWS) :], SCHEMA)
        for n in range(8)
    }
    frames = run_concurrently(calls, workers=4)

    assert spark.conf.get(arrow) == before
    assert [len(f.collect()) for f in frames.values()] == [3, 2, 1, 3, 2, 1, 3, 2]


def test_empty_frame_has_the_schema_and_no_partition_to_scan(spark: SparkSession) -> None:
    empty = empty_frame(spark, SCHEMA)

    assert empty.schema == spark.createDataFrame([], SCHEMA).schema
    assert empty.rdd.getNumPartitions() == 0
    assert empty.collect() == []
    assert local_frame(spark, [], SCHEMA).rdd.getNumPartitions() == 0


def test_local_frame_keeps_its_rows_out_of_the_plan_with_their_size(spark: SparkSession) -> None:
    """The analyzer walks every row a ``LocalRelation`` holds each time a frame built on
    it is analyzed: the rows live in a lazy local checkpoint instead, with their size as
    the plan's statistics (joins still broadcast the frame), and no job runs until an
    action."""
    from goldmine.plan import count_spark_jobs

    rows = [(f"k{i}", i) for i in range(500)]
    with count_spark_jobs(spark, "a local frame") as jobs:
        frame = local_frame(spark, rows, "key string, n long")
    assert jobs() == 0
    relation = spark.createDataFrame(rows, "key string, n long")  # pickled: size unknown

    plan = frame._jdf.queryExecution().analyzed()
    assert "LocalRelation" not in str(plan.toString())
    assert "LogicalRDD" in str(plan.toString())
    size = int(str(frame._jdf.queryExecution().optimizedPlan().stats().sizeInBytes()))
    assert 0 < size < 10 * 2**20
    joined = relation.join(frame, "key")
    assert "BroadcastHashJoin" in str(joined._jdf.queryExecution().executedPlan().toString())
    assert joined.count() == 500


def test_two_local_frames_of_the_same_rows_do_not_share_a_cached_frame(
    spark: SparkSession,
) -> None:
    first = local_frame(spark, ROWS, SCHEMA).persist()
    try:
        assert first.count() == 3
        again = local_frame(spark, ROWS, SCHEMA)
        assert "InMemoryRelation" not in str(again._jdf.queryExecution().optimizedPlan())
        assert sorted(again.collect()) == sorted(first.collect())
    finally:
        first.unpersist()
