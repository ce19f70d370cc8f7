"""Alarms and dashboards on the runs' own metrics (goldmine.observe, ADR 0022)."""

from __future__ import annotations

import json
from typing import Any

from aws_cdk.assertions import Match
from goldmine_infra._run_metrics import FEEDS, GOLD_MAX_AGE_DAYS, QUARANTINE_RATE_MAX

from goldmine.observe import metric_data


def _alarms(synth: Any) -> dict[str, dict[str, Any]]:
    return {
        a["Properties"]["AlarmName"].rsplit("-monitoring-", 1)[-1]: a["Properties"]
        for a in synth.resources("monitoring", "AWS::CloudWatch::Alarm").values()
    }


def _stats(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    return [q["MetricStat"] for q in alarm["Metrics"] if "MetricStat" in q]


def test_one_quarantine_rate_alarm_per_feed_over_the_three_builds(synth: Any) -> None:
    alarms = _alarms(synth)
    namespace = synth.settings.observability.metrics_namespace
    assert set(FEEDS) == {"orders", "customers", "products", "fx_rates", "stores"}
    for feed in FEEDS:
        alarm = alarms[f"quarantine-{feed.replace('_', '-')}"]
        assert alarm["Threshold"] == QUARANTINE_RATE_MAX
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["TreatMissingData"] == "notBreaching"
        (expression,) = [q for q in alarm["Metrics"] if "Expression" in q]
        assert expression["Expression"] == "MAX([lake, lakehouse, mesh])"
        assert expression.get("ReturnData", True) is True
        stats = _stats(alarm)
        assert {s["Metric"]["MetricName"] for s in stats} == {"QuarantineRate"}
        assert {s["Metric"]["Namespace"] for s in stats} == {namespace}
        dims = [{d["Name"]: d["Value"] for d in s["Metric"]["Dimensions"]} for s in stats]
        assert sorted(d["Architecture"] for d in dims) == ["lake", "lakehouse", "mesh"]
        assert {(d["Environment"], d["Feed"]) for d in dims} == {("aws", feed)}
        assert alarm["AlarmActions"]


def test_gold_freshness_alarm_watches_the_newest_built_order_date(synth: Any) -> None:
    alarm = _alarms(synth)["gold-freshness"]
    assert alarm["Threshold"] == GOLD_MAX_AGE_DAYS
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
    assert alarm["TreatMissingData"] == "breaching"  # no build in a day is stale too
    stats = _stats(alarm)
    assert {s["Metric"]["MetricName"] for s in stats} == {"NewestOrderDateAgeDays"}
    assert {s["Period"] for s in stats} == {86400}
    archs = {
        d["Value"] for s in stats for d in s["Metric"]["Dimensions"] if d["Name"] == "Architecture"
    }
    assert archs == {"lake", "lakehouse", "mesh"}


def _body(synth: Any, name: str) -> str:
    (board,) = [
        d["Properties"]
        for d in synth.resources("monitoring", "AWS::CloudWatch::Dashboard").values()
        if d["Properties"]["DashboardName"].endswith(f"-{name}")
    ]
    body = board["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return "".join(p if isinstance(p, str) else "ref" for p in parts)  # ARNs: tokens


def test_one_dashboard_per_architecture_on_the_metrics_the_runs_emit(synth: Any) -> None:
    t = synth.template("monitoring")
    t.resource_count_is("AWS::CloudWatch::Dashboard", 4)
    emitted = {
        "RunSeconds",
        "RunFailed",
        "StepSeconds",
        "RecordsRead",
        "RecordsQuarantined",
        "RecordsQuarantinedByReason",
        "RowsWritten",
        "BytesWritten",
        "NewestOrderDateAgeDays",
        "QuarantineRate",
    }
    for architecture in ("lake", "lakehouse", "mesh"):
        body = _body(synth, architecture)
        widgets = json.loads(body)["widgets"]
        assert len(widgets) >= 9
        assert f'Architecture=\\"{architecture}\\"' in body
        for metric in ("RunSeconds", "StepSeconds", "RecordsRead", "RowsWritten"):
            assert f'MetricName=\\"{metric}\\"' in body, (architecture, metric)
        searched = {m for m in emitted if f'MetricName=\\"{m}\\"' in body}
        assert searched <= emitted
    assert "Product" in _body(synth, "mesh")
    for architecture in ("lake", "lakehouse", "mesh"):  # mesh: finance.revenue's order date
        assert "NewestOrderDateAgeDays" in _body(synth, architecture)
    t.has_resource_properties(
        "AWS::CloudWatch::Dashboard", {"DashboardName": Match.string_like_regexp("-lakehouse$")}
    )


def test_the_alarmed_metrics_are_the_ones_a_run_emits() -> None:
    """The names the alarms watch are the names ``goldmine.observe`` puts (one source)."""
    import datetime as dt

    from goldmine.observe import FeedFigures, RunSummary

    t = dt.datetime(2025, 1, 13, tzinfo=dt.UTC)
    run = RunSummary(
        run_id="r",
        environment="aws",
        architecture="lake",
        command="build",
        started_at=t,
        finished_at=t,
        status="succeeded",
        feeds=(FeedFigures(feed="orders", read=10, quarantined=1),),
        newest_order_date=dt.date(2025, 1, 12),
    )
    names = {d["MetricName"] for d in metric_data(run)}
    assert {"QuarantineRate", "NewestOrderDateAgeDays"} <= names
