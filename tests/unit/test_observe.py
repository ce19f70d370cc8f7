"""Run summaries as CloudWatch data, Prometheus text and OpenLineage events (no services)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.serde import Serde
from prometheus_client.parser import text_string_to_metric_families

from goldmine.observe import (
    Dataset,
    FeedFigures,
    LineageStep,
    QualityResult,
    RunSummary,
    StepFigures,
    TableFigures,
    metric_data,
    run_events,
    run_uuid,
    textfile_path,
    write_run_textfile,
)
from goldmine.settings import load_settings

T0 = dt.datetime(2025, 1, 14, 6, 0, tzinfo=dt.UTC)
RAW = Dataset(location="s3://raw/orders/", glue_table="g_lake_raw.orders")
CURATED = Dataset(location="s3://curated/orders/", glue_table="g_lake_curated.orders")


def a_run(**overrides: Any) -> RunSummary:
    """A lake build of two batches: orders read 100 (5 quarantined, 2 duplicates)."""
    fields: dict[str, Any] = {
        "run_id": "run-1",
        "environment": "local",
        "architecture": "lake",
        "command": "build",
        "subject": "lake",
        "started_at": T0,
        "finished_at": T0 + dt.timedelta(seconds=90),
        "status": "succeeded",
        "batches": ("20250106", "20250107"),
        "feeds": (FeedFigures(feed="orders", read=100, accepted=93, quarantined=5, duplicates=2),),
        "quarantined_by_reason": {"missing_order_id": 3, "unparseable": 2},
        "quarantined_items": 4,
        "tables": (
            TableFigures(
                table="curated.orders",
                layer="curated",
                dataset=CURATED,
                rows_written=93,
                bytes_written=4096,
            ),
        ),
        "steps": (StepFigures(step="read_landed", seconds=1.5, spark_jobs=2),),
        "quality": (QualityResult(dataset=RAW.location, name="orders.D1", passed=False),),
        "lineage": (LineageStep(job="lake.build.curated", inputs=(RAW,), outputs=(CURATED,)),),
        "newest_order_date": dt.date(2025, 1, 12),
    }
    fields.update(overrides)
    return RunSummary(**fields)


def _points(data: list[dict[str, Any]], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple((d["Name"], d["Value"]) for d in p["Dimensions"]): p["Value"]
        for p in data
        if p["MetricName"] == name
    }


def test_cloudwatch_points_carry_the_run_figures_and_dimensions() -> None:
    data = metric_data(a_run())
    base = (("Environment", "local"), ("Architecture", "lake"))
    assert _points(data, "RecordsRead") == {(*base, ("Feed", "orders")): 100}
    assert _points(data, "RecordsQuarantined") == {(*base, ("Feed", "orders")): 5}
    assert _points(data, "QuarantineRate") == {(*base, ("Feed", "orders")): 5.0}
    assert _points(data, "RowsWritten") == {(*base, ("Table", "curated.orders")): 93}
    assert _points(data, "BytesWritten") == {(*base, ("Table", "curated.orders")): 4096}
    assert _points(data, "RunSeconds") == {(*base, ("Command", "build")): 90}
    assert _points(data, "RunFailed") == {(*base, ("Command", "build")): 0}
    assert _points(data, "NewestOrderDateAgeDays") == {base: 2}
    assert _points(data, "RecordsQuarantinedByReason") == {
        (*base, ("Reason", "missing_order_id")): 3,
        (*base, ("Reason", "unparseable")): 2,
    }
    assert {p["Timestamp"] for p in data} == {T0 + dt.timedelta(seconds=90)}


def test_a_product_is_a_dimension_of_its_own_and_a_failure_counts_one() -> None:
    run = a_run(architecture="mesh", command="publish", status="failed", error="boom")
    data = metric_data(run)
    assert [d["Name"] for d in data[-1]["Dimensions"]] == ["Environment", "Architecture"]
    rows = [p for p in data if p["MetricName"] == "RowsWritten"]
    assert rows[0]["Dimensions"][-1] == {"Name": "Product", "Value": "curated.orders"}
    assert _points(data, "RunFailed") == {
        (("Environment", "local"), ("Architecture", "mesh"), ("Command", "publish")): 1
    }


def test_prometheus_textfile_parses_and_replaces_the_last_run_of_its_kind(tmp_path: Path) -> None:
    first = write_run_textfile(tmp_path, a_run())
    second = write_run_textfile(tmp_path, a_run(run_id="run-2"))
    assert (
        first
        == second
        == textfile_path(tmp_path, a_run())
        == tmp_path / ("goldmine_local_lake_build_lake.prom")
    )
    families = {f.name: f for f in text_string_to_metric_families(second.read_text())}
    assert families["goldmine_run_info"].samples[0].labels["run_id"] == "run-2"
    records = {s.labels["outcome"]: s.value for s in families["goldmine_feed_records"].samples}
    assert records == {"read": 100, "accepted": 93, "quarantined": 5, "duplicate": 2}
    ratio = families["goldmine_feed_quarantine_ratio"].samples[0]
    assert ratio.value == pytest.approx(0.05)
    newest = families["goldmine_newest_order_date_timestamp_seconds"].samples[0].value
    assert newest == dt.datetime(2025, 1, 12, tzinfo=dt.UTC).timestamp()


def test_openlineage_events_of_a_run_and_its_steps() -> None:
    events = [
        json.loads(Serde.to_json(e))
        for e in run_events(a_run(), "goldmine-local", "arn:aws:glue:r:1")
    ]
    assert [(e["eventType"], e["job"]["name"]) for e in events] == [
        ("START", "lake.build.curated"),
        ("COMPLETE", "lake.build.curated"),
        ("COMPLETE", "lake.build"),
    ]
    step = events[1]
    assert step["run"]["facets"]["parent"]["run"]["runId"] == run_uuid("run-1")
    assert uuid.UUID(step["run"]["runId"])  # OpenLineage requires UUIDs
    (read,) = step["inputs"]
    assert (read["namespace"], read["name"]) == ("s3://raw", "orders")
    assert read["facets"]["symlinks"]["identifiers"] == [
        {"namespace": "arn:aws:glue:r:1", "name": "table/g_lake_raw/orders", "type": "TABLE"}
    ]
    assertions = read["inputFacets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a["success"]) for a in assertions] == [("orders.D1", False)]
    (wrote,) = step["outputs"]
    assert wrote["outputFacets"]["outputStatistics"]["rowCount"] == 93
    assert wrote["outputFacets"]["outputStatistics"]["size"] == 4096


def test_a_failed_run_ends_with_one_fail_event_and_its_error() -> None:
    events = run_events(
        a_run(status="failed", error="ReconciliationError: read 10 != 9"), "ns", "arn"
    )
    (fail,) = [json.loads(Serde.to_json(e)) for e in events]
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["facets"]["errorMessage"]["message"] == "ReconciliationError: read 10 != 9"


def test_run_summary_json_round_trip() -> None:
    run = a_run()
    assert RunSummary.model_validate_json(run.model_dump_json()) == run
    assert run.key == "lake/run-1.json"
    with pytest.raises(ValueError, match="architecture"):
        a_run(architecture="warehouse")


def test_observability_settings_default_to_files_only(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = load_settings(project="acme").observability
    assert (defaults.pushgateway_url, defaults.metrics_namespace) == (None, "acme")
    monkeypatch.setenv("GOLDMINE_OBSERVABILITY__PUSHGATEWAY_URL", "http://push:9091")
    monkeypatch.setenv("GOLDMINE_OBSERVABILITY__METRICS_NAMESPACE", "Ops")
    settings = load_settings()
    assert settings.observability.pushgateway_url == "http://push:9091"
    assert settings.observability.metrics_namespace == "Ops"


class _Receiver:
    """A local HTTP endpoint that keeps every request it is sent (method, path, body)."""

    def __init__(self) -> None:
        import http.server
        import threading

        received = self.received = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _keep(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                received.append((self.command, self.path, body.decode()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_PUT = do_POST = _keep  # noqa: N815 (http.server names its handlers so)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def test_a_configured_pushgateway_and_lineage_endpoint_receive_the_run(tmp_path: Path) -> None:
    from goldmine.observe._lineage import emit_events, lineage_transports
    from goldmine.observe._prometheus import push_run_metrics

    receiver = _Receiver()
    try:
        push_run_metrics(receiver.url, a_run())
        events = run_events(a_run(), "goldmine-local", "arn:aws:glue:r:1")
        emit_events(lineage_transports(tmp_path, receiver.url), events)
    finally:
        receiver.server.shutdown()
    (push, *posted) = receiver.received
    assert push[0] == "PUT" and push[1].startswith("/metrics/job/goldmine/")
    assert "architecture/lake" in push[1]
    families = {f.name: f for f in text_string_to_metric_families(push[2])}
    (seconds,) = families["goldmine_run_seconds"].samples
    assert seconds.value == a_run().seconds
    assert [(m, p) for m, p, _ in posted] == [("POST", "/api/v1/lineage")] * len(events)
    sent = [json.loads(body)["eventType"] for _, _, body in posted]
    assert sent == ["START", "COMPLETE", "COMPLETE"]
    assert len(list((tmp_path / "lineage").glob("event-*.json"))) == len(events)  # files too
