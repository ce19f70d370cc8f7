"""Gather everything the comparison report shows, in one function with one seam.

``collect_report`` reads what the builds keep (S3 listings, Parquet footers, Delta logs,
ledgers, the mesh registry, the Glue catalog); no Spark job runs. Step timings are the
one thing storage does not hold: a caller that ran the builds passes them (``timings``,
as the demo does); otherwise :func:`recorded_timings` is asked, the seam where the
persisted run summaries of issue 21 (part 1) will plug in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.cost import measure_storage
from goldmine.read_delta import open_delta
from goldmine.report._count_rows import (
    lake_quarantine,
    lake_rows,
    lakehouse_quarantine,
    lakehouse_rows,
    mesh_publications,
    mesh_quarantine,
    mesh_rows,
)
from goldmine.report._estimate_cost import monthly_cost
from goldmine.report._estimate_scans import estimate_scans
from goldmine.report._governance import GovernanceFacts, governance_matrix
from goldmine.report._measure_layers import SHARED, storage_by_layer
from goldmine.report._model import BUILDS, BuildData, ReportData, StepTime
from goldmine.report._read_freshness import newest_order_date

if TYPE_CHECKING:
    from goldmine.platform import Platform

#: Where :func:`recorded_timings` found the timings (shown in the report).
RECORDED = "the newest recorded run of each build (its run summary, goldmine.observe)"
NOT_RECORDED = "not recorded: no build has stored a run summary here yet (goldmine.observe)"


class NothingBuiltError(RuntimeError):
    """No build holds any data yet: there is nothing to compare."""


def recorded_timings(platform: Platform) -> tuple[dict[str, tuple[StepTime, ...]], str]:
    """Return the step timings of each build's last run, and where they came from.

    Read from the run summaries every build stores (``goldmine.observe``, ADR 0022):
    the lake's and the lakehouse's newest build that did work, step by step; the
    mesh's newest publish of each product that built it, one step per product.
    """
    from goldmine.observe import load_run_summaries, runs_location

    bucket, _ = runs_location(platform.settings)
    s3 = platform.aws.s3()
    timings: dict[str, tuple[StepTime, ...]] = {}
    for build, command in (("lake", "build"), ("lakehouse", "build")):
        runs = load_run_summaries(s3, bucket, architecture=build, command=command)
        done = [r for r in runs if r.status == "succeeded" and r.steps]
        if done:
            timings[build] = tuple(StepTime(s.step, s.seconds) for s in done[-1].steps)
    newest: dict[str, StepTime] = {}
    for run in load_run_summaries(s3, bucket, architecture="mesh", command="publish"):
        if run.status == "succeeded":
            newest[run.subject] = StepTime(run.subject, run.seconds)
    if newest:
        timings["mesh"] = tuple(newest[p] for p in sorted(newest))
    if not timings:
        return {}, NOT_RECORDED
    return timings, RECORDED


@dataclass(frozen=True)
class _Kept:
    """What each build keeps that says whether it is built: read once per collection."""

    lake: Any  # lake.LakeStatus, None when the lake's buckets do not exist
    publications: list[Mapping[str, Any]]  # the mesh registry's newest publications
    gold: Any  # the lakehouse's gold daily_sales (deltalake.DeltaTable) or None

    def built(self) -> dict[str, bool]:
        return {
            "lake": self.lake is not None and bool(self.lake.built),
            "lakehouse": self.gold is not None,
            "mesh": bool(self.publications),
        }


def collect_report(
    platform: Platform,
    *,
    timings: Mapping[str, Sequence[StepTime]] | None = None,
    timings_source: str = "",
) -> ReportData:
    """Collect the comparison of the lake, the lakehouse and the mesh as they stand.

    Parameters
    ----------
    platform
        The running environment (``goldmine.platform.connect``).
    timings
        Step timings per build from the run that just built them (the demo's);
        ``None``: ask :func:`recorded_timings`.
    timings_source
        What ``timings`` are (shown in the report).

    Raises
    ------
    NothingBuiltError
        When none of the three builds holds data yet.
    """
    from goldmine.query import load_standard_queries

    settings = platform.settings
    kept = _read_kept(platform)
    built = kept.built()
    if not any(built.values()):
        raise NothingBuiltError(
            "nothing is built yet: run `goldmine demo` (or build the lake, lakehouse or mesh) first"
        )
    if timings is None:
        timings, timings_source = recorded_timings(platform)
    usages = measure_storage(platform.aws.s3(), settings)
    storage = storage_by_layer(usages, {b: r for r, b in settings.buckets.all().items()})
    questions = load_standard_queries()
    scans = {b: estimate_scans(platform, b, questions) if built[b] else () for b in BUILDS}
    costs, cost_notes = monthly_cost(usages, scans, settings.data_dir / "runs")
    rows, quarantine = _rows_and_quarantine(platform, kept)
    matrix = governance_matrix(_governance_facts(platform, kept))
    builds = tuple(
        BuildData(
            build=b,
            built=built[b],
            steps=tuple(timings.get(b, ())),
            storage=storage[b],
            rows=rows.get(b, {}),
            quarantine=quarantine.get(b, {}),
            scans=scans[b],
            monthly_usd=costs.get(b, {}),
            newest_order_date=newest_order_date(platform, b) if built[b] else None,
            governance=matrix[b],
        )
        for b in BUILDS
    )
    return ReportData(
        builds=builds,
        generated_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        environment=settings.environment,
        shared_storage=storage[SHARED],
        timings_source=timings_source or NOT_RECORDED,
        notes=(
            "Bytes scanned: compressed Parquet column chunks of the columns each question "
            "names, in every current data file of its tables (no partition pruning: an "
            "upper bound for questions that filter on a partition key).",
            f"Shared cost (landing bucket and others all three builds read): "
            f"{sum(costs.get(SHARED, {}).values()):.4f} USD / month.",
            *cost_notes,
        ),
    )


def _read_kept(platform: Platform) -> _Kept:
    """Read the lake's status, the mesh registry and the lakehouse's gold log."""
    import mesh
    from lake import lake_status
    from lakehouse import table

    settings, s3 = platform.settings, platform.aws.s3()
    buckets = settings.buckets
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    lake = None
    if {buckets.raw, buckets.curated, buckets.analytics} <= existing:
        lake = lake_status(platform)
    gold = None
    if buckets.lakehouse in existing:
        gold = open_delta(table("gold.daily_sales").uri(settings), platform.aws.storage_options())
    return _Kept(lake, mesh_publications(mesh.list_entries(s3, settings)), gold)


def _rows_and_quarantine(
    platform: Platform, kept: _Kept
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Rows per layer and quarantine by reason of each built build."""
    settings, options = platform.settings, platform.aws.storage_options()
    built = kept.built()
    rows: dict[str, dict[str, int]] = {}
    quarantine: dict[str, dict[str, int]] = {}
    if built["lake"]:
        rows["lake"], quarantine["lake"] = lake_rows(kept.lake), lake_quarantine(kept.lake)
    if built["lakehouse"]:
        rows["lakehouse"] = lakehouse_rows(settings, options)
        quarantine["lakehouse"] = lakehouse_quarantine(settings, options)
    if built["mesh"]:
        rows["mesh"] = mesh_rows(kept.publications)
        quarantine["mesh"] = mesh_quarantine(kept.publications)
    return rows, quarantine


def _governance_facts(platform: Platform, kept: _Kept) -> GovernanceFacts:
    """Count the contracts, PII columns, consumer roles and Delta versions behind the matrix."""
    import mesh
    from goldmine.iam import role_names

    contracts = mesh.list_contracts()
    return GovernanceFacts(
        lakehouse_gold_versions=kept.gold.version() if kept.gold is not None else 0,
        mesh_contracts=len(contracts),
        mesh_pii_columns=sum(c.classification == "pii" for k in contracts for c in k.columns),
        mesh_consumer_roles=sum(n.startswith("consumer-") for n in role_names(platform.settings)),
        mesh_published=len(kept.publications),
    )
