"""Run a rule declaration's great-expectations suite and save the result JSON."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from goldmine.validation._build_suite import build_suite
from goldmine.validation._rule import RuleSet

#: Counts only: element and unexpected counts and percentages per expectation, no
#: sample of unexpected values. Each sample costs great-expectations one more Spark
#: job over the data per expectation (11 more jobs for ``ITEM_RULES``); the
#: quarantine already holds every failing record with its reason.
RESULT_FORMAT: dict[str, Any] = {"result_format": "BASIC", "partial_unexpected_count": 0}
#: The most rows validated in the driver with the pandas engine: a split's rejected
#: records (rule failures, an upper bound), or a frame whose rows the caller counted
#: (``rows``); more stay on Spark.
PANDAS_MAX_ROWS = 200_000
#: great-expectations keeps the current data context in a process-wide project manager
#: (``gx.get_context`` sets it): one validation at a time, whatever thread asks (the
#: demo's builds run at once, ADR 0033).
_GX_LOCK = threading.Lock()


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's outcome: its rule, its type and how many values broke it."""

    rule_id: str
    expectation: str
    column: str
    success: bool
    unexpected_count: int


@dataclass(frozen=True)
class Judged:
    """What a split judged, over its whole input: records and records failing each rule."""

    records: int
    failures: dict[str, int]


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of :func:`run_suite`; never raised, always returned.

    Attributes
    ----------
    suite
        Suite name (the rule set's ``name``).
    success
        Whether every expectation held.
    element_count
        Records judged (the whole frame).
    outcomes
        One per expectation, in suite order.
    result_path
        Where the great-expectations validation result JSON was written (a local
        path or a URI such as ``s3://bucket/key.json``).
    validated
        Records great-expectations read: ``element_count``, or only the rejected
        records when the split's counts were given (``judged``).
    disagreements
        Rule id -> (failures the split counted, unexpected values great-expectations
        found), for the rules where they differ; empty when they agree (always,
        unless the split's observation saw only part of its input).
    """

    suite: str
    success: bool
    element_count: int
    outcomes: tuple[ExpectationOutcome, ...] = field(default_factory=tuple)
    result_path: str | None = None
    validated: int = 0
    disagreements: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def failed_rules(self) -> dict[str, int]:
        """Rule id -> unexpected values, for the rules that failed."""
        failed: dict[str, int] = {}
        for o in self.outcomes:
            if not o.success:
                failed[o.rule_id] = failed.get(o.rule_id, 0) + o.unexpected_count
        return failed

    def summary(self) -> str:
        """One line: suite, verdict, counts, failed rules."""
        verdict = "passed" if self.success else "FAILED"
        n_ok = sum(o.success for o in self.outcomes)
        text = (
            f"{self.suite}: {verdict} ({n_ok}/{len(self.outcomes)} expectations, "
            f"{self.element_count} records)"
        )
        if self.failed_rules:
            text += "; " + ", ".join(f"{k}={v}" for k, v in self.failed_rules.items())
        if self.disagreements:
            text += "; split and great-expectations disagree: " + ", ".join(
                f"{k} {a} vs {b}" for k, (a, b) in self.disagreements.items()
            )
        return text


def run_suite(
    df: Any,
    rules: RuleSet,
    result_path: Path | str,
    judged: Judged | None = None,
    *,
    rows: int | None = None,
) -> ValidationReport:
    """Validate ``df`` with the suite built from ``rules`` and save the result JSON.

    Uses an ephemeral great-expectations context with a Spark data source for a
    Spark DataFrame and a pandas data source for a pandas one, on the columns the
    rules name. Every expectation is evaluated (no stop at the first failure), with
    counts only (:data:`RESULT_FORMAT`). On Spark this costs about one job over
    the data per column with a range or set rule, plus one for the others (4 for
    ``ITEM_RULES``), over a copy of the rule columns cached for the call (the
    first job builds it). A split's rejects (``judged``), or a frame of ``rows``
    rows, at most :data:`PANDAS_MAX_ROWS` of them, are brought to the driver with one
    job and validated by the pandas engine. The report decides nothing: :func:`split`
    does.

    Parameters
    ----------
    df
        A Spark or pandas DataFrame with the columns the rules name.
    rules
        The declaration.
    result_path
        Where the validation result JSON is written: a local file (parents
        created), for example ``<run dir>/validation/orders.json``, or, for a Spark
        DataFrame, a URI its session can write (``s3://bucket/_ledger/.../orders.json``:
        S3A locally, EMRFS on EMR).
    judged
        When ``df`` holds only the records a split rejected: the split's counts over
        its whole input. The report's ``element_count`` is then ``judged.records``,
        the saved JSON's ``meta.goldmine`` says so (records judged, records
        validated, failures per rule), and each rule's unexpected values are checked
        against ``judged.failures`` (``disagreements``, named in ``summary()``).
    rows
        The rows of a Spark ``df`` when the caller counted them already (a product's
        checks do): a small frame is validated in the driver, as rejects are, when
        the pandas engine reads its rules as Spark does (:func:`pandas_reads_alike`).

    Returns
    -------
    ValidationReport
        The verdict with per-expectation counts; ``summary()`` gives one line.
    """
    spark = hasattr(df, "sparkSession")
    columns = list(dict.fromkeys(rule.column for rule in rules.rules))
    if "://" in str(result_path) and not spark:
        raise ValueError(f"{result_path}: a URI needs a Spark DataFrame; give a local path")
    if not spark:
        return _validate(df[columns], rules, result_path, judged, None)
    small = sum(judged.failures.values()) if judged is not None else rows
    alike = judged is not None or pandas_reads_alike(dict(df.dtypes), rules)
    if small is not None and small <= PANDAS_MAX_ROWS and alike:
        # One job brings the rule columns to the driver; great-expectations' Spark
        # engine would run about one job per column over them.
        local = df.select(*columns).toPandas()
        return _validate(local, rules, result_path, judged, df.sparkSession)
    if judged is not None:  # the split's rejects: already persisted
        return _validate(df.select(*columns), rules, result_path, judged, df.sparkSession)
    from pyspark import StorageLevel

    # great-expectations runs several jobs; they read a cached copy of the rule
    # columns instead of recomputing ``df`` (joins and all) each time.
    checked = df.select(*columns).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        return _validate(checked, rules, result_path, judged, df.sparkSession)
    finally:
        checked.unpersist()


def pandas_reads_alike(types: dict[str, str], rules: RuleSet) -> bool:
    r"""Whether the pandas engine judges ``rules`` as Spark does on columns of ``types``.

    ``types``: Spark's simple type names (``DataFrame.dtypes``). Spark casts a rule's
    values to the column's type; pandas compares Python values as they are. So: no
    ``regex`` (Java's dialect: Python's ``re`` rejects ``\p{L}`` or ``\Q...\E``), a
    ``between`` only on a numeric column with numeric bounds, an ``in_set`` only of
    text on a text column or of numbers on a numeric one (a date given as text would
    never equal a date in pandas); ``not_null`` and ``unique`` read alike.

    Examples
    --------
    >>> from goldmine.validation._rule import Rule
    >>> pandas_reads_alike({"q": "int"}, RuleSet("r", (Rule("q", "q", "between", min_value=1),)))
    True
    >>> day = Rule("d", "d", "between", min_value="2025-01-01")
    >>> pandas_reads_alike({"d": "date"}, RuleSet("r", (day,)))
    False
    >>> cents = RuleSet("r", (Rule("p", "p", "between", min_value=0),))
    >>> [pandas_reads_alike({"p": t}, cents) for t in ("decimal(18,2)", "interval day")]
    [True, False]
    """
    numeric = {"tinyint", "smallint", "int", "bigint", "float", "double", "decimal"}

    def numbers(values: Any) -> bool:
        return all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values)

    for rule in rules.rules:
        column = types.get(rule.column, "")
        is_number = column.split("(", 1)[0] in numeric  # decimal(18,2); not "interval ..."
        if rule.kind == "regex":
            return False
        if rule.kind == "between":
            bounds = [v for v in (rule.min_value, rule.max_value) if v is not None]
            if not (is_number and numbers(bounds)):
                return False
        if rule.kind == "in_set":
            values = list(rule.values or ())
            text = column == "string" and all(isinstance(v, str) for v in values)
            if not (text or (is_number and numbers(values))):
                return False
    return True


def _validate(
    checked: Any,
    rules: RuleSet,
    result_path: Path | str,
    judged: Judged | None,
    session: Any,
) -> ValidationReport:
    with _GX_LOCK:
        payload = _gx_result(checked, rules)
    outcomes, validated = _outcomes(payload)
    disagreements: dict[str, tuple[int, int]] = {}
    if judged is not None:
        found = {rule.rule_id: 0 for rule in rules.rules}
        for o in outcomes:
            found[o.rule_id] = found.get(o.rule_id, 0) + o.unexpected_count
        disagreements = {
            k: (judged.failures.get(k, 0), v)
            for k, v in found.items()
            if judged.failures.get(k, 0) != v
        }
        payload["meta"] = {
            **(payload.get("meta") or {}),
            "goldmine": {
                "validated": "the records the split rejected (ADR 0014)",
                "records_judged": judged.records,
                "records_validated": validated,
                "split_failures_per_rule": judged.failures,
                "disagreements": {k: list(v) for k, v in disagreements.items()},
            },
        }
    text = json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n"
    location = str(result_path)
    if "://" in location:
        _write_uri(session, location, text)
    else:
        path = Path(location)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return ValidationReport(
        suite=rules.name,
        success=bool(payload.get("success")),
        element_count=validated if judged is None else judged.records,
        outcomes=tuple(outcomes),
        result_path=location,
        validated=validated,
        disagreements=disagreements,
    )


def _gx_result(checked: Any, rules: RuleSet) -> dict[str, Any]:
    """Validate ``checked`` with the suite of ``rules`` in a new ephemeral context."""
    from goldmine.validation._import_gx import import_great_expectations

    gx = import_great_expectations()  # before any of its modules: scipy.stats deferred
    from great_expectations.data_context.types.base import ProgressBarsConfig

    spark = hasattr(checked, "sparkSession")
    context = gx.get_context(mode="ephemeral")
    # ``metric_calculations`` must be off too: the validator reads it after ``globally``
    # and it defaults to on ("Calculating Metrics" bars on stderr at every run).
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    suite = context.suites.add(build_suite(rules))
    source: Any
    if spark:
        source = context.data_sources.add_spark(name="spark")
    else:
        source = context.data_sources.add_pandas(name="pandas")
    asset = source.add_dataframe_asset(name=rules.name)
    definition = asset.add_batch_definition_whole_dataframe(f"{rules.name}-whole")
    batch = definition.get_batch(batch_parameters={"dataframe": checked})
    result = batch.validate(suite, result_format=RESULT_FORMAT)
    payload: dict[str, Any] = result.to_json_dict()
    return payload


def _outcomes(payload: dict[str, Any]) -> tuple[list[ExpectationOutcome], int]:
    """Return each expectation's outcome and the records validated, from result JSON."""
    outcomes = []
    element_count = 0
    for res in payload.get("results", []):
        config = res.get("expectation_config", {})
        kwargs = config.get("kwargs", {})
        meta = config.get("meta") or {}
        details = res.get("result") or {}
        element_count = max(element_count, int(details.get("element_count") or 0))
        outcomes.append(
            ExpectationOutcome(
                rule_id=str(meta.get("rule_id", "")),
                expectation=str(config.get("type", "")),
                column=str(kwargs.get("column", "")),
                success=bool(res.get("success")),
                unexpected_count=int(details.get("unexpected_count") or 0),
            )
        )
    return outcomes, element_count


def _write_uri(spark: Any, uri: str, text: str) -> None:
    """Write ``text`` to ``uri`` through the session's Hadoop file system (overwrite)."""
    jvm = spark.sparkContext._jvm
    path = jvm.org.apache.hadoop.fs.Path(uri)
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    out = fs.create(path, True)
    try:
        out.write(bytearray(text.encode("utf-8")))
    finally:
        out.close()
