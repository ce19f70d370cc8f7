"""Run summaries as CloudWatch metrics: one namespace, dimensions per run, feed and table."""

from __future__ import annotations

from typing import Any

from goldmine.observe._run_summary import RunSummary

#: ``PutMetricData`` takes at most this many data points per call.
_PUT_MAX = 1000


def _datum(
    name: str, value: float, unit: str, summary: RunSummary, **dimensions: str
) -> dict[str, Any]:
    dims = {"Environment": summary.environment, "Architecture": summary.architecture}
    dims.update(dimensions)
    return {
        "MetricName": name,
        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
        "Timestamp": summary.finished_at,
        "Value": float(value),
        "Unit": unit,
    }


def metric_data(summary: RunSummary) -> list[dict[str, Any]]:
    """Return the CloudWatch data points of one run (the ``MetricData`` of ``PutMetricData``).

    Every point has the dimensions ``Environment`` and ``Architecture``, plus

    - ``Command``: ``RunSeconds``, ``RunFailed`` (1 or 0); with ``Step``: ``StepSeconds``;
    - ``Feed``: ``RecordsRead``, ``RecordsAccepted``, ``RecordsQuarantined``,
      ``RecordsDuplicate``, ``QuarantineRate`` (percent of read);
    - ``Reason``: ``RecordsQuarantinedByReason``;
    - ``Table`` (lake, lakehouse) or ``Product`` (mesh): ``RowsWritten``, ``BytesWritten``;
    - none more: ``NewestOrderDateAgeDays`` (days from the newest order date built to
      the day the run finished; the freshness alarm watches it), ``ItemsQuarantined``.

    Examples
    --------
    >>> import datetime as dt
    >>> t = dt.datetime(2025, 1, 13, tzinfo=dt.UTC)
    >>> s = RunSummary(run_id="r", environment="local", architecture="lake", command="build",
    ...                started_at=t, finished_at=t, status="succeeded")
    >>> [(d["MetricName"], d["Value"]) for d in metric_data(s)]
    [('RunSeconds', 0.0), ('RunFailed', 0.0)]
    """
    data = [
        _datum("RunSeconds", summary.seconds, "Seconds", summary, Command=summary.command),
        _datum("RunFailed", summary.status == "failed", "Count", summary, Command=summary.command),
    ]
    for step in summary.steps:
        data.append(
            _datum(
                "StepSeconds",
                step.seconds,
                "Seconds",
                summary,
                Command=summary.command,
                Step=step.step,
            )
        )
    for feed in summary.feeds:
        for name, value in (
            ("RecordsRead", feed.read),
            ("RecordsAccepted", feed.accepted),
            ("RecordsQuarantined", feed.quarantined),
            ("RecordsDuplicate", feed.duplicates),
        ):
            data.append(_datum(name, value, "Count", summary, Feed=feed.feed))
        data.append(
            _datum("QuarantineRate", feed.quarantine_rate, "Percent", summary, Feed=feed.feed)
        )
    for reason, count in sorted(summary.quarantined_by_reason.items()):
        data.append(_datum("RecordsQuarantinedByReason", count, "Count", summary, Reason=reason))
    if summary.feeds:
        data.append(_datum("ItemsQuarantined", summary.quarantined_items, "Count", summary))
    table_dimension = "Product" if summary.architecture == "mesh" else "Table"
    for table in summary.tables:
        where = {table_dimension: table.table}
        if table.rows_written is not None:
            data.append(_datum("RowsWritten", table.rows_written, "Count", summary, **where))
        if table.bytes_written is not None:
            data.append(_datum("BytesWritten", table.bytes_written, "Bytes", summary, **where))
    if summary.newest_order_date is not None:
        age = (summary.finished_at.date() - summary.newest_order_date).days
        data.append(_datum("NewestOrderDateAgeDays", age, "Count", summary))
    return data


def put_run_metrics(cloudwatch: Any, namespace: str, summary: RunSummary) -> int:
    """Send the run's metrics (:func:`metric_data`) to CloudWatch; return the points sent.

    Parameters
    ----------
    cloudwatch
        A boto3 CloudWatch client (``platform.aws.client("cloudwatch")``).
    namespace
        ``settings.observability.metrics_namespace``.
    summary
        The run.
    """
    data = metric_data(summary)
    for start in range(0, len(data), _PUT_MAX):
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[start : start + _PUT_MAX])
    return len(data)
