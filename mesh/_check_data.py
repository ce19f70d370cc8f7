"""Validate a built product DataFrame against its contract: schema, quality, freshness.

Returns a :class:`DataCheck` (never raises at the first failure, STYLE.md #7).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.validation import FAILED_RULES, failed_rules_column
from mesh._contract import Contract
from mesh._generate import rule_set, spark_schema
from mesh._sql_rules import run_sql_rule, sql_rules

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


@dataclass(frozen=True)
class Check:
    """One check: what, whether it held, and the number or detail behind it."""

    name: str
    kind: str  # schema | quality | freshness | reconciliation (of the sources, by the publisher)
    passed: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return the check as plain data (for the registry)."""
        return {"name": self.name, "kind": self.kind, "passed": self.passed, "detail": self.detail}


@dataclass(frozen=True)
class DataCheck:
    """The outcome of checking one built product against its contract.

    Attributes
    ----------
    product_id
        ``domain.name``.
    rows
        Records checked.
    checks
        Every check, in order: schema, then quality, then freshness; the publisher
        appends the reconciliation of the build's source records (``mesh.SourceReport``).
    report
        Where the publisher saved this run's quality report (``s3://...``), once saved.
    newest
        The newest value of the freshness SLA's element (``None``: no element, or not
        checked because the schema broke).
    """

    product_id: str
    rows: int
    checks: tuple[Check, ...] = field(default_factory=tuple)
    report: str = ""
    newest: Any = None

    @property
    def passed(self) -> bool:
        """Whether every check held."""
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        """Return the checks that failed."""
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """Return one line: rows and failed checks (and where the report is, once saved)."""
        report = f"; report {self.report}" if self.report else ""
        if self.passed:
            return f"{self.product_id}: {self.rows} rows, {len(self.checks)} checks passed{report}"
        failed = ", ".join(f"{c.name} ({c.detail})" for c in self.failures)
        return (
            f"{self.product_id}: {len(self.failures)} of {len(self.checks)} checks failed: "
            f"{failed}{report}"
        )


def check_schema(df: DataFrame, contract: Contract) -> list[Check]:
    """Compare column names, order and types with the contract's Spark schema."""
    expected = [(f.name, f.dataType.simpleString()) for f in spark_schema(contract).fields]
    actual = [(f.name, f.dataType.simpleString()) for f in df.schema.fields]
    if expected == actual:
        return [Check("schema", "schema", True, f"{len(expected)} columns")]
    missing = [n for n, _ in expected if n not in dict(actual)]
    extra = [n for n, _ in actual if n not in dict(expected)]
    typed = [
        f"{n}: {dict(actual)[n]} != {t}"
        for n, t in expected
        if n in dict(actual) and dict(actual)[n] != t
    ]
    parts = [
        *(f"missing {', '.join(missing)}" for _ in [0] if missing),
        *(f"unexpected {', '.join(extra)}" for _ in [0] if extra),
        *typed,
    ] or ["column order differs"]
    return [Check("schema", "schema", False, "; ".join(parts))]


def _compare(value: float, quality: Any) -> bool:
    ops = {
        "mustBe": lambda v, x: v == x,
        "mustNotBe": lambda v, x: v != x,
        "mustBeGreaterThan": lambda v, x: v > x,
        "mustBeGreaterOrEqualTo": lambda v, x: v >= x,
        "mustBeLessThan": lambda v, x: v < x,
        "mustBeLessOrEqualTo": lambda v, x: v <= x,
        "mustBeBetween": lambda v, x: x[0] <= v <= x[1],
        "mustNotBeBetween": lambda v, x: not x[0] <= v <= x[1],
    }
    return all(
        op(value, getattr(quality, key))
        for key, op in ops.items()
        if getattr(quality, key) is not None
    )


def _aggregate(df: DataFrame, contract: Contract) -> dict[str, Any]:
    """One Spark job: rows, failures per generated rule, duplicates, newest SLA element."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    rules = rule_set(contract)
    marked = df
    for column in dict.fromkeys(r.column for r in rules.rules if r.kind == "unique"):
        marked = marked.withColumn(
            f"__count_{column}", F.count(F.lit(1)).over(Window.partitionBy(column))
        )
    marked = marked.withColumn(FAILED_RULES, failed_rules_column(rules))
    aggs = [F.count(F.lit(1)).alias("__rows")]
    aggs += [
        F.sum(F.when(F.array_contains(FAILED_RULES, r.rule_id), 1).otherwise(0)).alias(f"r{i}")
        for i, r in enumerate(rules.rules)
    ]
    for i, quality in enumerate(contract.table.quality or []):
        if quality.metric == "duplicateValues":
            cols = list((quality.arguments or {}).get("properties") or contract.primary_key)
            aggs.append(F.countDistinct(*[F.col(c) for c in cols]).alias(f"d{i}"))
    sla = contract.sla("freshness")
    if sla is not None and sla[1] is not None:
        aggs.append(F.max(F.col(sla[1])).alias("__newest"))
    row = marked.agg(*aggs).first()
    return row.asDict() if row is not None else {}


def check_quality(contract: Contract, stats: dict[str, Any]) -> list[Check]:
    """Judge the generated rules and the table-level quality rules from ``stats``."""
    rows = int(stats["__rows"])
    checks = []
    for i, rule in enumerate(rule_set(contract).rules):
        failing = int(stats.get(f"r{i}") or 0)
        checks.append(Check(rule.rule_id, "quality", failing == 0, f"failing={failing}"))
    for i, quality in enumerate(contract.table.quality or []):
        name = quality.name or str(quality.metric)
        if quality.metric == "rowCount":
            checks.append(Check(name, "quality", _compare(rows, quality), f"rowCount={rows}"))
        elif quality.metric == "duplicateValues":
            dupes = rows - int(stats.get(f"d{i}") or 0)
            checks.append(Check(name, "quality", _compare(dupes, quality), f"duplicates={dupes}"))
    return checks


def check_sql_rules(df: DataFrame, contract: Contract) -> list[Check]:
    """Run the contract's ``sql`` quality rules on ``df``: one Spark job per rule."""
    checks: list[Check] = []
    rules = sql_rules(contract.table.quality, contract.columns)
    if not rules:
        return checks
    # A SQL query over a temporary view re-resolves the view's plan; for a product
    # read from Delta inputs that misses the product's cache and rebuilds it (7 more
    # jobs for finance.revenue). A lazy local checkpoint (no job of its own) pins the
    # plan to the computed rows: the first rule computes them from the cache.
    pinned = df.localCheckpoint(eager=False)
    for rule in rules:
        value = run_sql_rule(pinned, rule, f"product_{contract.model.name}")
        passed = value is not None and _compare(value, rule.quality)
        shown = "no value" if value is None else f"{value:g}"
        checks.append(Check(rule.name, "quality", passed, f"query returned {shown}"))
    return checks


def check_freshness(contract: Contract, newest: Any, as_of: dt.date | None) -> list[Check]:
    """Check the newest value of the freshness element is within the SLA of ``as_of``.

    ``as_of`` is the business date of the newest input batch (the data cannot be
    fresher than its source); without an element the SLA is measured from publish
    time by ``mesh show``, not here.
    """
    sla = contract.sla("freshness")
    if sla is None or sla[1] is None or as_of is None:
        return []
    seconds, element = sla
    value = newest
    if value is None:
        return [Check("freshness", "freshness", False, f"no {element} values")]
    newest_dt = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
    horizon = dt.datetime.combine(as_of, dt.time()) + dt.timedelta(days=1)
    age = (horizon - newest_dt.replace(tzinfo=None)).total_seconds()
    return [
        Check(
            "freshness",
            "freshness",
            age <= seconds,
            f"newest {element}={value} is {age / 3600:.1f}h before the end of {as_of} "
            f"(SLA {seconds / 3600:.0f}h)",
        )
    ]


def check_data(df: DataFrame, contract: Contract, *, as_of: dt.date | None = None) -> DataCheck:
    """Check a built product against its contract; quality only runs on a valid schema."""
    checks = check_schema(df, contract)
    if not checks[0].passed:
        return DataCheck(contract.product_id, df.count(), tuple(checks))
    stats = _aggregate(df, contract)
    checks += check_quality(contract, stats)
    checks += check_sql_rules(df, contract)
    checks += check_freshness(contract, stats.get("__newest"), as_of)
    newest = stats.get("__newest")
    return DataCheck(contract.product_id, int(stats["__rows"]), tuple(checks), newest=newest)
