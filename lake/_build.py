"""``build``: raw batches -> curated zone -> analytics zone, incrementally and idempotently.

One run takes every settled raw batch in the date range whose files are not all built
yet (a batch is the ``<batch_id>`` of its file names; one that grew after it was built
is built again whole, as a late correction), cleans it with :mod:`goldmine.rules`,
merges it with the curated state (order versions, dimension snapshots), stages every
output, then publishes only the partitions the batches touched and writes one build
ledger per batch, listing the files built. A run that fails before publishing leaves
every table as it was; a rerun of built batches is a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from goldmine.observe import observe_run
from goldmine.plan import Plan, PlanRun, Step, run_plan
from goldmine.spark import SessionOnDemand, parquet_source_bytes, session_of, sized_execution
from goldmine.validation import warm_up as warm_up_validation
from lake._build_steps import (
    SMALL_RUN_MAX_BYTES,
    Cleaned,
    Dimensions,
    FeedCounts,
    LakeRun,
    Lines,
    Published,
    QuarantineCounts,
    change_orders,
    clean_feeds,
    count_quarantine,
    curate_customers,
    curate_dimensions,
    curate_orders,
    price_lines,
    publish_tables,
    read_landed,
    reconcile,
    report_validation,
    stage_analytics,
    stage_curated,
)
from lake._ledger import LEDGER_PREFIX, has_unbuilt_files, list_ledgers, write_ledger
from lake._observe import summarize_build
from lake._status import BUILD_STEP
from lake._tables import STAGING_PREFIX, delete_prefix, partition_values
from lake.analytics.tables import analytics_tables
from lake.curated.tables import curated_tables
from lake.raw import INGEST_STEP, ingest_date_of

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform
    from goldmine.validation import ValidationReport

log = logging.getLogger(__name__)
#: ``progress(step, done, total)``.
BuildProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class BuildResult:
    """What one build run did.

    Attributes
    ----------
    batches
        Batch ids built by this run (empty: nothing to do).
    late
        Those of ``batches`` built before: files landed for them after they were built
        (late corrections, built again whole).
    waiting
        Batches left to a later build, with why (not settled, or landed files the
        raw zone does not hold yet).
    counts
        Per feed: records read, accepted, quarantined, duplicates dropped.
    quarantined_items
        Order items quarantined (D6, D7, D10), besides the record-level counts.
    rows_written
        Rows published per table (of the partitions rewritten).
    touched
        Partition values rewritten per table.
    rejected_files
        Files that are not UTF-8 text, with the reason: every line of such a file is
        quarantined ``unparseable`` with its bytes (``goldmine.rules``, ADR 0018).
    validation
        The great-expectations reports of the run, one per rule set ``split`` applied
        (``orders``, ``order_items``); each result JSON is under
        :func:`validation_prefix`.
    steps
        The build's plan as it ran: seconds and Spark jobs per step.
    """

    batches: tuple[str, ...]
    late: tuple[str, ...] = ()
    waiting: dict[str, str] = field(default_factory=dict)
    counts: dict[str, FeedCounts] = field(default_factory=dict)
    quarantined_items: int = 0
    rows_written: dict[str, int] = field(default_factory=dict)
    touched: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rejected_files: tuple[str, ...] = ()
    validation: tuple[ValidationReport, ...] = ()
    steps: PlanRun | None = None

    def summary(self) -> str:
        """Return a one-paragraph summary for logs."""
        left = "".join(f"; waiting: batch {b}: {why}" for b, why in sorted(self.waiting.items()))
        if not self.batches:
            return "nothing to build: every raw batch in range is built already" + left
        late = f" (late files: {', '.join(self.late)} built again)" if self.late else ""
        parts = [
            f"{feed}: read {c.read}, accepted {c.accepted}, quarantined {c.quarantined}, "
            f"duplicates {c.duplicates}"
            for feed, c in sorted(self.counts.items())
        ]
        written = ", ".join(f"{t} {n}" for t, n in sorted(self.rows_written.items()))
        return (
            f"built {', '.join(self.batches)}{late}; "
            + "; ".join(parts)
            + f"; quarantined items {self.quarantined_items}; rows written: {written}"
            + "".join(f"; rejected {r}" for r in self.rejected_files)
            + "".join(f"; validation {r.summary()}" for r in self.validation)
            + left
        )


def validation_prefix(curated_bucket: str, run_id: str) -> str:
    """Where a build run saves its validation result JSON, next to the build ledgers.

    ``s3://<curated>/_ledger/validation/<run_id>/<suite>.json`` (``run_id`` =
    ``<first batch>-<last batch>``); a rerun of the same batches overwrites it.
    """
    return f"s3://{curated_bucket}/{LEDGER_PREFIX}validation/{run_id}"


def pending_batches(
    s3: Any,
    raw_bucket: str,
    built: Mapping[str, dict[str, Any]],
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Return the ingest ledgers of raw batches in range with a file no build took yet.

    ``built`` maps a batch id to its build ledger (:func:`build_ledgers`). A batch whose
    build ledger lists every one of its raw files is built; one that gained a file since
    (it landed after the build) is pending again.
    """
    pending = []
    for entry in list_ledgers(s3, raw_bucket, INGEST_STEP):
        day = dt.date.fromisoformat(entry["ingest_date"])
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        if has_unbuilt_files(entry, built.get(entry["batch_id"])):
            pending.append(entry)
    return sorted(pending, key=lambda e: (e["ingest_date"], e["batch_id"]))


def build_ledgers(s3: Any, curated_bucket: str) -> dict[str, dict[str, Any]]:
    """Return every build ledger of the curated bucket by batch id."""
    return {e["batch_id"]: e for e in list_ledgers(s3, curated_bucket, BUILD_STEP)}


def ready_batches(
    platform: Platform, pending: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Split ``pending`` into the batches a build may take and those left, with why.

    A batch is taken once it has settled in the landing bucket (the settle rule,
    :func:`goldmine.landing.settle_landing`) and the raw zone holds every file of it
    that landed. A batch no longer in the landing bucket (expired there) is taken.
    """
    from goldmine.landing import settle_landing

    if not pending:
        return [], {}
    settings = platform.settings
    s3 = platform.aws.s3()
    judged = settle_landing(
        s3, settings.buckets.landing, settings.quiet_seconds, say=lambda line: log.info(line)
    )
    landed = judged.batches
    ready, waiting = [], {}
    for entry in pending:
        batch_id = entry["batch_id"]
        if batch_id in judged.unsettled:
            waiting[batch_id] = f"not settled: {judged.unsettled[batch_id]}"
            continue
        ingested = {f["landing_key"] for f in entry["files"]}
        missing = sorted(set(landed[batch_id].sizes) - ingested) if batch_id in landed else []
        if missing:
            waiting[batch_id] = (
                f"{len(missing)} landed file(s) not in the raw zone yet, e.g. {missing[0]} "
                "(run lake ingest)"
            )
            continue
        ready.append(entry)
    for batch_id, why in sorted(waiting.items()):
        log.warning("batch %s left to a later build: %s", batch_id, why)
    return ready, waiting


@observe_run("lake", "build", summarize_build)
def build(
    platform: Platform,
    spark: SparkSession | SessionOnDemand,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    progress: BuildProgress | None = None,
) -> BuildResult:
    """Build the curated and analytics zones from the raw batches not built yet.

    Parameters
    ----------
    platform
        The environment (``goldmine.platform.connect``).
    spark
        The session (``goldmine.spark.build_session``), or one started on demand:
        a build with nothing to do starts none.
    date_from, date_to
        Only raw batches with ``ingest_date`` in this range (inclusive).
    progress
        Called at each step.

    Returns
    -------
    BuildResult
        Counts per feed, rows written, partitions touched; empty when nothing to do.

    Raises
    ------
    goldmine.rules.ReconciliationError
        When read != accepted + quarantined + duplicates for a batch (nothing written).
    """
    from goldmine.rules import LandedFile

    buckets = platform.settings.buckets
    s3 = platform.aws.s3()
    built = build_ledgers(s3, buckets.curated)
    pending, waiting = ready_batches(
        platform, pending_batches(s3, buckets.raw, built, date_from, date_to)
    )
    if not pending:
        return BuildResult(batches=(), waiting=waiting)
    warm_up_validation()
    session = session_of(spark)
    batch_ids = tuple(e["batch_id"] for e in pending)
    late = tuple(b for b in batch_ids if b in built)
    files, rejected = [], []
    for entry in pending:
        for f in entry["files"]:
            uri = f"s3://{buckets.raw}/{f['raw_key']}"
            if f.get("problem"):  # read all the same: every line quarantined (ADR 0018)
                rejected.append(
                    {"batch_id": entry["batch_id"], "file": uri, "problem": f["problem"]}
                )
            day = ingest_date_of(f["raw_key"])
            files.append(LandedFile(uri, f["feed"], entry["batch_id"], day, f.get("bytes")))
    run_id = f"{batch_ids[0]}-{batch_ids[-1]}"
    cur = curated_tables(buckets.curated)
    ana = analytics_tables(buckets.analytics)
    validation_uri = validation_prefix(buckets.curated, run_id)
    sizes = [f.size for f in files]
    landed = None if None in sizes else sum(sizes)  # type: ignore[arg-type]
    small = landed is not None and landed <= SMALL_RUN_MAX_BYTES
    snapshot = max(
        [f.ingest_date for f in files if f.ingest_date]
        + [dt.date.fromisoformat(v) for v in partition_values(s3, cur["products"])[-1:]]
    )
    run = LakeRun(session, s3, cur, ana, run_id, batch_ids, snapshot, validation_uri, small)
    history = [cur[name].uri for name in _HISTORY_TABLES]
    source = None if landed is None else landed + parquet_source_bytes(s3, history)
    try:
        with sized_execution(session, source, platform.settings.spark_shuffle_partitions):
            done = run_plan(
                LAKE_PLAN,
                progress=progress,
                spark=session,
                run=run,
                platform=platform,
                files=files,
                pending=pending,
                rejected=rejected,
            )
    except BaseException:  # a failed run leaves no staged files behind (the plan's
        delete_staging(run)  # own delete_staging step runs when it succeeds)
        raise
    log.info("%s", done.summary())
    return replace(_result(done, batch_ids, rejected), late=late, waiting=waiting)


#: Curated tables a run reads whole (its history): they size its shuffles too.
_HISTORY_TABLES = ("order_versions", "order_lines", "customer_records")


def delete_staging(run: LakeRun) -> None:
    """Delete what the run staged (its files are published or no longer wanted)."""
    for bucket in sorted({t.bucket for t in (*run.cur.values(), *run.ana.values())}):
        delete_prefix(run.s3, bucket, f"{STAGING_PREFIX}{run.run_id}/")


def register_catalog(platform: Platform, publish_tables: Published) -> None:
    """Register every table and the partitions the run rewrote in the Glue catalog."""
    from lake._register import register_lake_catalog

    register_lake_catalog(platform, publish_tables.schemas, publish_tables.touched)


def write_ledgers(
    run: LakeRun,
    pending: list[dict[str, Any]],
    rejected: list[dict[str, str]],
    reconcile: dict[str, dict[str, FeedCounts]],
    count_quarantine: QuarantineCounts,
) -> None:
    """Write one build ledger per batch: the run is done for it (a rerun skips it)."""
    bucket = run.cur["orders"].bucket
    for entry in pending:
        batch_id = entry["batch_id"]
        write_ledger(
            run.s3,
            bucket,
            BUILD_STEP,
            batch_id,
            {
                "batch_id": batch_id,
                "ingest_date": entry["ingest_date"],
                "counts": {feed: vars(c) for feed, c in sorted(reconcile[batch_id].items())},
                "quarantine_by_reason": count_quarantine.reasons.get(batch_id, {}),
                "quarantined_items": count_quarantine.items_by_batch.get(batch_id, 0),
                "rejected_files": [r for r in rejected if r["batch_id"] == batch_id],
                "files": sorted(f["raw_key"] for f in entry["files"]),
            },
        )


def count_rows(platform: Platform, publish_tables: Published) -> dict[str, int]:
    """Rows per table in the files just published (from their Parquet footers)."""
    from lake._parquet import arrow_filesystem, read_footers

    filesystem = arrow_filesystem(platform)
    cur = curated_tables(platform.settings.buckets.curated)
    ana = analytics_tables(platform.settings.buckets.analytics)
    rows = {}
    for name, keys in publish_tables.keys.items():
        table = cur.get(name) or ana[name]
        rows[name] = sum(f.rows for f in read_footers(filesystem, table.bucket, keys))
    return rows


#: A lake build: clean -> merge with curated state -> stage -> publish -> catalog.
LAKE_PLAN = Plan(
    "lake",
    (
        Step("read_landed", read_landed, persist=True),
        Step("clean_feeds", clean_feeds, persist=Cleaned.kept),
        Step("reconcile", reconcile),
        # Beside the reconciliation (ADR 0047): each waits only for the steps it takes
        # (the cleaned feeds, the dimensions, the changed orders); none writes, and
        # staging, which writes, still waits for every step before it.
        Step("curate_dimensions", curate_dimensions, persist=Dimensions.kept, after=()),
        Step("price_lines", price_lines, persist=Lines.kept, after=()),
        Step("change_orders", change_orders, persist=True, after=()),
        Step("curate_orders", curate_orders, after=()),
        Step("curate_customers", curate_customers, persist=True, after=()),
        Step("stage_curated", stage_curated),
        Step("stage_analytics", stage_analytics),
        # Beside the analytics: what the splits observed while the curated tables were
        # staged, and the staged quarantine (ADR 0047); publishing waits for the report,
        # whose frames read files it replaces.
        Step("report_validation", report_validation, after=("stage_curated",)),
        Step("publish_tables", publish_tables, after=("report_validation",)),
        Step("count_quarantine", count_quarantine, after=()),
        # Once published, at once: the staging deleted, the catalog registered, the rows
        # counted from the published files' footers; the ledgers last (the run is done).
        Step("delete_staging", delete_staging, after=("publish_tables",)),
        Step("register_catalog", register_catalog, after=()),
        Step("count_rows", count_rows, after=()),
        Step("write_ledgers", write_ledgers),
    ),
)


def _result(
    done: PlanRun, batch_ids: tuple[str, ...], rejected: list[dict[str, str]]
) -> BuildResult:
    out = done.outputs
    totals: dict[str, FeedCounts] = {}
    for per_feed in out["reconcile"].values():
        for feed, c in per_feed.items():
            t = totals.get(feed, FeedCounts())
            totals[feed] = FeedCounts(
                t.read + c.read,
                t.accepted + c.accepted,
                t.quarantined + c.quarantined,
                t.duplicates + c.duplicates,
            )
    published = out["publish_tables"]
    return BuildResult(
        batches=batch_ids,
        counts=totals,
        quarantined_items=sum(out["count_quarantine"].items_by_batch.values()),
        rows_written=out["count_rows"],
        touched={k: tuple(sorted(v)) for k, v in published.touched.items()},
        rejected_files=tuple(f"{r['file']}: {r['problem']}" for r in rejected),
        validation=out["report_validation"],
        steps=done,
    )
