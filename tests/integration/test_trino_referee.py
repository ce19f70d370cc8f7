"""Trino, Athena's own engine, referees the local engine's translation of Athena SQL.

The local engine (``local``: sqlglot + DuckDB) answers Athena SQL through the rules of
``goldmine/query/_translate.py``; the local Trino server (``trino``) runs the same SQL
unchanged over the same Glue catalog and S3 store. Here both answer:

- every standard question, on the synthetic gold as Delta and as partitioned Parquet;
- queries aimed at each translation rule (every rule of the DuckDB target has at least
  one; ``test_every_rule_has_a_query`` holds that), compared value for value and type
  for type (an integer where Trino has a DECIMAL is a disagreement);
- constructs the local engine refuses, which Trino must answer (the refusal is then the
  only outcome the analyst can get locally, never a different number), or refuse too.

A disagreement is a bug in the translation, fixed in ``_translate.py``.
"""

from __future__ import annotations

import datetime
import decimal
from typing import TYPE_CHECKING

import pytest

from goldmine.query import (
    QueryError,
    UntranslatableQuery,
    explain_query,
    run_query,
    run_standard_queries,
)
from goldmine.query._translate import _RULES
from tests.answers import normalized
from tests.conftest import FORMATS

if TYPE_CHECKING:
    import pandas as pd

    from goldmine.platform import Platform

pytestmark = pytest.mark.integration

#: A timestamp column (the gold tables have none): 13:05:09.250 on each order date.
TS = (
    "(CAST(order_date AS TIMESTAMP) + INTERVAL '13' HOUR + INTERVAL '5' MINUTE"
    " + INTERVAL '9' SECOND + INTERVAL '0.250' SECOND)"
)

#: ``{rule (function in _translate._RULES["duckdb"]): [query, ...]}``; each query
#: reads the synthetic gold and orders its rows completely.
RULE_QUERIES: dict[str, list[str]] = {
    "_format_datetime": [
        "SELECT order_date, format_datetime(order_date, 'yyyy-MM-dd EEEE EEE MMMM MMM M/d yy DDD')"
        " FROM daily_sales GROUP BY order_date ORDER BY order_date",
        f"SELECT order_date, format_datetime({TS}, 'dd.MM.yyyy HH:mm:ss.SSS H hh a')"
        " FROM daily_sales GROUP BY order_date ORDER BY order_date",
        "SELECT format_datetime(order_date, '''week of'' yyyy-MM-dd, ''''yy') FROM daily_sales"
        " GROUP BY order_date ORDER BY order_date",
    ],
    "_refuse_unknown_functions": [],  # refusals: see REFUSED below
    "_date_add_duckdb": [
        "SELECT order_date, date_add('day', 10, order_date) AS d, date_add('week', -2, order_date)"
        " AS w, date_add('month', 1, order_date) AS m, date_add('quarter', 1, order_date) AS q,"
        " date_add('year', -1, order_date) AS y FROM daily_sales GROUP BY order_date"
        " ORDER BY order_date",
        "SELECT date_add('month', 1, DATE '2025-01-31') AS feb, "
        "date_add('year', 1, DATE '2024-02-29') AS leap, "
        "date_add('quarter', -1, DATE '2025-05-31') AS q FROM daily_sales LIMIT 1",
        f"SELECT order_date, date_add('hour', 30, {TS}) AS h, date_add('minute', -90, {TS}) AS mi,"
        f" date_add('second', 5, {TS}) AS s, date_add('month', 1, {TS}) AS m"
        " FROM daily_sales GROUP BY order_date ORDER BY order_date",
    ],
    "_date_plus_interval": [
        "SELECT order_date, order_date + INTERVAL '1' MONTH AS m, order_date - INTERVAL '7' DAY"
        " AS d, order_date + INTERVAL '2' YEAR AS y FROM daily_sales GROUP BY order_date"
        " ORDER BY order_date",
        "SELECT DATE '2025-03-31' - INTERVAL '1' MONTH FROM daily_sales LIMIT 1",
    ],
    "_date_trunc": [
        "SELECT date_trunc('week', order_date) AS w, date_trunc('month', order_date) AS m,"
        " date_trunc('quarter', order_date) AS q, date_trunc('year', order_date) AS y,"
        " SUM(revenue_usd) AS revenue FROM daily_sales GROUP BY 1, 2, 3, 4 ORDER BY 1, 2",
        f"SELECT date_trunc('hour', {TS}) AS h, date_trunc('month', {TS}) AS m"
        " FROM daily_sales GROUP BY 1, 2 ORDER BY 1",
    ],
    "_date_diff_duckdb": [
        "SELECT customer_id, date_diff('day', first_order_date, last_order_date) AS d,"
        " date_diff('week', first_order_date, last_order_date) AS w,"
        " date_diff('month', first_order_date, last_order_date) AS m,"
        " date_diff('year', last_order_date, first_order_date) AS y"
        " FROM customer_lifetime ORDER BY customer_id",
        "SELECT date_diff('month', DATE '2025-01-31', DATE '2025-02-28') AS m0,"
        " date_diff('month', DATE '2025-01-15', DATE '2025-03-15') AS m2,"
        " date_diff('year', DATE '2024-02-29', DATE '2025-02-28') AS y0,"
        " date_diff('week', DATE '2025-01-05', DATE '2025-01-18') AS w1,"
        " date_diff('day', DATE '2025-03-01', DATE '2025-01-01') AS dneg FROM daily_sales LIMIT 1",
        "SELECT date_diff('hour', TIMESTAMP '2025-01-01 10:30:00', TIMESTAMP '2025-01-02 09:00:00')"
        " AS h, date_diff('minute', TIMESTAMP '2025-01-01 10:30:59', TIMESTAMP"
        " '2025-01-01 10:32:00') AS mi FROM daily_sales LIMIT 1",
    ],
    "_dow_iso": [
        "SELECT order_date, day_of_week(order_date), dow(order_date),"
        " extract(dow FROM order_date), extract(day_of_week FROM order_date)"
        " FROM daily_sales GROUP BY order_date ORDER BY order_date",
    ],
    "_avg_decimal": [
        "SELECT store_id, avg(revenue_usd) AS avg_revenue, avg(avg_order_value_usd) AS aov,"
        " avg(orders) AS avg_orders FROM daily_sales GROUP BY store_id ORDER BY store_id",
        "SELECT product_id, avg(return_rate) AS r FROM product_monthly GROUP BY product_id"
        " ORDER BY product_id",
        "SELECT order_date, store_id, category, avg(revenue_usd) OVER (PARTITION BY store_id)"
        " AS store_avg FROM daily_sales ORDER BY order_date, store_id, category",
    ],
    "_division": [
        "SELECT order_date, store_id, category, units / orders AS ints, -units / 7 AS neg,"
        " 7 / -2 AS lit, revenue_usd / orders AS per_order, revenue_usd / 3 AS third,"
        " revenue_usd / avg_order_value_usd AS ratio, orders / 2.5 AS by_decimal,"
        " CAST(units AS DOUBLE) / orders AS dbl FROM daily_sales"
        " ORDER BY order_date, store_id, category",
        "SELECT CAST(-10.00 AS DECIMAL(18,2)) / 3 AS neg_third,"
        " CAST(2.50 AS DECIMAL(18,2)) / CAST(0.40 AS DECIMAL(9,2)) AS q,"
        " CAST(1 AS DECIMAL(18,4)) / 7 AS s4 FROM daily_sales LIMIT 1",
        "SELECT product_id, month, return_rate / 7 AS r7, revenue_usd / units AS price"
        " FROM product_monthly WHERE units > 0 ORDER BY product_id, month",
    ],
    "_sum_bigint_duckdb": [
        "SELECT category, SUM(units) AS units, SUM(orders) AS orders FROM daily_sales"
        " GROUP BY category ORDER BY category",
    ],
    "_sum_window_bigint_duckdb": [
        "SELECT order_date, store_id, category, SUM(units) OVER (PARTITION BY store_id"
        " ORDER BY order_date, category) AS running FROM daily_sales"
        " ORDER BY order_date, store_id, category",
    ],
    "_approx_distinct_exact": [
        "SELECT category, approx_distinct(store_id) AS stores, approx_distinct(order_date) AS days"
        " FROM daily_sales GROUP BY category ORDER BY category",
    ],
}

#: Constructs the local engine refuses (``UntranslatableQuery``) while Trino answers.
REFUSED = [
    "SELECT try(CAST(store_id AS INTEGER)) FROM daily_sales",
    "SELECT to_base(units, 2) FROM daily_sales",
    "SELECT format_datetime(order_date, 'yyyy-ww') FROM daily_sales",
    "SELECT format_datetime(order_date, 'e') FROM daily_sales",
]

#: Constructs both refuse: Athena fails them, so the local engine must not answer.
REFUSED_BY_BOTH = [
    "SELECT date_add('hour', 1, order_date) FROM daily_sales",
    "SELECT order_date + INTERVAL '1' HOUR FROM daily_sales",
]


def kinds(frame: pd.DataFrame) -> list[str]:
    """Return the Python type of each column's first non-null value (``-`` if none)."""
    out = []
    for column in frame.columns:
        values = [v for v in frame[column].astype(object) if v is not None and v == v]
        value = values[0] if values else None
        if value is None:
            out.append("-")
        elif isinstance(value, decimal.Decimal):
            out.append("decimal")
        elif isinstance(value, datetime.datetime):
            out.append("timestamp")
        elif isinstance(value, datetime.date):
            out.append("date")
        elif isinstance(value, str):
            out.append("varchar")
        elif isinstance(value, float):
            out.append("double")
        else:
            out.append("integer" if float(value).is_integer() else type(value).__name__)
    return out


def test_every_rule_has_a_query() -> None:
    rules = {rule.__qualname__.split(".")[0] for rule in _RULES["duckdb"]}
    assert rules == set(RULE_QUERIES)
    assert all(RULE_QUERIES[r] for r in rules - {"_refuse_unknown_functions"})
    assert REFUSED  # the refusal rule's queries


@pytest.mark.parametrize(
    "sql",
    [
        pytest.param(q, id=f"{rule}-{i}")
        for rule, qs in RULE_QUERIES.items()
        for i, q in enumerate(qs)
    ],
)
def test_translation_rule_agrees_with_trino(
    platform: Platform, gold_databases: dict[str, str], trino: str, sql: str
) -> None:
    database = gold_databases["delta"]
    local = run_query(platform, sql, "lake", "local", database=database).frame
    on_trino = run_query(platform, sql, "lake", "trino", database=database).frame
    assert len(on_trino) > 0
    assert list(local.columns) == list(on_trino.columns)
    assert kinds(local) == kinds(on_trino)
    assert normalized(local) == normalized(on_trino)


@pytest.mark.parametrize(
    ("sql", "trino_answers"),
    [(q, True) for q in REFUSED] + [(q, False) for q in REFUSED_BY_BOTH],
)
def test_local_refuses_and_trino_answers_or_fails_too(
    platform: Platform, gold_databases: dict[str, str], trino: str, sql: str, trino_answers: bool
) -> None:
    """A refusal is never a different number: Trino answers what the local engine cannot
    translate, and fails what Athena fails (``date_add('hour', ...)`` on a DATE)."""
    database = gold_databases["delta"]
    with pytest.raises(UntranslatableQuery):
        run_query(platform, sql, "lake", "local", database=database)
    if trino_answers:
        assert len(run_query(platform, sql, "lake", "trino", database=database).frame) > 0
    else:
        with pytest.raises(QueryError, match="Trino refused the query"):
            run_query(platform, sql, "lake", "trino", database=database)


#: Parquet is `slow` (~31 s of 13 queries): Trino's Hive connector fetches the 60
#: partitions from the local Glue endpoint and lists each in the S3 store per query. The
#: lake build's partitioned Parquet answers are refereed in `make test` anyway
#: (tests/integration/test_builds_agree.py), on 7 partitions.
@pytest.mark.parametrize(
    "table_format",
    [f if f != "parquet" else pytest.param(f, marks=pytest.mark.slow) for f in FORMATS],
)
def test_standard_queries_equal_on_trino_and_local(
    platform: Platform, gold_databases: dict[str, str], trino: str, table_format: str
) -> None:
    database = gold_databases[table_format]
    local = run_standard_queries(platform, "lake", "local", database=database)
    on_trino = run_standard_queries(platform, "lake", "trino", database=database)
    assert len(local) >= 13 and set(on_trino) == set(local)
    for name, frame in local.items():
        assert len(frame) > 0, name
        assert list(frame.columns) == list(on_trino[name].columns), name
        assert normalized(frame) == normalized(on_trino[name]), name


def test_explain_on_trino_prints_trinos_plan(
    platform: Platform, gold_databases: dict[str, str], trino: str
) -> None:
    database = gold_databases["parquet"]
    sql = "SELECT SUM(revenue_usd) FROM daily_sales WHERE order_date = DATE '2025-01-07'"
    explained = explain_query(platform, sql, "lake", "trino", database=database)
    assert explained.plan.engine_sql.startswith("SELECT SUM(revenue_usd)")
    assert f"{database}.daily_sales" in explained.plan.engine_sql
    assert explained.engine_plan is not None
    assert f"table = awsdatacatalog:{database}:daily_sales" in explained.engine_plan
    # the Hive connector prunes to the one partition the filter names
    assert "order_date:date:PARTITION_KEY\n               :: [[2025-01-07]]" in (
        explained.engine_plan
    )


def test_delta_tables_are_read_by_the_delta_connector(
    platform: Platform, gold_databases: dict[str, str], trino: str
) -> None:
    """The Hive catalog hands Delta tables to the Delta Lake connector (no Parquet reads of
    a Delta table's files, which would also see removed files)."""
    database = gold_databases["delta"]
    explained = explain_query(
        platform, "SELECT COUNT(*) FROM daily_sales", "lake", "trino", database=database
    )
    assert f"table = delta:{database}.daily_sales" in str(explained.engine_plan)


def test_trino_is_a_recorded_local_service(platform: Platform, trino: str) -> None:
    from goldmine.local import service_status

    statuses = {s.name: s for s in service_status(platform.settings)}
    assert statuses["trino"].running and statuses["trino"].url == trino


def test_trino_answers_no_write(
    platform: Platform, gold_databases: dict[str, str], trino: str
) -> None:
    """The catalogs are read-only even past the query path's own refusal."""
    from goldmine.query._run_trino import run_trino

    database = gold_databases["delta"]
    with pytest.raises(QueryError, match="Trino refused the query"):
        run_trino(platform, f"DELETE FROM {database}.daily_sales")


def test_partitions_lost_by_the_catalog_are_restored_from_storage(
    platform: Platform, gold_databases: dict[str, str], trino: str
) -> None:
    """The local API endpoint keeps Glue partitions in memory only: after a restart,
    ``sync_catalog`` finds them again in storage, or Trino would read the table empty."""
    from goldmine.catalog import sync_catalog

    database, glue = gold_databases["parquet"], platform.aws.client("glue")
    sql = "SELECT COUNT(*) AS n, SUM(revenue_usd) AS revenue FROM daily_sales"
    expected = normalized(run_query(platform, sql, "lake", "local", database=database).frame)
    partitions = glue.get_partitions(DatabaseName=database, TableName="daily_sales")
    values = [p["Values"] for p in partitions["Partitions"]]
    assert len(values) == 60
    for start in range(0, len(values), 25):
        glue.batch_delete_partition(
            DatabaseName=database,
            TableName="daily_sales",
            PartitionsToDelete=[{"Values": v} for v in values[start : start + 25]],
        )
    lost = run_query(platform, sql, "lake", "trino", database=database).frame
    assert lost["n"].tolist() == [0]  # what a restarted endpoint showed before the fix
    sync_catalog(glue, platform.aws.s3(), [platform.settings.buckets.analytics])
    restored = glue.get_partitions(DatabaseName=database, TableName="daily_sales")
    assert sorted(p["Values"] for p in restored["Partitions"]) == sorted(values)
    on_trino = run_query(platform, sql, "lake", "trino", database=database).frame
    assert normalized(on_trino) == expected


def test_approx_distinct_is_exact_locally_and_within_trinos_error_on_trino(
    platform: Platform, gold_databases: dict[str, str], trino: str
) -> None:
    """``approx_distinct`` (rule ``_approx_distinct_exact``): at large cardinalities
    Trino's HyperLogLog (standard error 2.3%) is not exact; the local engine's exact count
    must lie within 3 standard errors of it."""
    database = gold_databases["delta"]
    sql = "SELECT approx_distinct(customer_id) AS n FROM customer_lifetime"
    exact = (
        run_query(
            platform,
            "SELECT COUNT(*) AS n FROM customer_lifetime",
            "lake",
            "local",
            database=database,
        )
        .frame["n"]
        .iloc[0]
    )
    local = run_query(platform, sql, "lake", "local", database=database).frame["n"].iloc[0]
    approx = run_query(platform, sql, "lake", "trino", database=database).frame["n"].iloc[0]
    assert exact > 1000 and local == exact
    assert abs(approx - exact) <= 3 * 0.023 * exact


def test_cli_explain_prints_trinos_plan_as_text(
    platform: Platform,
    gold_databases: dict[str, str],
    trino: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``goldmine query --engine trino --explain``, on the test run's services."""
    from goldmine.cli import main

    monkeypatch.setenv("GOLDMINE_DATA_DIR", str(platform.settings.data_dir))
    monkeypatch.setenv("GOLDMINE_JAR_DIR", str(platform.settings.jar_dir))
    sql = f"SELECT store_id, SUM(revenue_usd) FROM {gold_databases['delta']}.daily_sales GROUP BY 1"
    assert main(["query", "--build", "lake", "--engine", "trino", "--explain", sql]) == 0
    out = capsys.readouterr().out
    assert "trino plan" in out and "Trino version: 476" in out
    assert "Output layout: [store_id, sum]" in out  # brackets are not taken as markup
