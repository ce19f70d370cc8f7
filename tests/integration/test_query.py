"""Every standard analyst query gives the same answer on the local (DuckDB) and Spark engines.

Small synthetic gold tables (builder: ``goldmine.query._synthetic_gold``) are written once
per test run as Delta and as hive-partitioned Parquet under a test prefix of the analytics
bucket and registered in Glue, in databases of their own so that the builds' tests are not
disturbed. The standard set is answered once per format and engine (fixture ``answers``;
Spark registers each table once for the whole set) and the tests compare those answers.
"""

from __future__ import annotations

import decimal
from typing import TYPE_CHECKING, Any

import pytest

from goldmine.query import (
    TABLE_CACHE,
    RefusedQuery,
    UnknownTable,
    explain_query,
    load_standard_queries,
    run_query,
    run_standard_queries,
)
from tests.answers import normalized
from tests.conftest import FORMATS

if TYPE_CHECKING:
    import pandas as pd

    from goldmine.platform import Platform

pytestmark = pytest.mark.integration
#: ``{table format: {standard query: answer}}``
Answers = dict[str, dict[str, "pd.DataFrame"]]


@pytest.fixture(scope="session")
def local_answers(platform: Platform, gold_databases: dict[str, str]) -> Answers:
    """``{format: {query: DataFrame}}`` of the local engine."""
    return {
        table_format: run_standard_queries(platform, "lake", "local", database=database)
        for table_format, database in gold_databases.items()
    }


@pytest.mark.spark
@pytest.mark.parametrize("table_format", FORMATS)
def test_standard_queries_equal_on_local_and_spark(
    platform: Platform,
    spark: Any,
    gold_databases: dict[str, str],
    local_answers: Answers,
    table_format: str,
) -> None:
    database = gold_databases[table_format]
    local = local_answers[table_format]
    on_spark = run_standard_queries(platform, "lake", "spark", spark=spark, database=database)
    assert len(local) >= 12
    assert set(on_spark) == set(local)
    for name, frame in local.items():
        assert list(frame.columns) == list(on_spark[name].columns), name
        assert len(frame) > 0, f"{name} returned no rows on the test data"
        assert normalized(frame) == normalized(on_spark[name]), name


def test_delta_and_parquet_give_the_same_answers(local_answers: Answers) -> None:
    delta, parquet = local_answers["delta"], local_answers["parquet"]
    assert set(delta) == set(parquet)
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
    TABLE_CACHE.clear()  # read the table again, not what the process kept
    after = run_query(platform, "SELECT COUNT(*) AS n FROM daily_sales", "lake", database=database)
    assert before.frame.equals(after.frame)


def test_explain_lists_partitions_and_files(
    platform: Platform, gold_databases: dict[str, str]
) -> None:
    plan = explain_query(
        platform,
        "SELECT SUM(revenue_usd) FROM daily_sales WHERE order_date = DATE '2025-01-07'",
        "lake",
        database=gold_databases["parquet"],
    )
    files = plan.files[f"{gold_databases['parquet']}.daily_sales"]
    assert "order_date=2025-01-07" in files.partitions
    assert all(f.startswith("s3://") and f.endswith(".parquet") for f in files.files)
    assert "STRFTIME" not in plan.plan.engine_sql and "daily_sales" in plan.plan.engine_sql


def test_standard_queries_are_documented() -> None:
    queries = load_standard_queries()
    assert len(queries) >= 12
    for query in queries:
        assert query.question != query.name, f"{query.name} has no '-- Question:' header"
        assert "-- Tables:" in query.sql, query.name


def test_athena_engine_sends_workgroup_database_and_output_location(
    platform: Platform, gold_databases: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ``athena`` engine's call shape, against the local AWS API endpoint.

    moto's Athena accepts StartQueryExecution but executes nothing and writes no result:
    this checks only what is sent (workgroup, database context, output location, the SQL
    with the table qualified as resolved), captured with a botocore event hook, and that
    the answer awswrangler reads from the output location is passed through (the test
    writes that result file itself, where Athena would).
    """
    from goldmine.aws import AwsClients

    settings = platform.settings
    database = gold_databases["parquet"]
    output = f"s3://{settings.buckets.analytics}/_test_query/athena-results/"
    athena = platform.aws.client("athena")
    if settings.athena_workgroup not in {
        w["Name"] for w in athena.list_work_groups()["WorkGroups"]
    }:
        athena.create_work_group(
            Name=settings.athena_workgroup,
            Configuration={"ResultConfiguration": {"OutputLocation": output}},
        )
    output = athena.get_work_group(WorkGroup=settings.athena_workgroup)["WorkGroup"][
        "Configuration"
    ]["ResultConfiguration"]["OutputLocation"]
    sent: list[dict[str, Any]] = []
    s3 = platform.aws.s3()

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.append(dict(params))

    def answer(parsed: dict[str, Any], **_: Any) -> None:
        bucket, _, prefix = output.removeprefix("s3://").partition("/")
        key = f"{prefix.rstrip('/')}/{parsed['QueryExecutionId']}.csv".lstrip("/")
        s3.put_object(Bucket=bucket, Key=key, Body=b'"n"\n"42"\n')

    original = AwsClients.session

    def session(self: AwsClients) -> Any:
        boto_session = original(self)
        boto_session.events.register("provide-client-params.athena.StartQueryExecution", capture)
        boto_session.events.register("after-call.athena.StartQueryExecution", answer)
        return boto_session

    monkeypatch.setattr(AwsClients, "session", session)
    result = run_query(
        platform, "SELECT COUNT(*) AS n FROM daily_sales", "lake", "athena", database=database
    )
    assert len(sent) == 1
    call = sent[0]
    assert call["WorkGroup"] == settings.athena_workgroup
    assert call["QueryExecutionContext"] == {"Database": database}
    assert call["ResultConfiguration"]["OutputLocation"].rstrip("/") == output.rstrip("/")
    assert f"{database}.daily_sales" in call["QueryString"]
    assert result.frame["n"].tolist() == [42]
    assert result.cost_usd is not None and result.cost_usd > 0  # the 10 MB minimum
