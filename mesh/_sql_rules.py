"""ODCS ``type: sql`` quality rules: read, guarded, and run on the built product.

A rule's ``query`` returns one number, judged by the rule's comparators (``mustBe``,
``mustBeLessThan``, ...). It names the product with a placeholder, as peer tools write
it (datacontract-cli reads the same forms): ``{object}``, ``{table}``, ``{model}`` or
``{schema}`` (also with a leading ``$``) for the product, and ``{property}``,
``{column}`` or ``{field}`` for the column of a column-level rule. The query is read as
Athena (Trino) SQL, the dialect the product's consumers query it in, and transpiled to
Spark SQL with sqlglot; anything but one read-only ``SELECT`` is refused when the
contract is validated, so a contract cannot make the publisher write or drop anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: The dialect a rule's query is read in (the consumers' engine, Athena = Trino).
QUERY_DIALECT = "athena"
_OBJECT = ("object", "table", "model", "schema")
_COLUMN = ("property", "column", "field")
_PLACEHOLDER = re.compile(r"[\"'`]?\$?\{(" + "|".join(_OBJECT + _COLUMN) + r")\}[\"'`]?")
#: Statements a read-only rule may not contain anywhere (DML, DDL, commands).
_WRITES = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter)


class SqlRuleError(ValueError):
    """A ``sql`` quality rule that cannot be run; the message says why, in one line."""


@dataclass(frozen=True)
class SqlRule:
    """A ``sql`` rule of a contract: where it sits, its query and its comparators."""

    name: str
    column: str | None
    query: str
    quality: Any

    def spark_sql(self, view: str) -> str:
        """Return the query in Spark SQL with the placeholders naming ``view``."""
        return to_spark_sql(self.query, view, self.column)


def sql_rules(table_quality: Any, columns: Any) -> list[SqlRule]:
    """Return the ``sql`` rules of a product table (table-level first, then per column)."""
    rules = [
        SqlRule(q.name or f"sql_{i}", None, q.query or "", q)
        for i, q in enumerate(table_quality or [])
        if q.type == "sql"
    ]
    for col in columns:
        rules += [
            SqlRule(q.name or f"{col.name}_sql_{i}", col.name, q.query or "", q)
            for i, q in enumerate(col.quality)
            if q.type == "sql"
        ]
    return rules


def to_spark_sql(query: str, view: str, column: str | None = None) -> str:
    """Substitute the placeholders and transpile ``query`` to one Spark SQL ``SELECT``.

    Raises
    ------
    SqlRuleError
        Empty, unparseable, not one ``SELECT``, writing anything, or naming a column
        placeholder in a table-level rule.
    """
    if not query.strip():
        raise SqlRuleError("the rule has no query")

    def name(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in _OBJECT:
            return view
        if column is None:
            raise SqlRuleError(f"{{{key}}} names a column, but the rule is not on a column")
        return f'"{column}"'

    text = _PLACEHOLDER.sub(name, query)
    try:
        statements = sqlglot.parse(text, read=QUERY_DIALECT)
    except ParseError as exc:
        raise SqlRuleError(f"the query is not {QUERY_DIALECT} SQL: {_first_line(exc)}") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise SqlRuleError("the query must be one SELECT returning one number")
    tree = statements[0]
    if any(tree.find(kind) for kind in _WRITES):
        raise SqlRuleError("the query must only read (no INSERT, UPDATE, DELETE, DDL)")
    return tree.sql(dialect="spark")


def run_sql_rule(df: DataFrame, rule: SqlRule, view: str) -> float | None:
    """Run ``rule`` on ``df`` (registered as temp view ``view``); its one number."""
    spark = df.sparkSession
    df.createOrReplaceTempView(view)
    try:
        row = spark.sql(rule.spark_sql(view)).first()
    finally:
        spark.catalog.dropTempView(view)
    if row is None or len(row) != 1 or row[0] is None:
        return None
    return float(row[0])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
