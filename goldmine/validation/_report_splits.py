"""Report on the recorded splits of a run with great-expectations: one JSON per suite."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from goldmine.validation._record_splits import CheckedFrame
from goldmine.validation._run_suite import ValidationReport, run_suite


def report_splits(
    checked: Sequence[CheckedFrame], location: Path | str
) -> tuple[ValidationReport, ...]:
    """Run each recorded frame's great-expectations suite; save ``<suite>.json`` under ``location``.

    The reports describe what :func:`split` judged; they decide nothing (the split
    is the exact predicate computation and has already been applied). Call this
    while the recorded frames' inputs are still readable (before the run replaces
    the files they were read from).

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
        reports.append(run_suite(item.frame, item.rules, f"{base}/{stem}.json"))
    return tuple(reports)
