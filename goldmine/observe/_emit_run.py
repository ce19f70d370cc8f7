"""Store a finished run's summary and send it to CloudWatch, Prometheus and OpenLineage."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from goldmine.observe._cloudwatch import put_run_metrics
from goldmine.observe._lineage import (
    Columns,
    emit_events,
    job_name,
    lineage_namespace,
    lineage_transports,
    run_events,
    start_event,
)
from goldmine.observe._prometheus import push_run_metrics, write_run_textfile
from goldmine.observe._run_summary import RunSummary
from goldmine.observe._store_summaries import runs_location, save_run_summary

if TYPE_CHECKING:
    from goldmine.platform import Platform
    from goldmine.settings import Settings

log = logging.getLogger(__name__)


def metrics_directory(settings: Settings) -> Path:
    """Where the Prometheus textfiles go: ``<data_dir>/metrics`` (point node-exporter here)."""
    return settings.data_dir / "metrics"


def emit_start(
    platform: Platform,
    architecture: str,
    command: str,
    subject: str,
    run_id: str,
    started_at: dt.datetime,
) -> None:
    """Send the OpenLineage START event of a run."""
    settings = platform.settings
    event = start_event(
        run_id, job_name(architecture, command, subject), _namespace(settings), started_at
    )
    emit_events(
        lineage_transports(settings.data_dir, settings.observability.openlineage_url), [event]
    )


def record_run(platform: Platform, summary: RunSummary) -> None:
    """Store ``summary`` and emit it everywhere; each destination failing is logged alone.

    Order: the summary JSON (``runs/<architecture>/<run_id>.json`` in the artifacts
    bucket), CloudWatch ``PutMetricData``, the Prometheus textfile (and the Pushgateway
    when configured), then the OpenLineage events.
    """
    settings = platform.settings
    observability = settings.observability
    bucket, _ = runs_location(settings)
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("run summary", lambda: save_run_summary(platform.aws.s3(), bucket, summary)),
        (
            "CloudWatch metrics",
            lambda: put_run_metrics(
                platform.aws.client("cloudwatch"), observability.metrics_namespace, summary
            ),
        ),
        ("Prometheus textfile", lambda: write_run_textfile(metrics_directory(settings), summary)),
    ]
    if observability.pushgateway_url:
        url = observability.pushgateway_url
        steps.append(("Pushgateway", lambda: push_run_metrics(url, summary)))
    steps.append(("OpenLineage events", lambda: _emit_lineage(platform, summary)))
    for what, send in steps:
        try:
            send()
        except Exception:
            log.exception("run %s: could not send the %s", summary.run_id, what)


def _emit_lineage(platform: Platform, summary: RunSummary) -> None:
    settings = platform.settings
    account = platform.aws.client("sts").get_caller_identity()["Account"]
    glue_namespace = f"arn:aws:glue:{settings.region}:{account}"
    events = run_events(summary, _namespace(settings), glue_namespace, _schemas(platform, summary))
    emit_events(
        lineage_transports(settings.data_dir, settings.observability.openlineage_url), events
    )


def _schemas(platform: Platform, summary: RunSummary) -> dict[str, Columns]:
    """Columns of every Glue table the run wrote (the catalog the build just registered)."""
    glue = platform.aws.client("glue")
    found: dict[str, Columns] = {}
    for step in summary.lineage:
        for dataset in step.outputs:
            if not dataset.glue_table or dataset.glue_table in found:
                continue
            database, _, name = dataset.glue_table.partition(".")
            try:
                table = glue.get_table(DatabaseName=database, Name=name)["Table"]
            except glue.exceptions.EntityNotFoundException:
                continue
            columns = [*table["StorageDescriptor"]["Columns"], *table.get("PartitionKeys", [])]
            found[dataset.glue_table] = [(c["Name"], c["Type"]) for c in columns]
    return found


def _namespace(settings: Settings) -> str:
    return lineage_namespace(
        settings.project, settings.environment, settings.observability.openlineage_namespace
    )
