"""Run summaries as Prometheus text exposition: a textfile per run kind, an optional push."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

from goldmine.observe._run_summary import RunSummary

_RUN_LABELS = ("project", "environment", "architecture", "command", "subject")


def run_registry(summary: RunSummary) -> CollectorRegistry:
    """Return a registry holding the run's figures as gauges (the values of its last run).

    Every series carries ``project``, ``environment``, ``architecture``, ``command`` and
    ``subject``
    (``lake``, ``lakehouse`` or the product id); ``goldmine_run_info`` carries the run
    id (value 1), so the high-cardinality id is on one series only.
    """
    registry = CollectorRegistry()
    run = (
        summary.project,
        summary.environment,
        summary.architecture,
        summary.command,
        _subject(summary),
    )

    def gauge(name: str, doc: str, *extra: str) -> Gauge:
        return Gauge(name, doc, (*_RUN_LABELS, *extra), registry=registry)

    gauge("goldmine_run_info", "The last run: its id and status.", "run_id", "status").labels(
        *run, summary.run_id, summary.status
    ).set(1)
    gauge("goldmine_run_seconds", "Wall seconds of the run.").labels(*run).set(summary.seconds)
    gauge("goldmine_run_failed", "1 when the run failed, else 0.").labels(*run).set(
        summary.status == "failed"
    )
    gauge("goldmine_run_finished_timestamp_seconds", "When the run finished (Unix time).").labels(
        *run
    ).set(summary.finished_at.timestamp())
    steps = gauge("goldmine_step_seconds", "Wall seconds of one step of the run.", "step")
    for step in summary.steps:
        steps.labels(*run, step.step).set(step.seconds)
    records = gauge(
        "goldmine_feed_records",
        "Source records of a feed in the run, by outcome (read = accepted + quarantined"
        " + duplicate).",
        "feed",
        "outcome",
    )
    rate = gauge("goldmine_feed_quarantine_ratio", "Quarantined / read records of a feed.", "feed")
    for feed in summary.feeds:
        for outcome, value in (
            ("read", feed.read),
            ("accepted", feed.accepted),
            ("quarantined", feed.quarantined),
            ("duplicate", feed.duplicates),
        ):
            records.labels(*run, feed.feed, outcome).set(value)
        rate.labels(*run, feed.feed).set(feed.quarantine_rate / 100)
    reasons = gauge("goldmine_quarantined_records", "Quarantined records by reason.", "reason")
    for reason, count in sorted(summary.quarantined_by_reason.items()):
        reasons.labels(*run, reason).set(count)
    rows = gauge("goldmine_table_rows_written", "Rows the run wrote to a table.", "table")
    size = gauge("goldmine_table_bytes_written", "Bytes the run wrote to a table.", "table")
    for table in summary.tables:
        if table.rows_written is not None:
            rows.labels(*run, table.table).set(table.rows_written)
        if table.bytes_written is not None:
            size.labels(*run, table.table).set(table.bytes_written)
    if summary.newest_order_date is not None:
        gauge(
            "goldmine_newest_order_date_timestamp_seconds",
            "The newest order date the run built (Unix time of its midnight UTC).",
        ).labels(*run).set(_midnight(summary.newest_order_date))
    return registry


def textfile_path(directory: Path, summary: RunSummary) -> Path:
    """Return the run's ``.prom`` file, one per kind of run (``goldmine_local_lake_build_lake``).

    A kind is a project, environment, architecture, command and subject.

    A run replaces the file of the previous run of the same kind (atomically), so the
    node-exporter textfile collector always exposes the last run of each, and the
    number of series does not grow with the number of runs.
    """
    name = "_".join(
        (
            summary.project,
            summary.environment,
            summary.architecture,
            summary.command,
            _subject(summary),
        )
    )
    return directory / (re.sub(r"[^A-Za-z0-9_]", "_", name) + ".prom")


def write_run_textfile(directory: Path, summary: RunSummary) -> Path:
    """Write the run's metrics for the textfile collector; return the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = textfile_path(directory, summary)
    write_to_textfile(str(path), run_registry(summary))
    return path


def push_run_metrics(gateway: str, summary: RunSummary) -> None:
    """Push the run's metrics to a Pushgateway (grouped by architecture, command, subject)."""
    push_to_gateway(
        gateway,
        job="goldmine",
        registry=run_registry(summary),
        grouping_key={
            "project": summary.project,
            "environment": summary.environment,
            "architecture": summary.architecture,
            "command": summary.command,
            "subject": _subject(summary),
        },
    )


def _subject(summary: RunSummary) -> str:
    return summary.subject or summary.architecture


def _midnight(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp()
