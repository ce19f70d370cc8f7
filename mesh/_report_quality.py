"""Report a product's quality with great-expectations and keep the report beside its registry.

The decision to publish stays with the exact checks (:func:`mesh.check_data`: Spark
predicates on exact values, the table-level rules and freshness). The
great-expectations suite generated from the same contract (:func:`mesh.rule_set` ->
:func:`goldmine.validation.run_suite`) is the platform's validation report: its result
JSON is saved for every run, published or refused, and its verdict on each rule is
compared with the checks' verdict, so a disagreement is shown, never silently decisive.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldmine.settings import Settings
from goldmine.validation import RuleSet, ValidationReport, run_suite
from mesh._check_data import DataCheck
from mesh._contract import Contract
from mesh._generate import rule_set
from mesh._registry import put_json, run_key

#: Files of one publish run's report, under ``_registry/<name>/v<major>/runs/<run_id>/``.
SUITE_FILE = "great_expectations.json"
RUN_FILE = "run.json"


@dataclass(frozen=True)
class QualityReport:
    """The quality status of one publish run, as recorded in the registry.

    Attributes
    ----------
    status
        ``passed`` or ``failed``: the decision of the exact checks.
    checks_passed, checks_total
        Counts of those checks (schema, quality, freshness).
    suite
        The great-expectations outcome (counts, failed rules, ``result`` URI of its
        JSON); ``None`` when the schema check failed (the suite needs the columns).
    disagreements
        Rule ids on which great-expectations and the exact checks disagree.
    run
        URI of the run record (``run.json``).
    """

    status: str
    checks_passed: int
    checks_total: int
    suite: dict[str, Any] | None = None
    disagreements: tuple[str, ...] = field(default_factory=tuple)
    run: str = ""

    @classmethod
    def from_dict(cls, quality: dict[str, Any]) -> QualityReport:
        """Return the status a publication recorded (the inverse of :meth:`as_dict`).

        Examples
        --------
        >>> report = QualityReport("passed", 3, 3, {"success": True}, (), "s3://b/run.json")
        >>> QualityReport.from_dict(report.as_dict()) == report
        True
        """
        checks = quality.get("checks") or {}
        return cls(
            str(quality["status"]),
            int(checks.get("passed", 0)),
            int(checks.get("total", 0)),
            quality.get("great_expectations"),
            tuple(quality.get("disagreements") or ()),
            str(quality.get("run") or ""),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the status as plain data (the publication's ``quality``)."""
        return {
            "status": self.status,
            "checks": {"passed": self.checks_passed, "total": self.checks_total},
            "great_expectations": self.suite,
            "disagreements": list(self.disagreements),
            "run": self.run,
        }


def disagreements(check: DataCheck, report: ValidationReport, rules: RuleSet) -> tuple[str, ...]:
    """Return the rule ids one of the checks and great-expectations fails and the other passes.

    Only the record-level rules (``rules``) are compared: great-expectations does not
    run the table-level rules or freshness.
    """
    ids = set(rules.rule_ids)
    by_checks = {c.name for c in check.checks if c.name in ids and not c.passed}
    return tuple(sorted(by_checks ^ set(report.failed_rules)))


def suite_outcome(report: ValidationReport, result: str) -> dict[str, Any]:
    """Return the registry summary of a great-expectations run saved at ``result``."""
    return {
        "suite": report.suite,
        "success": report.success,
        "expectations": len(report.outcomes),
        "failed_expectations": sum(not o.success for o in report.outcomes),
        "failed_rules": report.failed_rules,
        "records": report.element_count,
        "result": result,
    }


def report_quality(
    s3: Any,
    settings: Settings,
    contract: Contract,
    df: Any,
    check: DataCheck,
    run_id: str,
) -> QualityReport:
    """Run the contract's great-expectations suite on ``df`` and save its result JSON.

    Parameters
    ----------
    s3, settings
        The S3 client and settings (the domain bucket holds the report).
    contract
        The product contract (generates the suite).
    df
        The checked Spark (or pandas) DataFrame: the published view, PII treated.
    check
        The exact checks' outcome on ``df`` (the decision).
    run_id
        The publish run; names the report's folder.

    Returns
    -------
    QualityReport
        The status to record; ``run`` is where :func:`record_run` writes the run record.
    """
    bucket = settings.buckets.mesh[contract.domain]
    n_ok = sum(c.passed for c in check.checks)
    status = "passed" if check.passed else "failed"
    run = f"s3://{bucket}/{run_key(contract.name, contract.major, run_id, RUN_FILE)}"
    if not all(c.passed for c in check.checks if c.kind == "schema"):
        return QualityReport(status, n_ok, len(check.checks), run=run)
    rules = rule_set(contract)
    with tempfile.TemporaryDirectory(prefix="goldmine-mesh-ge-") as tmp:
        path = Path(tmp) / SUITE_FILE
        report = run_suite(df, rules, path, rows=check.rows)
        payload = json.loads(path.read_text(encoding="utf-8"))
    result = put_json(
        s3, bucket, run_key(contract.name, contract.major, run_id, SUITE_FILE), payload
    )
    return QualityReport(
        status,
        n_ok,
        len(check.checks),
        suite_outcome(report, result),
        disagreements(check, report, rules),
        run,
    )


def record_run(
    s3: Any,
    settings: Settings,
    contract: Contract,
    run_id: str,
    *,
    published: bool,
    check: DataCheck,
    quality: QualityReport,
    **details: Any,
) -> str:
    """Write the run record (``run.json``) of a publish run; return its URI.

    Written for refused runs too: the owner reads there which checks failed.
    """
    document = {
        "product": contract.product_id,
        "version": contract.version,
        "major": contract.major,
        "run_id": run_id,
        "published": published,
        "checked_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": check.rows,
        "summary": check.summary(),
        "checks": [c.as_dict() for c in check.checks],
        "quality": quality.as_dict(),
        **details,
    }
    return put_json(
        s3,
        settings.buckets.mesh[contract.domain],
        run_key(contract.name, contract.major, run_id, RUN_FILE),
        document,
    )
