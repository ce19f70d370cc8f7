"""Each translation rule of the query path, and what it refuses (no services needed)."""

from __future__ import annotations

import datetime
import decimal

import duckdb
import pytest

from goldmine.query import (
    RefusedQuery,
    UntranslatableQuery,
    joda_to_strftime,
    parse_select,
    translate,
)

SCHEMA = {
    "ds": {
        "order_date": "date",
        "store_id": "string",
        "orders": "bigint",
        "units": "bigint",
        "revenue_usd": "decimal(18,2)",
        "ts": "timestamp",
    }
}


def on_duckdb(sql: str) -> tuple:
    """Translate and run ``sql`` on one row of ``ds`` in DuckDB."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE ds AS SELECT DATE '2024-01-31' AS order_date, 's001' AS store_id, "
        "CAST(3 AS BIGINT) AS orders, CAST(7 AS BIGINT) AS units, "
        "CAST(10.00 AS DECIMAL(18,2)) AS revenue_usd, TIMESTAMP '2024-01-31 10:30:00' AS ts"
    )
    row = con.execute(translate(sql, "duckdb", SCHEMA)).fetchone()
    assert row is not None
    return row


def test_format_datetime_joda_pattern() -> None:
    assert joda_to_strftime("yyyy-MM-dd HH:mm:ss") == "%Y-%m-%d %H:%M:%S"
    assert joda_to_strftime("EEEE, d MMM ''yy") == "%A, %-d %b '%y"
    assert on_duckdb("SELECT format_datetime(order_date, 'yyyy-MM EEE') FROM ds") == (
        "2024-01 Wed",
    )
    assert "DATE_FORMAT(`ds`.`order_date`, 'yyyy-MM')" in translate(
        "SELECT format_datetime(order_date, 'yyyy-MM') FROM ds", "spark", SCHEMA
    )
    with pytest.raises(UntranslatableQuery, match="pattern letter 'xxxx'"):
        translate("SELECT format_datetime(order_date, 'xxxx') FROM ds", "duckdb", SCHEMA)


def test_date_add_keeps_date_type() -> None:
    row = on_duckdb(
        "SELECT date_add('day', 1, order_date), date_add('month', 1, order_date), "
        "date_add('hour', 2, ts), order_date + INTERVAL '1' DAY FROM ds"
    )
    assert row == (
        datetime.date(2024, 2, 1),
        datetime.date(2024, 2, 29),
        datetime.datetime(2024, 1, 31, 12, 30),
        datetime.date(2024, 2, 1),
    )
    spark = translate(
        "SELECT date_add('month', 1, order_date), date_add('day', 2, ts) FROM ds", "spark", SCHEMA
    )
    assert (
        "ADD_MONTHS(`ds`.`order_date`, 1)" in spark and "TIMESTAMPADD(DAY, 2, `ds`.`ts`)" in spark
    )
    with pytest.raises(UntranslatableQuery, match="date_add"):
        translate("SELECT date_add('hour', 1, order_date) FROM ds", "duckdb", SCHEMA)


def test_date_trunc_of_date_is_a_date() -> None:
    assert on_duckdb(
        "SELECT date_trunc('month', order_date), date_trunc('week', order_date) FROM ds"
    ) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 1, 29),
    )
    assert "CAST(DATE_TRUNC('MONTH', `ds`.`order_date`) AS DATE)" in translate(
        "SELECT date_trunc('month', order_date) FROM ds", "spark", SCHEMA
    )


def test_date_diff_counts_whole_units() -> None:
    assert on_duckdb("SELECT date_diff('month', DATE '2024-01-31', DATE '2024-02-01') FROM ds") == (
        0,
    )
    assert "TIMESTAMPDIFF(DAY" in translate(
        "SELECT date_diff('day', order_date, order_date) FROM ds", "spark", SCHEMA
    )


def test_day_of_week_is_iso() -> None:
    assert on_duckdb("SELECT day_of_week(order_date), extract(dow FROM order_date) FROM ds") == (
        3,
        3,
    )
    assert "(WEEKDAY(`ds`.`order_date`) + 1)" in translate(
        "SELECT dow(order_date) FROM ds", "spark", SCHEMA
    )


def test_integer_division_truncates() -> None:
    assert on_duckdb("SELECT units / orders, -7 / 2 FROM ds") == (2, -3)
    assert "`ds`.`units` DIV `ds`.`orders`" in translate(
        "SELECT units / orders FROM ds", "spark", SCHEMA
    )


def test_decimal_division_is_exact_with_trino_scale() -> None:
    row = on_duckdb("SELECT revenue_usd / orders, revenue_usd / 3.0 FROM ds")
    assert row == (decimal.Decimal("3.33"), decimal.Decimal("3.33"))
    assert on_duckdb("SELECT SUM(revenue_usd) / SUM(orders) FROM ds") == (decimal.Decimal("3.33"),)
    assert on_duckdb("SELECT CAST(0.05 AS DECIMAL(18,2)) / 2 FROM ds") == (decimal.Decimal("0.03"),)
    assert on_duckdb("SELECT CAST(-0.05 AS DECIMAL(18,2)) / 2 FROM ds") == (
        decimal.Decimal("-0.03"),
    )
    assert "AS DECIMAL(38, 2)" in translate("SELECT revenue_usd / orders FROM ds", "spark", SCHEMA)


def test_avg_of_decimal_keeps_scale_and_sum_of_bigint_is_bigint() -> None:
    con_row = on_duckdb("SELECT AVG(revenue_usd), SUM(units) FROM ds")
    assert con_row == (decimal.Decimal("10.00"), 7)
    assert "CAST(SUM(" in translate("SELECT SUM(units) FROM ds", "duckdb", SCHEMA)


def test_approx_distinct_is_exact_on_both_engines() -> None:
    for target in ("duckdb", "spark"):
        sql = translate("SELECT approx_distinct(store_id) FROM ds", target, SCHEMA)
        assert "COUNT(DISTINCT" in sql


def test_try_cast_passes_through() -> None:
    assert on_duckdb("SELECT try_cast('x' AS integer), try_cast('12' AS integer) FROM ds") == (
        None,
        12,
    )


def test_unaliased_columns_are_named_like_athena() -> None:
    assert '"_col0"' in translate("SELECT SUM(units) FROM ds", "duckdb", SCHEMA)


@pytest.mark.parametrize(
    ("sql", "construct"),
    [
        ("SELECT levenshtein_distance(store_id, 'a') FROM ds", None),
        ("SELECT my_udf(store_id) FROM ds", "my_udf"),
        ("SELECT try(units / orders) FROM ds", "try"),
        ("WITH x AS (SELECT MAX(store_id) AS m FROM ds) SELECT m / 2 FROM x", "division"),
    ],
)
def test_untranslatable_constructs_are_named(sql: str, construct: str | None) -> None:
    if construct is None:
        translate(sql, "duckdb", SCHEMA)  # known to sqlglot: translated
        return
    with pytest.raises(UntranslatableQuery, match=construct):
        translate(sql, "duckdb", SCHEMA)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("DROP TABLE ds", "only SELECT"),
        ("INSERT INTO ds SELECT * FROM ds", "only SELECT"),
        ("CREATE TABLE x AS SELECT 1", "only SELECT"),
        ("DELETE FROM ds", "only SELECT"),
        ("SELECT 1; DROP TABLE ds", "2 statements"),
        ("SELECT 1; SELECT 2", "2 statements"),
        ("SELEC * FROM ds", "malformed SQL"),
        ("SELECT * FROM (", "malformed SQL"),
        ("", "empty query"),
    ],
)
def test_refused_statements(sql: str, message: str) -> None:
    with pytest.raises(RefusedQuery, match=message):
        parse_select(sql)
