"""Translate one Athena (Trino) query to DuckDB or Spark SQL with Athena's meaning.

sqlglot does the bulk of the work; the rules here fix what it gets wrong or leaves
out for our engines, using the column types of the catalog (Trino's result types
depend on the input types). A construct without a rule that keeps Athena's meaning
raises :class:`UntranslatableQuery` naming it, so a query never returns a wrong answer.

Rules (each has a unit test in ``tests/unit/test_query_translate.py``):

- ``format_datetime(x, 'joda pattern')``: DuckDB ``strftime``, Spark ``date_format``.
- ``date_add(unit, n, x)`` and ``x +/- INTERVAL``: a DATE stays a DATE (DuckDB returns
  a TIMESTAMP); Spark uses ``date_add`` / ``add_months`` for dates, ``timestampadd``
  for timestamps (Spark's ``date_add`` would truncate a timestamp to a date).
- ``date_trunc(unit, date)`` returns DATE (DuckDB and Spark return TIMESTAMP).
- ``date_diff(unit, a, b)`` counts whole units (DuckDB ``date_sub``; its ``date_diff``
  counts boundaries crossed).
- ``day_of_week`` / ``dow`` / ``extract(dow ...)``: ISO 1 (Monday) .. 7 (Sunday).
- ``a / b``: integers divide as integers, truncating; a DECIMAL quotient is exact with
  scale max(s1, s2), rounded half up; DuckDB and Spark would return DOUBLE.
- ``avg(decimal)`` keeps the input scale, rounded half up (DuckDB returns DOUBLE).
- ``sum(integer)`` is BIGINT on DuckDB (it returns HUGEINT).
- ``approx_distinct(x[, e])`` is ``count(DISTINCT x)`` on both engines: exact, hence
  within Athena's error bound, and equal across engines (their HyperLogLogs differ).
- ``try(...)`` and any function sqlglot does not know are refused by name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, OptimizeError, UnsupportedError
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify

from goldmine.query._errors import UntranslatableQuery

Target = Literal["duckdb", "spark"]
#: ``{view name: {column: athena type}}``: the tables a query reads, as the engine names them.
Schema = Mapping[str, Mapping[str, str]]

_DT = exp.DataType.Type
_DATE_UNITS = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}
_TIME_UNITS = {"MILLISECOND", "SECOND", "MINUTE", "HOUR"}
_COL_ALIAS = re.compile(r"^_col_(\d+)$")


def translate_query(
    query: exp.Query,
    target: Target,
    schema: Schema,
    view_names: Mapping[tuple[str | None, str], str] | None = None,
) -> str:
    """Return ``query`` (parsed Athena SQL) as SQL for ``target``.

    Parameters
    ----------
    query
        The parsed query (:func:`goldmine.query.parse_select`); not modified.
    target
        ``duckdb`` (the local engine) or ``spark``.
    schema
        Column types (Athena type names) of every table read, keyed by view name.
    view_names
        ``(database or None, table) -> view name`` for the tables of the query; a table
        missing here is left as written.

    Raises
    ------
    UntranslatableQuery
        Naming the construct that has no translation with Athena's meaning.
    """
    tree = query.copy()
    if view_names:
        _rename_tables(tree, view_names)
    try:
        tree = qualify(
            tree,
            schema={name: dict(cols) for name, cols in schema.items()},
            dialect="athena",
            validate_qualify_columns=False,
            identify=True,
        )
    except OptimizeError as exc:
        raise UntranslatableQuery(f"cannot resolve the query's columns: {exc}") from None
    _athena_column_names(tree)
    tree = annotate_types(tree, schema={k: dict(v) for k, v in schema.items()}, dialect="athena")
    rules = _RULES[target]
    for node in reversed(list(tree.dfs())):
        for rule in rules:
            new = rule(node, tree)
            if new is not None and new is not node:
                if _type_kind(new.type) == "unknown":
                    new.type = node.type
                new.meta.update(node.meta)
                if node is tree:
                    tree = new  # type: ignore[assignment]
                else:
                    node.replace(new)
                break
    try:
        return tree.sql(dialect=target, unsupported_level=ErrorLevel.RAISE)
    except UnsupportedError as exc:
        raise UntranslatableQuery(f"not supported on {target}: {exc}") from None


def translate(sql: str, target: Target, schema: Schema) -> str:
    """Parse ``sql`` (one Athena SELECT) and translate it; see :func:`translate_query`."""
    from goldmine.query._parse_query import parse_select

    return translate_query(parse_select(sql), target, schema)


# --- names ---------------------------------------------------------------------------


def _rename_tables(tree: exp.Expr, names: Mapping[tuple[str | None, str], str]) -> None:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        db = table.db.lower() if table.db else None
        if db is None and table.name.lower() in ctes:
            continue
        view = names.get((db, table.name.lower()))
        if view is None:
            continue
        alias = table.alias or table.name
        table.replace(
            exp.Table(
                this=exp.to_identifier(view), alias=exp.TableAlias(this=exp.to_identifier(alias))
            )
        )


def _athena_column_names(tree: exp.Expr) -> None:
    """Name unaliased output expressions ``_col0``, ``_col1``... as Athena does."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    for projection in select.expressions:
        if isinstance(projection, exp.Alias):
            match = _COL_ALIAS.match(projection.alias)
            if match:
                projection.set("alias", exp.to_identifier(f"_col{match.group(1)}", quoted=True))


# --- types ---------------------------------------------------------------------------


def _kind(node: exp.Expr, root: exp.Expr) -> str:
    """Return ``int``, ``decimal``, ``float``, ``date``, ``timestamp``, ``other`` or ``unknown``."""
    if isinstance(node, exp.Paren):
        return _kind(node.this, root)
    if isinstance(node, exp.Literal) and not node.is_string:
        text = node.name.lower()
        if "e" in text:
            return "float"
        return "decimal" if "." in text else "int"
    if "gm_scale" in node.meta:
        return "decimal"
    kind = _type_kind(node.type)
    if kind in ("unknown", "decimal") and _scale(node, root) is not None:
        return "decimal"
    if kind == "unknown" and isinstance(node, exp.Column):
        source = _source_projection(node, root)
        if source is not None:
            return _kind(source, root)
    return kind


def _type_kind(dtype: exp.DataType | None) -> str:
    if dtype is None or dtype.this in (_DT.UNKNOWN, _DT.NULL):
        return "unknown"
    if dtype.this in exp.DataType.INTEGER_TYPES:
        return "int"
    if dtype.this in (_DT.DECIMAL, _DT.BIGDECIMAL):
        return "decimal"
    if dtype.this in (_DT.DOUBLE, _DT.FLOAT):
        return "float"
    if dtype.this in (_DT.DATE, _DT.DATE32):
        return "date"
    if dtype.this in exp.DataType.TEMPORAL_TYPES:
        return "timestamp"
    return "other"


def _decimal_params(dtype: exp.DataType | None) -> tuple[int, int] | None:
    if dtype is None or dtype.this != _DT.DECIMAL or not dtype.expressions:
        return None
    values = [int(p.this.name) for p in dtype.expressions]
    return values[0], values[1] if len(values) > 1 else 0


def _scale(node: exp.Expr, root: exp.Expr) -> int | None:
    """Return the DECIMAL scale Trino gives ``node`` (0 for integers), ``None`` if unknown."""
    if "gm_scale" in node.meta:
        return int(node.meta["gm_scale"])
    if isinstance(node, exp.Literal) and not node.is_string:
        text = node.name
        return len(text.split(".", 1)[1]) if "." in text and "e" not in text.lower() else 0
    if isinstance(node, exp.Cast | exp.TryCast):
        params = _decimal_params(node.to)
        if params:
            return params[1]
        return 0 if node.to.this in exp.DataType.INTEGER_TYPES else None
    params = _decimal_params(node.type)
    if params:
        return params[1]
    if _type_kind(node.type) == "int":
        return 0
    if isinstance(node, exp.Paren | exp.Neg | exp.Window | exp.Round | exp.Abs):
        return _scale(node.this, root)
    if isinstance(node, exp.Sum | exp.Avg | exp.Max | exp.Min | exp.AnyValue):
        return _scale(node.this, root)
    if isinstance(node, exp.Mul):
        left, right = _scale(node.this, root), _scale(node.expression, root)
        return None if left is None or right is None else left + right
    if isinstance(node, exp.Add | exp.Sub | exp.Div):
        left, right = _scale(node.this, root), _scale(node.expression, root)
        return None if left is None or right is None else max(left, right)
    if isinstance(node, exp.Coalesce):
        scales = [_scale(e, root) for e in [node.this, *node.expressions]]
        return None if None in scales else max(s for s in scales if s is not None)
    if isinstance(node, exp.Column):
        source = _source_projection(node, root)
        return _scale(source, root) if source is not None else None
    return None


def _source_projection(column: exp.Column, root: exp.Expr) -> exp.Expr | None:
    """Return the expression a column of a CTE or subquery stands for, when found."""
    if not column.table:
        return None
    for source in root.find_all(exp.CTE, exp.Subquery):
        if source.alias_or_name != column.table:
            continue
        body = source.this
        while isinstance(body, exp.SetOperation):
            body = body.this
        if isinstance(body, exp.Select):
            for projection in body.expressions:
                if projection.alias_or_name == column.name:
                    return projection.unalias()
    return None


# --- rules ---------------------------------------------------------------------------

Rule = Callable[[exp.Expr, exp.Expr], exp.Expr | None]


def _refuse_unknown_functions(node: exp.Expr, root: exp.Expr) -> None:
    if isinstance(node, exp.Anonymous) and node.name.lower() != "format_datetime":
        raise UntranslatableQuery(
            f"function {node.name}() has no translation with Athena's meaning; "
            "rewrite the query without it or run it with --engine athena"
        )
    if isinstance(node, exp.Try):
        raise UntranslatableQuery(
            "try(...) has no translation with Athena's meaning; use try_cast or a CASE"
        )


def _unit(node: exp.Expr) -> str:
    unit = node.args.get("unit")
    return unit.name.upper() if unit is not None else "DAY"


def _unknown_input(construct: str, kind: str) -> UntranslatableQuery:
    return UntranslatableQuery(
        f"{construct} on an input of {kind} type: CAST it to DATE or TIMESTAMP first"
    )


def _as_date(node: exp.Expr) -> exp.Expr:
    cast = exp.Cast(this=node, to=exp.DataType.build("DATE"))
    cast.type = exp.DataType.build("DATE")
    return cast


def _interval(amount: exp.Expr, unit: str) -> exp.Expr:
    if unit == "QUARTER":
        amount, unit = (
            exp.Mul(this=exp.paren(amount.copy()), expression=exp.Literal.number(3)),
            "MONTH",
        )
    if unit == "WEEK":
        amount, unit = (
            exp.Mul(this=exp.paren(amount.copy()), expression=exp.Literal.number(7)),
            "DAY",
        )
    return exp.Interval(this=exp.paren(amount.copy()), unit=exp.var(unit))


def _date_add_duckdb(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.DateAdd):
        return None
    unit, kind = _unit(node), _kind(node.this, root)
    if kind == "timestamp" and unit in _DATE_UNITS | _TIME_UNITS:
        return exp.Add(this=node.this.copy(), expression=_interval(node.expression, unit))
    if kind != "date":
        raise _unknown_input("date_add", kind)
    if unit not in _DATE_UNITS:
        raise UntranslatableQuery(
            f"date_add('{unit.lower()}', ...) on a DATE is an error in Athena"
        )
    return _as_date(exp.Add(this=node.this.copy(), expression=_interval(node.expression, unit)))


def _date_add_spark(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.DateAdd):
        return None
    unit, kind = _unit(node), _kind(node.this, root)
    amount, this = node.expression.copy(), node.this.copy()
    if kind == "timestamp" and unit in _DATE_UNITS | _TIME_UNITS:
        return exp.Anonymous(this="TIMESTAMPADD", expressions=[exp.var(unit), amount, this])
    if kind != "date":
        raise _unknown_input("date_add", kind)
    if unit not in _DATE_UNITS:
        raise UntranslatableQuery(
            f"date_add('{unit.lower()}', ...) on a DATE is an error in Athena"
        )
    factor = {"DAY": 1, "WEEK": 7, "MONTH": 1, "QUARTER": 3, "YEAR": 12}[unit]
    if factor != 1:
        amount = exp.Mul(this=exp.paren(amount), expression=exp.Literal.number(factor))
    name = "DATE_ADD" if unit in ("DAY", "WEEK") else "ADD_MONTHS"
    return exp.Anonymous(this=name, expressions=[this, amount])


def _date_plus_interval(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    """DATE +/- INTERVAL of days or more stays a DATE (DuckDB makes it a TIMESTAMP)."""
    if not isinstance(node, exp.Add | exp.Sub) or not isinstance(node.expression, exp.Interval):
        return None
    if "gm_date_interval" in node.meta or _kind(node.this, root) != "date":
        return None
    unit = node.expression.unit.name.upper() if node.expression.unit else ""
    if unit not in _DATE_UNITS:
        raise UntranslatableQuery(
            f"DATE {'+' if isinstance(node, exp.Add) else '-'} INTERVAL '{unit.lower()}' "
            "is an error in Athena; use a TIMESTAMP"
        )
    inner = node.copy()
    inner.meta["gm_date_interval"] = True
    return _as_date(inner)


def _date_trunc(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.TimestampTrunc | exp.DateTrunc) or "gm_trunc" in node.meta:
        return None
    kind = _kind(node.this, root)
    if kind == "timestamp":
        return None
    if kind != "date":
        raise _unknown_input("date_trunc", kind)
    unit = _unit(node)
    if unit not in _DATE_UNITS:
        return node.this.copy()  # truncating a DATE to hours or less is the DATE itself
    inner = exp.TimestampTrunc(this=node.this.copy(), unit=exp.var(unit))
    inner.meta["gm_trunc"] = True
    return _as_date(inner)


def _date_diff_duckdb(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.DateDiff):
        return None
    start, end = node.expression.copy(), node.this.copy()
    return exp.Anonymous(this="DATE_SUB", expressions=[exp.Literal.string(_unit(node)), start, end])


def _date_diff_spark(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.DateDiff):
        return None
    start, end = node.expression.copy(), node.this.copy()
    return exp.Anonymous(this="TIMESTAMPDIFF", expressions=[exp.var(_unit(node)), start, end])


def _dow_iso(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if isinstance(node, exp.Extract) and node.this.name.upper() in ("DOW", "DAY_OF_WEEK"):
        return exp.DayOfWeekIso(this=node.expression.copy())
    return None


def _dow_iso_spark(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    """Spark: ``weekday(x) + 1`` (sqlglot's ``dayofweek(x) % 7 + 1`` is off by one)."""
    if isinstance(node, exp.Extract) and node.this.name.upper() in ("DOW", "DAY_OF_WEEK"):
        target = node.expression
    elif isinstance(node, exp.DayOfWeekIso):
        target = node.this
    else:
        return None
    weekday = exp.Anonymous(this="WEEKDAY", expressions=[target.copy()])
    return exp.paren(exp.Add(this=weekday, expression=exp.Literal.number(1)))


def _division(target: Target) -> Rule:
    def rule(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
        if not isinstance(node, exp.Div) or "gm_div" in node.meta:
            return None
        left, right = _kind(node.this, root), _kind(node.expression, root)
        kinds = {left, right}
        if kinds == {"int"}:
            return exp.IntDiv(this=node.this.copy(), expression=node.expression.copy())
        if "float" in kinds and "unknown" not in kinds:
            node.meta["gm_div"] = True
            return None
        if kinds <= {"int", "decimal"}:
            s1, s2 = _scale(node.this, root), _scale(node.expression, root)
            if s1 is not None and s2 is not None:
                return _exact_decimal_div(node.this, node.expression, s1, s2, target)
        raise UntranslatableQuery(
            f"division '{node.sql('athena')}' of {left} by {right}: its result type is "
            "unknown; CAST the operands (e.g. to DOUBLE or DECIMAL(18,2))"
        )

    return rule


def _exact_decimal_div(a: exp.Expr, b: exp.Expr, s1: int, s2: int, target: Target) -> exp.Expr:
    """Trino's DECIMAL quotient: scale max(s1, s2), rounded half up, computed exactly."""
    scale = max(s1, s2)
    if target == "spark":
        quotient = exp.Div(this=exp.paren(a.copy()), expression=exp.paren(b.copy()))
        quotient.meta["gm_div"] = True
        result: exp.Expr = exp.Cast(this=quotient, to=exp.DataType.build(f"DECIMAL(38, {scale})"))
    else:
        # integers of the unscaled values: n = a * 10^(scale + s2), d = b * 10^s2
        template = (
            "CAST((ABS(__n) * 2 + ABS(__d)) // (ABS(__d) * 2) * SIGN(__n) * SIGN(__d) "
            f"AS DECIMAL(38, 0)) * CAST({_unit_of_scale(scale)} AS DECIMAL(38, {scale}))"
        )
        numerator = _unscaled(a, scale + s2 - s1, s1)
        denominator = _unscaled(b, 0, s2)
        result = sqlglot.parse_one(template, read="duckdb")
        for column in list(result.find_all(exp.Column)):
            if column.name == "__n":
                column.replace(numerator.copy())
            elif column.name == "__d":
                column.replace(denominator.copy())
    result = exp.paren(result)
    result.meta["gm_scale"] = scale
    return result


def _unit_of_scale(scale: int) -> str:
    return "1" if scale == 0 else "0." + "0" * (scale - 1) + "1"


def _unscaled(value: exp.Expr, extra_digits: int, scale: int) -> exp.Expr:
    """``CAST(value * 10^scale AS HUGEINT) * 10^extra_digits``: an exact integer."""
    scaled: exp.Expr = exp.paren(value.copy())
    if scale:
        scaled = exp.Mul(this=scaled, expression=exp.Literal.number(10**scale))
    integer: exp.Expr = exp.Cast(this=scaled, to=exp.DataType.build("HUGEINT", dialect="duckdb"))
    if extra_digits:
        integer = exp.Mul(this=integer, expression=exp.Literal.number(10**extra_digits))
    return exp.paren(integer)


def _avg_decimal(target: Target) -> Rule:
    def rule(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
        avg = node.this if isinstance(node, exp.Window) else node
        if not isinstance(avg, exp.Avg) or avg.args.get("distinct") or "gm_avg" in node.meta:
            return None
        if isinstance(node, exp.Avg) and isinstance(node.parent, exp.Window):
            return None  # rewritten with its window
        if _kind(avg.this, root) != "decimal":
            return None
        scale = _scale(avg.this, root)
        if scale is None:
            raise UntranslatableQuery(
                f"avg over a DECIMAL of unknown scale in '{node.sql('athena')}': CAST it first"
            )
        total: exp.Expr = exp.Sum(this=avg.this.copy())
        count: exp.Expr = exp.Count(this=avg.this.copy())
        if isinstance(node, exp.Window):
            total, count = node.copy(), node.copy()
            total.set("this", exp.Sum(this=avg.this.copy()))
            count.set("this", exp.Count(this=avg.this.copy()))
        total.meta["gm_scale"] = scale
        return _exact_decimal_div(total, count, scale, 0, target)

    return rule


def _sum_bigint_duckdb(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.Sum) or "gm_sum" in node.meta:
        return None
    if isinstance(node.parent, exp.Window) or _kind(node.this, root) != "int":
        if isinstance(node.parent, exp.Window) and _kind(node.this, root) == "int":
            return None  # handled on the window node
        return None
    inner = node.copy()
    inner.meta["gm_sum"] = True
    return exp.Cast(this=inner, to=exp.DataType.build("BIGINT"))


def _sum_window_bigint_duckdb(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    if not isinstance(node, exp.Window) or not isinstance(node.this, exp.Sum):
        return None
    if "gm_sum" in node.meta or _kind(node.this.this, root) != "int":
        return None
    inner = node.copy()
    inner.meta["gm_sum"] = True
    return exp.Cast(this=inner, to=exp.DataType.build("BIGINT"))


def _approx_distinct_exact(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
    """``approx_distinct(x[, e])`` -> ``count(DISTINCT x)``: exact, so within any error bound.

    Each engine's HyperLogLog differs (DuckDB's is off by one at 40 distinct values where
    Athena and Spark are exact); the exact count is a valid answer of every one of them.
    """
    if not isinstance(node, exp.ApproxDistinct):
        return None
    return exp.Count(this=exp.Distinct(expressions=[node.this.copy()]))


# Joda-Time pattern letters (Athena's format_datetime) -> strftime.
_JODA_STRFTIME = {
    "yyyy": "%Y",
    "yy": "%y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%-m",
    "dd": "%d",
    "d": "%-d",
    "HH": "%H",
    "H": "%-H",
    "hh": "%I",
    "mm": "%M",
    "ss": "%S",
    "SSS": "%g",
    "EEEE": "%A",
    "EEE": "%a",
    "a": "%p",
    "DDD": "%j",
}
# Spark's datetime patterns agree with Joda for these letters.
_JODA_SPARK_SAFE = set(_JODA_STRFTIME) - {"DDD"} | {"D"}
_JODA_TOKEN = re.compile(r"'[^']*'|([A-Za-z])\1*|[^A-Za-z']+")


def joda_to_strftime(pattern: str) -> str:
    """Convert a Joda-Time pattern (``format_datetime``) to a strftime format.

    Raises
    ------
    UntranslatableQuery
        For a pattern letter without an exact strftime equivalent.
    """
    out = []
    for match in _JODA_TOKEN.finditer(pattern):
        token = match.group(0)
        if token.startswith("'"):
            out.append(token[1:-1].replace("%", "%%") or "'")
        elif token[0].isalpha():
            if token not in _JODA_STRFTIME:
                raise UntranslatableQuery(
                    f"format_datetime pattern letter '{token}' in '{pattern}' is not supported"
                )
            out.append(_JODA_STRFTIME[token])
        else:
            out.append(token.replace("%", "%%"))
    return "".join(out)


def _check_spark_pattern(pattern: str) -> str:
    for match in _JODA_TOKEN.finditer(pattern):
        token = match.group(0)
        if token[0].isalpha() and token not in _JODA_SPARK_SAFE:
            raise UntranslatableQuery(
                f"format_datetime pattern letter '{token}' in '{pattern}' is not supported"
            )
    return pattern


def _format_datetime(target: Target) -> Rule:
    def rule(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
        if not (isinstance(node, exp.Anonymous) and node.name.lower() == "format_datetime"):
            return None
        args = node.expressions
        if len(args) != 2 or not (isinstance(args[1], exp.Literal) and args[1].is_string):
            raise UntranslatableQuery(
                "format_datetime needs a constant pattern: format_datetime(x, 'yyyy-MM-dd')"
            )
        pattern = args[1].name
        if target == "duckdb":
            return exp.Anonymous(
                this="STRFTIME",
                expressions=[args[0].copy(), exp.Literal.string(joda_to_strftime(pattern))],
            )
        return exp.Anonymous(
            this="DATE_FORMAT",
            expressions=[args[0].copy(), exp.Literal.string(_check_spark_pattern(pattern))],
        )

    return rule


def _check(rule: Callable[[exp.Expr, exp.Expr], None]) -> Rule:
    @functools.wraps(rule)
    def wrapped(node: exp.Expr, root: exp.Expr) -> exp.Expr | None:
        rule(node, root)
        return None

    return wrapped


_RULES: dict[Target, list[Rule]] = {
    "duckdb": [
        _format_datetime("duckdb"),
        _check(_refuse_unknown_functions),
        _date_add_duckdb,
        _date_plus_interval,
        _date_trunc,
        _date_diff_duckdb,
        _dow_iso,
        _avg_decimal("duckdb"),
        _division("duckdb"),
        _sum_bigint_duckdb,
        _sum_window_bigint_duckdb,
        _approx_distinct_exact,
    ],
    "spark": [
        _format_datetime("spark"),
        _check(_refuse_unknown_functions),
        _date_add_spark,
        _date_trunc,
        _date_diff_spark,
        _dow_iso_spark,
        _avg_decimal("spark"),
        _division("spark"),
        _approx_distinct_exact,
    ],
}
