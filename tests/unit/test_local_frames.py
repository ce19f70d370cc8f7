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
