"""goldmine.rules.keep_values / keep_any: ``isin`` for lists of any length."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import pytest

from goldmine.rules import keep_any, keep_values

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

D = dt.date


def _lines(spark: SparkSession) -> DataFrame:
    rows = [
        ("o1", "c1", D(2025, 1, 6), 1),
        ("o2", "c2", D(2025, 1, 7), 2),
        ("o3", None, D(2025, 2, 1), 3),
        ("o4", "c4", None, 4),
        ("o5", "c1", D(2025, 3, 9), 5),
    ]
    return spark.createDataFrame(
        rows, "order_id string, customer_id string, order_date date, n int"
    )


def _ids(frame: DataFrame) -> list[str]:
    return sorted(r["order_id"] for r in frame.collect())


@pytest.mark.parametrize("listed_max", [0, 1_000], ids=["joined", "listed"])
def test_keep_values_keeps_what_isin_keeps(spark: SparkSession, listed_max: int) -> None:
    from pyspark.sql import functions as F

    lines = _lines(spark)
    wanted = ["c1", "c4", "c9", None, "c1"]  # a duplicate, a null, a value not there

    kept = keep_values(lines, "customer_id", wanted, listed_max=listed_max)

    assert kept.columns == lines.columns
    assert _ids(kept) == _ids(lines.filter(F.col("customer_id").isin(wanted))) == ["o1", "o4", "o5"]
    by_date = keep_values(lines, "order_date", [D(2025, 1, 7)], listed_max=listed_max)
    assert _ids(by_date) == ["o2"]
    assert keep_values(lines, "customer_id", [], listed_max=listed_max).count() == 0


def test_keep_any_is_an_or_of_listed_and_joined_values(spark: SparkSession) -> None:
    from pyspark.sql import functions as F

    lines = _lines(spark)
    customers, dates = ["c2", "c4", "c9"], [D(2025, 2, 1), D(2025, 3, 9)]
    reference = lines.filter(F.col("customer_id").isin(customers) | F.col("order_date").isin(dates))
    plan = []

    for listed_max in (0, 1, 2):  # both joined at 0 and 1; at 2 dates listed, customers joined
        kept = keep_any(
            lines, {"customer_id": customers, "order_date": dates}, listed_max=listed_max
        )
        assert kept.columns == lines.columns
        plan.append(_ids(kept))
    assert plan == [_ids(reference)] * 3 == [["o2", "o3", "o4", "o5"]] * 3
