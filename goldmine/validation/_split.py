"""Split a DataFrame into valid and quarantined records by a rule declaration."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, overload

from goldmine.validation._record_splits import note_split, recording
from goldmine.validation._rule import Rule, RuleSet

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column, DataFrame

#: Column added to quarantined records: ids of every rule broken, in precedence order.
FAILED_RULES = "failed_rules"
#: Column added to quarantined records: the first rule broken (the reason).
REASON = "reason"


@overload
def split(df: DataFrame, rules: RuleSet) -> tuple[DataFrame, DataFrame]: ...
@overload
def split(df: pd.DataFrame, rules: RuleSet) -> tuple[pd.DataFrame, pd.DataFrame]: ...
def split(df: Any, rules: RuleSet) -> tuple[Any, Any]:
    """Split ``df`` into records passing every rule and records breaking at least one.

    Spark: column predicates only (no action; a ``unique`` rule adds one window).
    ``valid`` filters on the conjunction of the rules; ``quarantined`` on its
    negation, and only there the array of failed rule ids and the reason are built
    (code-generated expressions, no lambda). Consuming both outputs reads ``df``
    twice (one extra pass); caching ``df`` first trades that pass for building the
    cache, which measured slower (``docs/benchmarks.md``). pandas: the same
    predicates, vectorised. Inside :func:`record_splits` the frame is also recorded
    for reporting (great-expectations) and, on Spark, observed (records and failures
    per rule, counted as every record flows through ``quarantined``'s filter, by the
    first action that reads it) with ``quarantined`` persisted for the report; the
    outputs' rows are the same.

    Parameters
    ----------
    df
        A Spark or pandas DataFrame holding every column the rules name.
    rules
        The declaration; rule order is reason precedence.

    Returns
    -------
    (valid, quarantined)
        ``valid``: the passing records, columns of ``df``. ``quarantined``: the
        failing records, columns of ``df`` plus ``failed_rules`` (array of rule ids,
        precedence order) and ``reason`` (the first of them).
    """
    if hasattr(df, "sparkSession"):
        if recording():
            return _split_recorded(df, rules)
        return _split_spark(df, rules)
    note_split(rules, df)
    return _split_pandas(df, rules)


#: Name of the records count in a recorded split's observation (rule ids name the others).
RECORDS = "__records"


def failure_counts(rules: RuleSet) -> list[Column]:
    """Return aggregate columns: records (:data:`RECORDS`) and records failing each rule.

    For a frame marked by :func:`mark_unique` (``unique`` rules need their counts).
    """
    from pyspark.sql import functions as F

    return [
        F.count(F.lit(1)).alias(RECORDS),
        *[
            F.count(F.when(F.coalesce(_fails_spark(r), F.lit(False)), 1)).alias(r.rule_id)
            for r in rules.rules
        ],
    ]


def mark_unique(df: DataFrame, rules: RuleSet) -> tuple[DataFrame, list[str]]:
    """Add the per-value count a ``unique`` rule checks; return the frame and helper columns."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    marked = df
    unique_cols = list(dict.fromkeys(r.column for r in rules.rules if r.kind == "unique"))
    for column in unique_cols:
        marked = marked.withColumn(
            f"__count_{column}", F.count(F.lit(1)).over(Window.partitionBy(column))
        )
    return marked, [f"__count_{c}" for c in unique_cols]


def _split_recorded(df: DataFrame, rules: RuleSet) -> tuple[DataFrame, DataFrame]:
    """Split as :func:`_split_spark`, observed, rejects persisted; record it for the report."""
    from pyspark import StorageLevel
    from pyspark.sql import Observation

    observation = Observation()
    valid, quarantined = _split_spark(df, rules, observation)
    quarantined = quarantined.persist(StorageLevel.MEMORY_AND_DISK)
    note_split(rules, df, quarantined, observation)
    return valid, quarantined


def failed_rules_column(rules: RuleSet) -> Column:
    """Return the Spark column of rule ids ``rules`` says a record breaks (maybe empty).

    Built as ``flatten`` of one- or zero-element arrays, which Spark compiles into the
    stage's generated code (``array_compact`` is a lambda function that Spark
    interprets row by row and that stops whole-stage code generation).
    """
    from pyspark.sql import functions as F

    none = F.array().cast("array<string>")
    if not rules.rules:
        return none
    parts = [
        F.when(_fails_spark(rule), F.array(F.lit(rule.rule_id))).otherwise(none)
        for rule in rules.rules
    ]
    return F.flatten(F.array(*parts))


def reason_column(rules: RuleSet) -> Column:
    """Return the Spark column of the first rule id a record breaks (null: none)."""
    from pyspark.sql import functions as F

    if not rules.rules:
        return F.lit(None).cast("string")
    return F.coalesce(*[F.when(_fails_spark(r), F.lit(r.rule_id)) for r in rules.rules])


def passes_column(rules: RuleSet) -> Column:
    """Return the Spark boolean column: the record breaks none of ``rules``."""
    from pyspark.sql import functions as F

    ok = F.lit(True)
    for rule in rules.rules:
        ok = ok & ~F.coalesce(_fails_spark(rule), F.lit(False))
    return ok


def _split_spark(
    df: DataFrame, rules: RuleSet, observation: Any = None
) -> tuple[DataFrame, DataFrame]:

    marked, helpers = mark_unique(df, rules)
    judged = marked
    if observation is not None:
        # Every record flows through the observation before the rejects' filter (Spark
        # pushes no filter below it). Only that branch carries it: the rejects are
        # persisted and computed once, whole, where ``valid`` may be read several times
        # (a MERGE's source), and an observation stops the stage's generated code.
        judged = marked.observe(observation, *failure_counts(rules))
    # Valid rows only evaluate the predicates; the rule-id array is built for rejects only.
    valid = marked.filter(passes_column(rules)).drop(*helpers)
    quarantined = (
        judged.filter(~passes_column(rules))
        .withColumn(FAILED_RULES, failed_rules_column(rules))
        .withColumn(REASON, reason_column(rules))
        .drop(*helpers)
    )
    return valid, quarantined


def _fails_spark(rule: Rule) -> Column:
    from pyspark.sql import functions as F

    col = F.col(rule.column)
    if rule.kind == "not_null":
        return col.isNull()
    if rule.kind == "unique":
        return col.isNotNull() & (F.col(f"__count_{rule.column}") > 1)
    if rule.kind == "in_set":
        ok = col.isin(list(rule.values))
    elif rule.kind == "regex":
        ok = col.rlike(str(rule.pattern))
    else:  # between
        checks = []
        if rule.min_value is not None:
            checks.append(col > rule.min_value if rule.strict_min else col >= rule.min_value)
        if rule.max_value is not None:
            checks.append(col < rule.max_value if rule.strict_max else col <= rule.max_value)
        ok = functools.reduce(lambda a, b: a & b, checks)
    if rule.allow_null:
        return col.isNotNull() & ~ok
    return col.isNull() | ~ok


def _split_pandas(df: pd.DataFrame, rules: RuleSet) -> tuple[pd.DataFrame, pd.DataFrame]:
    import pandas as pd

    failed = pd.DataFrame(
        {rule.rule_id: _fails_pandas(df, rule) for rule in rules.rules}, index=df.index
    )
    ids = list(failed.columns)
    lists = [[i for i, flag in zip(ids, row, strict=True) if flag] for row in failed.to_numpy()]
    mask = pd.Series([bool(x) for x in lists], index=df.index, dtype=bool)
    valid = df[~mask].copy()
    quarantined = df[mask].copy()
    quarantined[FAILED_RULES] = [x for x in lists if x]
    quarantined[REASON] = [x[0] for x in lists if x]
    return valid, quarantined


def _fails_pandas(df: pd.DataFrame, rule: Rule) -> pd.Series:
    import pandas as pd

    col = df[rule.column]
    null = col.isna()
    if rule.kind == "not_null":
        return null
    if rule.kind == "unique":
        return ~null & col.duplicated(keep=False)
    filled = col.where(~null)
    if rule.kind == "in_set":
        ok = filled.isin(list(rule.values))
    elif rule.kind == "regex":
        pattern = re.compile(str(rule.pattern))
        ok = filled.map(lambda v: bool(pattern.search(str(v))) if v is not None else False)
    else:
        ok = pd.Series(True, index=df.index)
        if rule.min_value is not None:
            ok &= filled.map(lambda v: v is not None and _cmp_min(v, rule))
        if rule.max_value is not None:
            ok &= filled.map(lambda v: v is not None and _cmp_max(v, rule))
    ok = ok.fillna(False).astype(bool)
    if rule.allow_null:
        return ~null & ~ok
    return null | ~ok


def _cmp_min(value: Any, rule: Rule) -> bool:
    return bool(value > rule.min_value if rule.strict_min else value >= rule.min_value)


def _cmp_max(value: Any, rule: Rule) -> bool:
    return bool(value < rule.max_value if rule.strict_max else value <= rule.max_value)
