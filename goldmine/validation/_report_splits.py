"""Report on the recorded splits of a run with great-expectations: one JSON per suite."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from goldmine.spark import observation_made, observed_metrics
from goldmine.validation._record_splits import CheckedFrame
from goldmine.validation._run_suite import Judged, ValidationReport, run_suite
from goldmine.validation._split import RECORDS, failure_counts, mark_unique

log = logging.getLogger(__name__)


def report_splits(
    checked: Sequence[CheckedFrame], location: Path | str
) -> tuple[ValidationReport, ...]:
    """Run each recorded frame's great-expectations suite; save ``<suite>.json`` under ``location``.

    The reports describe what :func:`split` judged; they decide nothing (the split
    is the exact predicate computation and has already been applied). On Spark the
    suite validates the records the split rejected (persisted by the split, computed
    when the build wrote its quarantine): every value that breaks a rule lies in a
    rejected record, because suite and split come from one declaration, so the
    unexpected counts are those of the whole frame, without reading it again. The
    records judged and the failures per rule over the whole frame come from the
    split's observation (counted while the build wrote its outputs) and are checked
    against great-expectations' counts (ADR 0014); when they differ (the first
    action that read the split stopped early) or nothing read the split, they are
    counted again with one pass. pandas: the suite runs on the whole frame. Call
    this after the build consumed the split's outputs and while the recorded
    frames' inputs are still readable.

    Parameters
    ----------
    checked
        The frames of a :func:`record_splits` block.
    location
        A local directory or a URI prefix (``s3://curated/_ledger/validation/<run>``).
        A suite judged twice in one run gets ``<suite>-2.json`` for its second frame.

    Returns
    -------
    tuple[ValidationReport, ...]
        One per recorded frame, in call order; ``summary()`` gives each one's line.
    """
    reports = []
    seen: dict[str, int] = {}
    base = str(location).rstrip("/")
    for item in checked:
        name = item.rules.name
        seen[name] = seen.get(name, 0) + 1
        stem = name if seen[name] == 1 else f"{name}-{seen[name]}"
        path = f"{base}/{stem}.json"
        if item.rejected is None:
            reports.append(run_suite(item.frame, item.rules, path))
            continue
        try:
            if not observation_made(item.observation):
                # Nothing read the split yet: read the rejects whole, so every record
                # flows through the observation. Usually the build's quarantine write
                # made it already, and great-expectations' own read is the only one.
                item.rejected.count()
            observed = _observed(item)
            report = run_suite(item.rejected, item.rules, path, judged=observed or _counted(item))
            if observed is not None and report.disagreements:
                # The first action that read the split stopped early (``isEmpty``,
                # ``limit``): its observation saw part of the frame. Count it again.
                log.info("validation %s: observation partial, counting again", item.rules.name)
                report = run_suite(item.rejected, item.rules, path, judged=_counted(item))
            if report.disagreements:
                log.warning("validation %s", report.summary())
            reports.append(report)
        finally:
            item.rejected.unpersist()
    return tuple(reports)


def _observed(item: CheckedFrame) -> Judged | None:
    """Return the split's observation (records, failures per rule), or None if never made."""
    metrics = observed_metrics(item.observation)
    return None if metrics is None else _judged(item, metrics)


def _counted(item: CheckedFrame) -> Judged:
    """Count the records judged and failures per rule: one pass over the split's input."""
    log.info("validation %s: counting the split's input", item.rules.name)
    marked, _ = mark_unique(item.frame, item.rules)
    row = marked.agg(*failure_counts(item.rules)).first()
    return _judged(item, row.asDict() if row is not None else {})


def _judged(item: CheckedFrame, metrics: dict) -> Judged:
    failures = {r.rule_id: int(metrics.get(r.rule_id) or 0) for r in item.rules.rules}
    return Judged(records=int(metrics.get(RECORDS) or 0), failures=failures)
