"""Frames of driver rows: the same rows as ``createDataFrame``, scanned without Python."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from goldmine.spark import empty_frame, local_frame

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
    pickled = spark.createDataFrame(ROWS, SCHEMA)
    frame = local_frame(spark, ROWS, SCHEMA)

    assert frame.schema == pickled.schema
    assert sorted(frame.collect()) == sorted(pickled.collect())
    assert "PythonRDD" in _lineage(pickled)  # what the helper avoids
    assert "PythonRDD" not in _lineage(frame)
    # The session's own setting is left as it was.
    assert spark.conf.get("spark.sql.execution.arrow.pyspark.enabled") == "false"


def test_empty_frame_has_the_schema_and_no_partition_to_scan(spark: SparkSession) -> None:
    empty = empty_frame(spark, SCHEMA)

    assert empty.schema == spark.createDataFrame([], SCHEMA).schema
    assert empty.rdd.getNumPartitions() == 0
    assert empty.collect() == []
    assert local_frame(spark, [], SCHEMA).rdd.getNumPartitions() == 0
