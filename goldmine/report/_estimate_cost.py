"""The monthly cost estimate per build and category (``goldmine cost estimate``'s figures)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from goldmine.cost import (
    AthenaScan,
    Measurements,
    StorageUsage,
    estimate_monthly,
    load_prices,
    read_job_runs,
)
from goldmine.report._model import QueryScan


def monthly_cost(
    storage: Iterable[StorageUsage],
    scans: Mapping[str, Iterable[QueryScan]],
    runs_dir: Path,
) -> tuple[dict[str, dict[str, float]], tuple[str, ...]]:
    """Price one month of each build: storage now, the standard questions, job runs.

    The standard questions are priced as ``goldmine cost estimate`` prices measured
    Athena scans (each billed at least 10 MB, run as often as ``prices.yaml`` assumes).

    Returns
    -------
    (costs, notes)
        ``{architecture: {category: USD}}`` (``shared`` included) and the estimate's notes.
    """
    athena = tuple(
        AthenaScan(f"{build}:{scan.query}", scan.bytes_scanned, architecture=build)
        for build, found in scans.items()
        for scan in found
    )
    estimate = estimate_monthly(
        Measurements(tuple(storage), athena or None, read_job_runs(runs_dir)), load_prices()
    )
    costs: dict[str, dict[str, float]] = {}
    for line in estimate.lines:
        per = costs.setdefault(line.architecture, {})
        per[line.category] = per.get(line.category, 0.0) + line.usd
    notes = (
        *estimate.notes,
        f"prices: {estimate.region}, copied on {estimate.prices_copied_on}",
    )
    return costs, notes
