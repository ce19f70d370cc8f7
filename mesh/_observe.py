"""The mesh's run figures for :mod:`goldmine.observe`, from what a publish computed.

Counts per feed and the quarantine by reason are the publish's reconciliation
(``SourceReport``); the product's rows are its checked row count, its bytes the Delta
commit's ``operationMetrics``; the checks are the contract's; the lineage is the one
the publish recorded in the registry (source feeds' landed data and input products
-> the product), so the events and the registry cannot disagree.
"""

from __future__ import annotations

import datetime as dt
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
    delta_written_since,
)
from goldmine.rules import LANDING_PREFIXES
from mesh._registry import publication, read_entry

if TYPE_CHECKING:
    from goldmine.settings import Settings
    from mesh._publish import PublishResult


def product_dataset(s3: Any, settings: Settings, product_id: str, major: int) -> Dataset:
    """Return a published product (one major) as a dataset, from its registry entry."""
    entry = read_entry(s3, settings, product_id)
    pub = publication(entry, major) if entry else {}
    tables = pub.get("tables") or []
    return Dataset(
        location=str(pub.get("location", "")),
        glue_table=f"{pub['database']}.{tables[0]}" if tables and pub.get("database") else None,
    )


def summarize_publish(context: RunContext, result: PublishResult) -> RunFigures:
    """Return the figures of one publish run from its :class:`mesh.PublishResult`."""
    settings = context.platform.settings
    s3 = context.platform.aws.s3()
    if result.unchanged:  # the result describes an earlier publication: nothing to count
        return RunFigures(subject=result.product_id, skipped=True, steps=context.timed_steps)
    totals: dict[str, list[int]] = {}
    for c in result.sources.counts if result.sources else ():
        t = totals.setdefault(c.feed, [0, 0, 0, 0])
        for i, n in enumerate((c.read, c.accepted, c.quarantined, c.duplicates)):
            t[i] += n
    quality = tuple(
        QualityResult(dataset=result.location, name=c.name, passed=c.passed, detail=c.detail)
        for c in result.check.checks
    )
    figures = RunFigures(
        subject=result.product_id,
        run_id=result.run_id,
        batches=tuple(
            sorted(
                {b for batches in result.lineage.get("source_feeds", {}).values() for b in batches}
            )
        ),
        feeds=tuple(
            FeedFigures(feed=f, read=t[0], accepted=t[1], quarantined=t[2], duplicates=t[3])
            for f, t in sorted(totals.items())
        ),
        quarantined_by_reason=dict(result.sources.by_reason) if result.sources else {},
        quarantined_items=result.quarantined_items,
        steps=_steps(context, result),
        quality=quality,
        newest_order_date=_order_date(result),
    )
    if not result.published:
        return figures.model_copy(update={"error": result.check.summary().splitlines()[0][:500]})
    major = int(result.version.split(".")[0])
    product = product_dataset(s3, settings, result.product_id, major)
    written = delta_written_since(s3, result.location, context.started_at)
    inputs = [
        Dataset(location=f"s3://{settings.buckets.landing}/{LANDING_PREFIXES[feed]}")
        for feed in sorted(result.lineage.get("source_feeds", {}))
    ]
    inputs += [
        product_dataset(s3, settings, str(i["product"]), int(i["major"]))
        for i in result.lineage.get("inputs", [])
    ]
    return figures.model_copy(
        update={
            "tables": (
                TableFigures(
                    table=result.product_id,
                    layer="product",
                    dataset=product,
                    rows_written=result.check.rows,
                    bytes_written=written[1] if written else None,
                ),
            ),
            "lineage": (
                LineageStep(
                    job=f"mesh.build.{result.product_id}", inputs=tuple(inputs), outputs=(product,)
                ),
            ),
        }
    )


def _order_date(result: PublishResult) -> dt.date | None:
    """Return the newest order date the product holds, if its freshness element is one."""
    newest = result.check.newest
    if result.product_id not in ORDER_DATE_PRODUCTS or not isinstance(newest, dt.date):
        return None
    return newest.date() if isinstance(newest, dt.datetime) else newest


#: Products whose freshness element is the order date (the gold freshness metric).
ORDER_DATE_PRODUCTS = frozenset({"finance.revenue"})


def _steps(context: RunContext, result: PublishResult) -> tuple[StepFigures, ...]:
    """Return the steps before the plan as timed (reading inputs), then the plan's with jobs."""
    if result.steps is None:
        return context.timed_steps
    reading = tuple(s for s in context.timed_steps if s.step in ("start", "reading inputs"))
    return reading + tuple(
        StepFigures(step=s.name, seconds=round(s.seconds, 3), spark_jobs=s.spark_jobs)
        for s in result.steps.steps
    )
