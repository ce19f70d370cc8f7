"""Run metrics and lineage of the test week's builds (issue 21, ADR 0022).

The session fixtures build the week once; every build's entry point records its run
(``goldmine.observe.observe_run``). These tests read what the runs left where an
operator would: the run summaries in S3, CloudWatch on the local API endpoint, the
Prometheus textfiles, the OpenLineage file events. Values are checked against the
builds' own results (their reconciliation), never against the summaries themselves.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from goldmine.observe import (
    RunSummary,
    dataset_name,
    load_run_summaries,
    metrics_directory,
    read_events,
    run_uuid,
    runs_location,
    textfile_path,
)

pytestmark = [pytest.mark.integration, pytest.mark.spark]


def _summary(platform: Any, architecture: str, command: str, **match: Any) -> RunSummary:
    """The first stored run of ``architecture``/``command`` whose fields equal ``match``.

    The session fixture's build is the first with its batches: later tests may build
    the same batches again (``test_lakehouse`` rebuilds the week on purpose).
    """
    bucket, _ = runs_location(platform.settings)
    found = [
        s
        for s in load_run_summaries(
            platform.aws.s3(), bucket, architecture=architecture, command=command
        )
        if all(getattr(s, k) == v for k, v in match.items())
    ]
    assert found, f"no {architecture} {command} run with {match}"
    return found[0]


def _lake_build(platform: Any, lake_built: Any) -> RunSummary:
    return _summary(platform, "lake", "build", batches=lake_built.result.batches)


def _lakehouse_build(platform: Any, lakehouse_built: Any) -> RunSummary:
    batches = tuple(sorted({b for bs in lakehouse_built.batches.values() for b in bs}))
    return _summary(platform, "lakehouse", "build", batches=batches, status="succeeded")


def _zone_table(name: str) -> str:
    """A lake table's name in the metrics: ``<zone>.<table>``."""
    from lake.analytics.tables import analytics_tables

    return f"analytics.{name}" if name in analytics_tables("b") else f"curated.{name}"


def _metric(platform: Any, summary: RunSummary, name: str, **dimensions: str) -> list[float]:
    """Read one metric of ``summary``'s run back from CloudWatch (its timestamp, 1 s)."""
    cloudwatch = platform.aws.client("cloudwatch")
    dims = {"Environment": summary.environment, "Architecture": summary.architecture}
    dims.update(dimensions)
    at = summary.finished_at
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": platform.settings.observability.metrics_namespace,
                        "MetricName": name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                    },
                    "Period": 1,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=at - dt.timedelta(seconds=1),
        EndTime=at + dt.timedelta(seconds=1),
    )
    return list(answer["MetricDataResults"][0]["Values"])


def test_each_build_records_one_run_summary(
    platform: Any, lake_built: Any, lakehouse_built: Any, mesh_published: dict[str, Any]
) -> None:
    from lake._build import LAKE_PLAN

    lake = _lake_build(platform, lake_built)
    assert lake.status == "succeeded" and lake.error is None
    assert [s.step for s in lake.steps] == list(LAKE_PLAN.step_names)
    assert sum(s.spark_jobs or 0 for s in lake.steps) == lake_built.result.steps.spark_jobs
    assert {t.table: t.rows_written for t in lake.tables} == {
        _zone_table(name): rows for name, rows in lake_built.result.rows_written.items()
    }
    assert all(t.bytes_written and t.bytes_written > 0 for t in lake.tables if t.rows_written)
    reasons = lake_built.result.steps.outputs["count_quarantine"].reasons
    assert sum(lake.quarantined_by_reason.values()) == sum(
        n for per in reasons.values() for n in per.values()
    )
    assert lake.newest_order_date == max(
        dt.date.fromisoformat(d) for d in lake_built.result.touched["daily_sales"]
    )

    house = _lakehouse_build(platform, lakehouse_built)
    assert {f.feed: (f.read, f.accepted, f.quarantined, f.duplicates) for f in house.feeds} == (
        lakehouse_built.silver.per_feed
    )
    assert [s.step for s in house.steps] == [s.name for s in lakehouse_built.steps.steps]
    assert sum(s.spark_jobs or 0 for s in house.steps) == lakehouse_built.steps.spark_jobs
    # the same rules quarantine the same records and items, by reason, in both builds
    assert house.quarantined_by_reason == lake.quarantined_by_reason
    assert sum(house.quarantined_by_reason.values()) > 0
    gold = {t.table for t in house.tables if t.layer == "gold"}
    assert gold == {f"gold.{n}" for n in ("daily_sales", "product_monthly", "customer_lifetime")}

    for product_id, result in mesh_published.items():
        run = _summary(platform, "mesh", "publish", run_id=result.run_id)
        assert run.subject == product_id and run.status == "succeeded"
        if product_id == "finance.revenue":  # its freshness element is the order date
            assert run.newest_order_date == lake.newest_order_date
        assert run.tables[0].rows_written == result.check.rows
        assert run.tables[0].dataset.location == result.location


def test_cloudwatch_metrics_read_back_equal_the_reconciliation(
    platform: Any, lake_built: Any, lakehouse_built: Any, mesh_published: dict[str, Any]
) -> None:
    lake = _lake_build(platform, lake_built)
    for feed, counts in lake_built.result.counts.items():
        assert _metric(platform, lake, "RecordsRead", Feed=feed) == [counts.read]
        assert _metric(platform, lake, "RecordsQuarantined", Feed=feed) == [counts.quarantined]
        assert _metric(platform, lake, "RecordsDuplicate", Feed=feed) == [counts.duplicates]
    orders = lake_built.result.counts["orders"]
    rate = _metric(platform, lake, "QuarantineRate", Feed="orders")
    assert rate == [pytest.approx(100 * orders.quarantined / orders.read)]
    for table, rows in lake_built.result.rows_written.items():
        assert _metric(platform, lake, "RowsWritten", Table=_zone_table(table)) == [rows]

    house = _lakehouse_build(platform, lakehouse_built)
    for feed, (read, _, quarantined, _) in lakehouse_built.silver.per_feed.items():
        assert _metric(platform, house, "RecordsRead", Feed=feed) == [read]
        assert _metric(platform, house, "RecordsQuarantined", Feed=feed) == [quarantined]

    orders_product = mesh_published["sales.orders"]
    mesh_run = _summary(platform, "mesh", "publish", run_id=orders_product.run_id)
    read = sum(c.read for c in orders_product.sources.counts if c.feed == "orders")
    assert _metric(platform, mesh_run, "RecordsRead", Feed="orders") == [read]
    assert _metric(platform, mesh_run, "RowsWritten", Product="sales.orders") == [
        orders_product.check.rows
    ]

    listed = platform.aws.client("cloudwatch").list_metrics(
        Namespace=platform.settings.observability.metrics_namespace,
        MetricName="NewestOrderDateAgeDays",
    )["Metrics"]
    architectures = {
        d["Value"] for m in listed for d in m["Dimensions"] if d["Name"] == "Architecture"
    }
    assert architectures >= {"lake", "lakehouse"}


def test_prometheus_textfiles_parse_and_hold_their_runs_figures(
    platform: Any, lake_built: Any, lakehouse_built: Any, mesh_published: dict[str, Any]
) -> None:
    """One textfile per kind of run; each holds the figures of the run it names.

    A file holds the last run of its kind (later tests may have run the same kind), so
    each is checked against the stored summary of the run it names; the week's figures
    are checked against the reconciliation through CloudWatch above.
    """
    bucket, _ = runs_location(platform.settings)
    runs = {r.run_id: r for r in load_run_summaries(platform.aws.s3(), bucket)}
    settings = platform.settings  # other projects' runs may share the data dir
    kind = f"{settings.project}_{settings.environment}_"
    files = sorted(metrics_directory(settings).glob(f"{kind}*.prom"))
    names = {p.name for p in files}
    assert {
        "goldmine_local_lake_ingest_lake.prom",
        "goldmine_local_lake_build_lake.prom",
        "goldmine_local_lakehouse_build_lakehouse.prom",
        "goldmine_local_mesh_publish_sales_orders.prom",
    } <= names
    for path in files:
        families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
        (info,) = families["goldmine_run_info"].samples
        run = runs[info.labels["run_id"]]
        assert path == textfile_path(metrics_directory(platform.settings), run)
        assert info.labels["status"] == run.status
        records = {
            (s.labels["feed"], s.labels["outcome"]): s.value
            for s in families.get("goldmine_feed_records", _NO_FAMILY).samples
        }
        assert records == {
            (f.feed, outcome): value
            for f in run.feeds
            for outcome, value in (
                ("read", f.read),
                ("accepted", f.accepted),
                ("quarantined", f.quarantined),
                ("duplicate", f.duplicates),
            )
        }, path.name
        steps = (
            {s.labels["step"] for s in families["goldmine_step_seconds"].samples}
            if ("goldmine_step_seconds" in families)
            else set()
        )
        assert steps == {s.step for s in run.steps}, path.name


class _NoFamily:
    samples: tuple[Any, ...] = ()


_NO_FAMILY = _NoFamily()


def test_openlineage_events_form_one_connected_graph(
    platform: Any, lake_built: Any, lakehouse_built: Any, mesh_published: dict[str, Any]
) -> None:
    events = read_events(platform.settings.data_dir)
    complete = [e for e in events if e["eventType"] == "COMPLETE"]
    edges: dict[str, set[str]] = defaultdict(set)

    def key(d: dict[str, Any]) -> str:
        return f"{d['namespace']}/{d['name']}"

    for event in complete:
        for i in event.get("inputs", []):
            for o in event.get("outputs", []):
                edges[key(i)].add(key(o))
    buckets = platform.settings.buckets

    def node(location: str) -> str:
        namespace, name = dataset_name(location)
        return f"{namespace}/{name}"

    def path(*locations: str) -> None:
        for a, b in itertools.pairwise(locations):
            assert node(b) in edges[node(a)], f"no lineage edge {a} -> {b}"

    path(
        f"s3://{buckets.landing}/sales/orders/",
        f"s3://{buckets.raw}/orders/",
        f"s3://{buckets.curated}/orders/",
        f"s3://{buckets.analytics}/daily_sales/",
    )
    path(
        f"s3://{buckets.landing}/sales/orders/",
        f"s3://{buckets.lakehouse}/bronze/orders",
        f"s3://{buckets.lakehouse}/silver/orders",
        f"s3://{buckets.lakehouse}/gold/daily_sales",
    )
    # source feeds -> domain products -> finance products
    sales, revenue = mesh_published["sales.orders"], mesh_published["finance.revenue"]
    path(f"s3://{buckets.landing}/sales/orders/", sales.location, revenue.location)
    finance = [p for p, r in mesh_published.items() if p.startswith("finance.")]
    for product_id in finance:
        result = mesh_published[product_id]
        for location in [i["location"] for i in result.lineage["inputs"]]:
            path(location, result.location)

    # the registry's lineage and the events agree, product by product
    by_run = {e["run"]["runId"]: e for e in complete if e["job"]["name"].startswith("mesh.build.")}
    import uuid

    for product_id, result in mesh_published.items():
        child = str(uuid.uuid5(uuid.UUID(run_uuid(result.run_id)), f"mesh.build.{product_id}"))
        event = by_run[child]
        inputs = {key(i) for i in event["inputs"]}
        expected = {node(i["location"]) for i in result.lineage["inputs"]}
        expected |= {
            node(f"s3://{buckets.landing}/{prefix}")
            for feed, prefix in _landing_prefixes().items()
            if feed in result.lineage["source_feeds"]
        }
        assert inputs == expected, product_id
        assert [key(o) for o in event["outputs"]] == [node(result.location)]

    # one connected graph per architecture's week (undirected reachability)
    _assert_connected(
        edges,
        node(f"s3://{buckets.landing}/sales/orders/"),
        [
            node(f"s3://{buckets.analytics}/daily_sales/"),
            node(f"s3://{buckets.lakehouse}/gold/daily_sales"),
            *(node(mesh_published[p].location) for p in finance),
        ],
    )


def _landing_prefixes() -> dict[str, str]:
    from goldmine.rules import LANDING_PREFIXES

    return LANDING_PREFIXES


def _assert_connected(edges: dict[str, set[str]], start: str, targets: list[str]) -> None:
    neighbours: dict[str, set[str]] = defaultdict(set)
    for a, bs in edges.items():
        for b in bs:
            neighbours[a].add(b)
            neighbours[b].add(a)
    seen, todo = {start}, [start]
    while todo:
        for n in neighbours[todo.pop()] - seen:
            seen.add(n)
            todo.append(n)
    missing = [t for t in targets if t not in seen]
    assert not missing, f"not connected to {start}: {missing}"


def test_a_failed_run_is_recorded_with_its_error_line(platform: Any) -> None:
    from lake import NothingLandedError, ingest

    day = dt.date(1999, 1, 1)
    with pytest.raises(NothingLandedError):
        ingest(platform, [day])
    bucket, _ = runs_location(platform.settings)
    failed = [
        s
        for s in load_run_summaries(platform.aws.s3(), bucket, architecture="lake")
        if s.command == "ingest" and s.status == "failed"
    ]
    assert failed and failed[-1].error is not None
    assert failed[-1].error.startswith("NothingLandedError: nothing landed for 1999-01-01")
    events = read_events(platform.settings.data_dir)
    fail = [e for e in events if e["run"]["runId"] == run_uuid(failed[-1].run_id)]
    assert [e["eventType"] for e in fail] == ["START", "FAIL"]
    assert fail[-1]["run"]["facets"]["errorMessage"]["message"] == failed[-1].error
    assert _metric(platform, failed[-1], "RunFailed", Command="ingest") == [1.0]
