"""Run a rule declaration's great-expectations suite and save the result JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldmine.validation._build_suite import build_suite
from goldmine.validation._rule import RuleSet


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's outcome: its rule, its type and how many values broke it."""

    rule_id: str
    expectation: str
    column: str
    success: bool
    unexpected_count: int


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
        Records validated.
    outcomes
        One per expectation, in suite order.
    result_path
        Where the great-expectations validation result JSON was written.
    """

    suite: str
    success: bool
    element_count: int
    outcomes: tuple[ExpectationOutcome, ...] = field(default_factory=tuple)
    result_path: Path | None = None

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
        return text


def run_suite(df: Any, rules: RuleSet, result_path: Path | str) -> ValidationReport:
    """Validate ``df`` with the suite built from ``rules`` and save the result JSON.

    Uses an ephemeral great-expectations context with a Spark data source for a
    Spark DataFrame and a pandas data source for a pandas one. Every expectation
    is evaluated (no stop at the first failure).

    Parameters
    ----------
    df
        A Spark or pandas DataFrame with the columns the rules name.
    rules
        The declaration.
    result_path
        File the validation result JSON is written to (parents created), for
        example ``<run dir>/validation/orders.json``.

    Returns
    -------
    ValidationReport
        The verdict with per-expectation counts; ``summary()`` gives one line.
    """
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    suite = context.suites.add(build_suite(rules))
    source: Any
    if hasattr(df, "sparkSession"):
        source = context.data_sources.add_spark(name="spark")
    else:
        source = context.data_sources.add_pandas(name="pandas")
    asset = source.add_dataframe_asset(name=rules.name)
    definition = asset.add_batch_definition_whole_dataframe(f"{rules.name}-whole")
    batch = definition.get_batch(batch_parameters={"dataframe": df})
    result = batch.validate(suite)
    payload = result.to_json_dict()
    path = Path(result_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, default=str), encoding="utf-8")
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
    return ValidationReport(
        suite=rules.name,
        success=bool(payload.get("success")),
        element_count=element_count,
        outcomes=tuple(outcomes),
        result_path=path,
    )
