"""``union_by_name``: the rows and columns of a left fold of ``unionByName``, as a tree."""

from __future__ import annotations

from functools import reduce
from typing import TYPE_CHECKING

import pytest

from goldmine.spark import union_by_name

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = pytest.mark.spark


@pytest.mark.parametrize("count", [1, 2, 5, 8])
def test_the_union_has_the_folds_rows_in_order_and_the_first_frames_columns(
    spark: SparkSession, count: int
):
    frames = [
        spark.createDataFrame([(i, f"f{i}-{j}") for j in range(3)], "n int, tag string")
        if i % 2
        else spark.createDataFrame([(f"f{i}-{j}", i) for j in range(3)], "tag string, n int")
        for i in range(count)
    ]
    first = spark.createDataFrame([], "tag string, n long")
    folded = reduce(lambda a, b: a.unionByName(b), frames, first)
    union = union_by_name(frames, first=first)
    assert union.columns == ["tag", "n"] == folded.columns
    assert union.schema == folded.schema  # n widened to long, as the fold does
    assert union.collect() == folded.collect()
    assert [r.tag for r in union_by_name(frames).collect()] == [
        f"f{i}-{j}" for i in range(count) for j in range(3)
    ]


def test_nothing_to_union_is_the_first_frame_or_an_error(spark: SparkSession):
    first = spark.createDataFrame([], "n int")
    assert union_by_name([], first=first) is first
    with pytest.raises(ValueError, match="no frames"):
        union_by_name([])
