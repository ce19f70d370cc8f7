"""ODCS ``type: sql`` quality rules: read as peer tools write them, guarded, and run."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import mesh
from mesh._check_data import check_sql_rules
from mesh._sql_rules import SqlRuleError, to_spark_sql


@pytest.mark.parametrize(
    "query",
    [
        "SELECT COUNT(*) FROM ${object} WHERE units < orders",
        "SELECT COUNT(*) FROM {table} WHERE units < orders",
        'SELECT COUNT(*) FROM "${model}" WHERE units < orders',
        "select count(*) from {schema} where units < orders",
    ],
)
def test_every_placeholder_form_names_the_product(query: str) -> None:
    sql = to_spark_sql(query, "product_revenue")
    assert "product_revenue" in sql and "{" not in sql and "$" not in sql


def test_a_column_rule_names_its_column_and_athena_sql_becomes_spark_sql() -> None:
    sql = to_spark_sql(
        "SELECT COUNT(*) FROM ${object} WHERE CAST(${property} AS VARCHAR) = ''",
        "product_stores",
        "store_id",
    )
    assert sql == "SELECT COUNT(*) FROM product_stores WHERE CAST(`store_id` AS STRING) = ''"


@pytest.mark.parametrize(
    ("query", "column", "reason"),
    [
        ("", None, "no query"),
        ("DROP TABLE ${object}", None, "one SELECT"),
        ("DELETE FROM ${object} WHERE units < 0", None, "one SELECT"),
        ("SELECT 1; SELECT 2", None, "one SELECT"),
        ("SELECT COUNT(*) FROM (INSERT INTO t SELECT 1)", None, "not athena SQL"),
        ("SELECT COUNT(*) FROM ${object} WHERE ${property} < 0", None, "not on a column"),
        ("SELEC COUNT(*) FRM ${object}", None, "not athena SQL"),
    ],
)
def test_what_cannot_run_is_refused_with_one_line(
    query: str, column: str | None, reason: str
) -> None:
    with pytest.raises(SqlRuleError, match=reason) as info:
        to_spark_sql(query, "product", column)
    assert "\n" not in str(info.value)


def _revenue_with(rule: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(mesh.load_product_contract("finance.revenue").raw)
    document["schema"][0]["quality"] = [rule]
    return document


def test_validate_accepts_a_runnable_sql_rule_and_refuses_the_others() -> None:
    ok = {"name": "r", "type": "sql", "query": "SELECT COUNT(*) FROM ${object}", "mustBe": 1}
    assert mesh.parse_contract(_revenue_with(ok)).product_id == "finance.revenue"
    with pytest.raises(mesh.ContractError) as info:
        mesh.parse_contract(_revenue_with({**ok, "query": "DELETE FROM ${object}"}))
    assert info.value.problems == [
        "table: sql quality r: the query must be one SELECT returning one number"
    ]


@pytest.mark.spark
def test_the_shipped_sql_rule_passes_on_good_rows_and_fails_on_bad_ones(spark: Any) -> None:
    contract = mesh.load_product_contract("finance.revenue")
    (rule,) = [q for q in contract.table.quality or [] if q.type == "sql"]
    good = spark.createDataFrame([(3, 2), (1, 1)], "units int, orders int")
    bad = spark.createDataFrame([(3, 2), (1, 4), (0, 1)], "units int, orders int")
    (passed,) = check_sql_rules(good, contract)
    (failed,) = check_sql_rules(bad, contract)
    assert (passed.name, passed.passed, passed.detail) == (rule.name, True, "query returned 0")
    assert (failed.passed, failed.detail) == (False, "query returned 2")
    assert not spark.catalog.tableExists("product_revenue")  # the view is dropped after
