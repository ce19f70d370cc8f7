"""The lake's run figures for :mod:`goldmine.observe`, from what ingest and build computed.

Nothing here starts a Spark job: the counts are the build's reconciliation and
quarantine counts, rows come from the Parquet footers the build already read, bytes
from one S3 listing per table published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from goldmine.observe import (
    Dataset,
    FeedFigures,
    LineageStep,
    QualityResult,
    RunContext,
    RunFigures,
    StepFigures,
    TableFigures,
)
from goldmine.rules import LANDING_PREFIXES
from lake._catalog import ZONE_DATABASES
from lake._ledger import list_objects
from lake.analytics.tables import analytics_tables
from lake.curated.tables import curated_tables

if TYPE_CHECKING:
    from goldmine.settings import Settings
    from lake._build import BuildResult
    from lake._tables import LakeTable
    from lake.raw import IngestResult

#: The rule sets the build's validation applies judge the orders feed (orders, items).
_JUDGED_FEED = "orders"
#: Curated tables of what the build rejected: the analytics zone never reads them.
_REJECTS = ("quarantine", "duplicates")


def landing_dataset(settings: Settings, feed: str) -> Dataset:
    """Return a feed's landed data as a dataset (``s3://<landing>/sales/orders``)."""
    return Dataset(location=f"s3://{settings.buckets.landing}/{LANDING_PREFIXES[feed]}")


def raw_dataset(settings: Settings, feed: str) -> Dataset:
    """Return a feed's raw zone table as a dataset."""
    return Dataset(
        location=f"s3://{settings.buckets.raw}/{feed}/",
        glue_table=f"{settings.database(ZONE_DATABASES['raw'])}.{feed}",
    )


def _zone_dataset(settings: Settings, zone: str, table: LakeTable) -> Dataset:
    return Dataset(
        location=table.uri, glue_table=f"{settings.database(ZONE_DATABASES[zone])}.{table.name}"
    )


def summarize_ingest(context: RunContext, results: list[IngestResult]) -> RunFigures:
    """Return the figures of one ingest run: per raw table, the lines and bytes copied."""
    settings = context.platform.settings
    lines: dict[str, int] = {}
    size: dict[str, int] = {}
    for result in results:
        for f in result.files:
            if f.raw_key in result.copied:
                lines[f.feed] = lines.get(f.feed, 0) + f.lines
                size[f.feed] = size.get(f.feed, 0) + f.bytes
    feeds = sorted({f.feed for r in results for f in r.files})
    return RunFigures(
        batches=tuple(r.batch_id for r in results),
        tables=tuple(
            TableFigures(
                table=f"raw.{feed}",
                layer="raw",
                dataset=raw_dataset(settings, feed),
                rows_written=lines.get(feed, 0),
                bytes_written=size.get(feed, 0),
            )
            for feed in feeds
            if feed in size  # files copied by this run (a rerun copies none)
        ),
        lineage=(
            LineageStep(
                job="lake.ingest.raw",
                inputs=tuple(landing_dataset(settings, f) for f in feeds),
                outputs=tuple(raw_dataset(settings, f) for f in feeds),
            ),
        )
        if feeds
        else (),
        skipped=not any(r.copied for r in results),
    )


def summarize_build(context: RunContext, result: BuildResult) -> RunFigures:
    """Return the figures of one build run from its :class:`lake.BuildResult`."""
    if not result.batches or result.steps is None:
        return RunFigures(skipped=True)
    platform = context.platform
    settings = platform.settings
    outputs = result.steps.outputs
    cur = curated_tables(settings.buckets.curated)
    ana = analytics_tables(settings.buckets.analytics)
    keys: dict[str, list[str]] = outputs["publish_tables"].keys
    tables = []
    for name, rows in sorted(result.rows_written.items()):
        zone, table = ("curated", cur[name]) if name in cur else ("analytics", ana[name])
        tables.append(
            TableFigures(
                table=f"{zone}.{name}",
                layer=zone,
                dataset=_zone_dataset(settings, zone, table),
                rows_written=rows,
                bytes_written=_bytes_of(platform.aws.s3(), table, keys.get(name, [])),
            )
        )
    by_reason: dict[str, int] = {}
    for reasons in outputs["count_quarantine"].reasons.values():
        for reason, n in reasons.items():
            by_reason[reason] = by_reason.get(reason, 0) + n
    feeds = sorted(result.counts)
    raw = tuple(raw_dataset(settings, f) for f in feeds)
    curated = tuple(t.dataset for t in tables if t.layer == "curated")
    judged = raw_dataset(settings, _JUDGED_FEED).location
    order_dates = result.touched.get("daily_sales", ())
    return RunFigures(
        batches=result.batches,
        feeds=tuple(FeedFigures(feed=f, **vars(result.counts[f])) for f in feeds),
        quarantined_by_reason=by_reason,
        quarantined_items=result.quarantined_items,
        tables=tuple(tables),
        steps=tuple(
            StepFigures(step=s.name, seconds=round(s.seconds, 3), spark_jobs=s.spark_jobs)
            for s in result.steps.steps
        ),
        quality=tuple(
            QualityResult(
                dataset=judged,
                name=f"{report.suite}.{o.rule_id}",
                passed=o.success,
                detail=f"{o.expectation} on {o.column}: {o.unexpected_count} unexpected",
            )
            for report in result.validation
            for o in report.outcomes
        ),
        lineage=(
            LineageStep(job="lake.build.curated", inputs=raw, outputs=curated),
            LineageStep(
                job="lake.build.analytics",
                inputs=tuple(
                    t.dataset
                    for t in tables
                    if t.layer == "curated" and t.table.removeprefix("curated.") not in _REJECTS
                ),
                outputs=tuple(t.dataset for t in tables if t.layer == "analytics"),
            ),
        ),
        newest_order_date=dt.date.fromisoformat(max(order_dates)) if order_dates else None,
    )


def _bytes_of(s3: Any, table: LakeTable, keys: Iterable[str]) -> int:
    """Bytes of the files just published (one listing of the table's prefix)."""
    wanted = set(keys)
    return sum(size for key, size in list_objects(s3, table.bucket, f"{table.name}/")
               if key in wanted)  # fmt: skip
