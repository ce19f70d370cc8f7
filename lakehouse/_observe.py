"""The lakehouse's run figures for :mod:`goldmine.observe`, from what the build computed.

Counts per feed and the validation outcomes are silver's own (``SilverCounts``); rows
and bytes written per table are the ``operationMetrics`` of the Delta commits the run
made (read from each table's log in S3, no Spark job); seconds and Spark jobs per step
come from the build's plans as they ran (``BuildSummary.steps``). The lakehouse does
not count its quarantine by reason (it appends the quarantine in one MERGE), so
``quarantined_by_reason`` stays empty.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from goldmine.observe import (
    Dataset,
    FeedFigures,
    LineageStep,
    QualityResult,
    RunContext,
    RunFigures,
    StepFigures,
    TableFigures,
    delta_files_added_since,
    delta_written_since,
)
from goldmine.rules import LANDING_PREFIXES
from lakehouse._tables import LAYERS, TableInfo, layer_tables, table

if TYPE_CHECKING:
    from goldmine.settings import Settings
    from lakehouse._build import BuildSummary

#: The rule sets silver's validation applies judge the orders feed (orders, items).
_JUDGED = "bronze.orders"
#: What each layer reads: landed feeds for bronze, the layer before otherwise.
_SOURCE = {"bronze": None, "silver": "bronze", "gold": "silver"}


def table_dataset(settings: Settings, info: TableInfo) -> Dataset:
    """Return a lakehouse table as a dataset: its location and its Glue table."""
    return Dataset(
        location=info.uri(settings),
        glue_table=f"{settings.database(f'lakehouse_{info.layer}')}.{info.name}",
    )


def summarize_build(context: RunContext, summary: BuildSummary) -> RunFigures:
    """Return the figures of one lakehouse build from its :class:`BuildSummary`."""
    settings = context.platform.settings
    built = [layer for layer in LAYERS if summary.batches.get(layer)]
    steps = tuple(
        StepFigures(step=s.name, seconds=round(s.seconds, 3), spark_jobs=s.spark_jobs)
        for s in (summary.steps.steps if summary.steps else ())
    )
    if not built:
        return RunFigures(skipped=True, steps=steps)
    s3 = context.platform.aws.s3()
    tables = []
    for layer in built:
        for info in layer_tables(layer):
            written = delta_written_since(s3, info.uri(settings), context.started_at)
            if written is not None:
                tables.append(
                    TableFigures(
                        table=info.qualified,
                        layer=layer,
                        dataset=table_dataset(settings, info),
                        rows_written=written[0],
                        bytes_written=written[1],
                    )
                )
    silver = summary.silver
    feeds = tuple(
        FeedFigures(feed=feed, read=c[0], accepted=c[1], quarantined=c[2], duplicates=c[3])
        for feed, c in sorted((silver.per_feed if silver else {}).items())
    )
    judged = table_dataset(settings, table(_JUDGED)).location
    quality = tuple(
        QualityResult(
            dataset=judged,
            name=f"{report.suite}.{o.rule_id}",
            passed=o.success,
            detail=f"{o.expectation} on {o.column}: {o.unexpected_count} unexpected",
        )
        for report in (silver.validation if silver else ())
        for o in report.outcomes
    )
    order_dates = [str(d) for d in (silver.touched.get("order_dates", []) if silver else [])]
    reasons = _quarantined_by_reason(context) if "silver" in built else {}
    return RunFigures(
        batches=tuple(sorted({b for layer in built for b in summary.batches[layer]})),
        feeds=feeds,
        quarantined_by_reason=reasons,
        quarantined_items=summary.quarantined_items,
        tables=tuple(tables),
        steps=steps,
        quality=quality,
        lineage=tuple(_lineage(settings, layer) for layer in built),
        newest_order_date=dt.date.fromisoformat(max(order_dates)[:10]) if order_dates else None,
    )


def _quarantined_by_reason(context: RunContext) -> dict[str, int]:
    """Return the records and items the run quarantined, by reason.

    Read from the ``reason`` column of the files the run's commits added to
    ``silver.quarantine`` (one column of a few files; no Spark job).
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from goldmine.aws import retry_arrow_read
    from goldmine.query import s3_filesystem

    platform = context.platform
    location = table("silver.quarantine").uri(platform.settings)
    files = delta_files_added_since(platform.aws.s3(), location, context.started_at)
    if not files:
        return {}
    reasons = retry_arrow_read(
        lambda: pq.read_table(
            [f.removeprefix("s3://") for f in files],
            columns=["reason"],
            filesystem=s3_filesystem(platform.aws),
        )
    ).column("reason")
    counts = pc.value_counts(reasons).to_pylist()
    return {str(c["values"]): int(c["counts"]) for c in sorted(counts, key=lambda c: c["values"])}


def _lineage(settings: Settings, layer: str) -> LineageStep:
    source = _SOURCE[layer]
    if source is None:
        inputs = tuple(
            Dataset(location=f"s3://{settings.buckets.landing}/{prefix}")
            for prefix in LANDING_PREFIXES.values()
        )
    else:
        inputs = tuple(
            table_dataset(settings, t) for t in layer_tables(source) if t.name != "quarantine"
        )
    return LineageStep(
        job=f"lakehouse.build.{layer}",
        inputs=inputs,
        outputs=tuple(table_dataset(settings, t) for t in layer_tables(layer)),
    )
