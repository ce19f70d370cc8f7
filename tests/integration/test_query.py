"""Every standard analyst query gives the same answer on the local (DuckDB) and Spark engines.

Small synthetic gold tables (builder: ``goldmine.query._synthetic_gold``) are written as
Delta and as hive-partitioned Parquet under a test prefix of the analytics bucket and
registered in Glue, in databases of their own so that the builds' tests are not disturbed.
"""

from __future__ import annotations

import decimal
import math
from typing import TYPE_CHECKING, Any

import pytest

from goldmine.query import (
    RefusedQuery,
    UnknownTable,
    explain_query,
    load_standard_queries,
    run_query,
    run_standard_queries,
)
from goldmine.query._synthetic_gold import synthetic_gold_tables, write_synthetic_gold

if TYPE_CHECKING:
    import pandas as pd

    from goldmine.platform import Platform

pytestmark = pytest.mark.integration
FORMATS = ("delta", "parquet")


@pytest.fixture(scope="module")
def gold_databases(platform: Platform) -> dict[str, str]:
    tables = synthetic_gold_tables(30_000, days=60, seed=3)
    databases = {}
    for table_format in FORMATS:
        database = platform.settings.database(f"query_test_{table_format}")
        write_synthetic_gold(
            platform,
            tables,
            database=database,
            bucket=platform.settings.buckets.analytics,
            prefix=f"_test_query/{table_format}",
            table_format=table_format,
        )
        databases[table_format] = database
    return databases


def normalized(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as comparable Python values: Decimals by value, floats to 9 digits, NaN -> None."""

    def value(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, decimal.Decimal):
            return v.normalize()
        if isinstance(v, float):
            return round(v, 9)
        if hasattr(v, "item"):
            return value(v.item())
        if hasattr(v, "date") and callable(v.date) and type(v).__name__ == "Timestamp":
            return v.to_pydatetime()
        return v

    return [tuple(value(v) for v in row) for row in frame.astype(object).itertuples(index=False)]


@pytest.mark.spark
@pytest.mark.parametrize("table_format", FORMATS)
def test_standard_queries_equal_on_local_and_spark(
    platform: Platform, spark: Any, gold_databases: dict[str, str], table_format: str
) -> None:
    database = gold_databases[table_format]
    local = run_standard_queries(platform, "lake", "local", database=database)
    on_spark = run_standard_queries(platform, "lake", "spark", spark=spark, database=database)
    assert len(local) >= 12
    for name, frame in local.items():
        assert list(frame.columns) == list(on_spark[name].columns), name
        assert len(frame) > 0, f"{name} returned no rows on the test data"
        assert normalized(frame) == normalized(on_spark[name]), name


def test_delta_and_parquet_give_the_same_answers(
    platform: Platform, gold_databases: dict[str, str]
) -> None:
    delta = run_standard_queries(platform, "lake", "local", database=gold_databases["delta"])
    parquet = run_standard_queries(platform, "lake", "local", database=gold_databases["parquet"])
    for name in delta:
        assert normalized(delta[name]) == normalized(parquet[name]), name


def test_known_answer_and_types(platform: Platform, gold_databases: dict[str, str]) -> None:
    database = gold_databases["delta"]
    sql = (
        "SELECT date_add('day', 1, DATE '2024-01-31') AS next_day, "
        "date_trunc('month', DATE '2024-02-17') AS month_start, 7 / 2 AS half, "
        "CAST(10.00 AS DECIMAL(18,2)) / 3 AS third, approx_distinct(store_id) AS stores "
        "FROM daily_sales"
    )
    frame = run_query(platform, sql, "lake", "local", database=database).frame
    import datetime

    row = frame.iloc[0]
    assert row["next_day"] == datetime.date(2024, 2, 1)
    assert row["month_start"] == datetime.date(2024, 2, 1)
    assert row["half"] == 3
    assert row["third"] == decimal.Decimal("3.33")
    assert row["stores"] == 40


def test_unknown_table_is_refused(platform: Platform, gold_databases: dict[str, str]) -> None:
    with pytest.raises(UnknownTable, match="unknown table no_such_table"):
        run_query(platform, "SELECT * FROM no_such_table", "lake", "local")


def test_write_statements_change_nothing(
    platform: Platform, gold_databases: dict[str, str]
) -> None:
    database = gold_databases["delta"]
    before = run_query(platform, "SELECT COUNT(*) AS n FROM daily_sales", "lake", database=database)
    for sql in (
        f"DROP TABLE {database}.daily_sales",
        f"INSERT INTO {database}.daily_sales SELECT * FROM {database}.daily_sales",
        "SELECT 1; DROP TABLE daily_sales",
    ):
        with pytest.raises(RefusedQuery):
            run_query(platform, sql, "lake", "local", database=database)
    after = run_query(platform, "SELECT COUNT(*) AS n FROM daily_sales", "lake", database=database)
    assert before.frame.equals(after.frame)


def test_explain_lists_partitions_and_files(
    platform: Platform, gold_databases: dict[str, str]
) -> None:
    plan = explain_query(
        platform,
        "SELECT SUM(revenue_usd) FROM daily_sales WHERE order_date = DATE '2024-01-02'",
        "lake",
        database=gold_databases["parquet"],
    )
    files = plan.files[f"{gold_databases['parquet']}.daily_sales"]
    assert "order_date=2024-01-02" in files.partitions
    assert all(f.startswith("s3://") and f.endswith(".parquet") for f in files.files)
    assert "STRFTIME" not in plan.plan.engine_sql and "daily_sales" in plan.plan.engine_sql


def test_standard_queries_are_documented() -> None:
    queries = load_standard_queries()
    assert len(queries) >= 12
    for query in queries:
        assert query.question != query.name, f"{query.name} has no '-- Question:' header"
        assert "-- Tables:" in query.sql, query.name
