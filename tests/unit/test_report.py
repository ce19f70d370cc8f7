"""The comparison report's pure parts: rendering a hand-built ReportData, and its figures."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from goldmine.cost import StorageUsage
from goldmine.report import (
    BUILDS,
    SECTIONS,
    BuildData,
    Governance,
    LayerStorage,
    QueryScan,
    ReportData,
    StepTime,
    render_report,
    write_report,
)
from goldmine.report._count_rows import mesh_publications, mesh_quarantine, mesh_rows
from goldmine.report._estimate_cost import monthly_cost
from goldmine.report._estimate_scans import named_columns
from goldmine.report._governance import ASPECTS, GovernanceFacts, governance_matrix
from goldmine.report._measure_layers import storage_by_layer

CHARTS = ("steps", "storage", "rows", "quarantine", "scans", "cost")


def build_data(build: str, k: int, *, steps: bool = True) -> BuildData:
    """One build's figures, scaled by ``k`` so the builds differ."""
    matrix = governance_matrix(GovernanceFacts(3, 8, 4, 8, 8))
    return BuildData(
        build=build,
        steps=(StepTime("read_landed", 1.5 * k), StepTime("publish", 3.0)) if steps else (),
        storage=(LayerStorage("raw", 2_000_000 * k, 40), LayerStorage("gold", 300_000, 12)),
        rows={"raw": 1_000 * k, "gold": 50},
        quarantine={"unparseable": 3, "invalid_price": 5},
        scans=(QueryScan("01-daily-revenue", "Revenue per day?", 120_000 * k),),
        monthly_usd={"storage": 0.001 * k, "athena": 0.002},
        newest_order_date=dt.date(2025, 1, 12),
        governance=matrix[build],
    )


def report_data(*, steps: bool = True, timings_source: str = "a test run") -> ReportData:
    return ReportData(
        builds=tuple(build_data(b, k, steps=steps) for k, b in enumerate(BUILDS, 1)),
        generated_at=dt.datetime(2026, 12, 3, tzinfo=dt.UTC),
        environment="local",
        shared_storage=(LayerStorage("landing", 1_000_000, 30),),
        timings_source=timings_source,
        notes=("a caveat <with markup>",),
    )


def test_every_section_and_chart_is_present_with_drawn_marks():
    page = render_report(report_data())
    for name, title in SECTIONS:
        assert f'<section id="{name}">' in page
        assert title in page
    for chart in CHARTS:
        figure = re.search(
            rf'<figure class="chart" data-chart="{chart}">(.*?)</figure>', page, re.S
        )
        assert figure, chart
        # every build's bars are drawn, each bar an SVG element with its own id
        for build in BUILDS:
            if chart != "cost":
                assert f'id="mark-{chart}-{build}' in figure.group(1), (chart, build)
    assert 'data-empty="' not in page
    assert "2025-01-12" in page  # freshness
    assert "a caveat &lt;with markup&gt;" in page  # notes are escaped


def test_the_page_fetches_nothing_and_runs_no_script():
    page = render_report(report_data())
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    # the only URLs left are the SVG namespace names, which nothing fetches
    urls = set(re.findall(r"https?://[^\"'\s<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


def test_missing_timings_say_where_they_will_come_from(tmp_path):
    page = render_report(report_data(steps=False, timings_source="not recorded: run the demo"))
    assert 'data-chart="steps"' not in page
    assert re.search(r'data-empty="steps">No step timings: not recorded: run the demo<', page)
    written = write_report(report_data(steps=False), tmp_path / "sub" / "r.html")
    assert written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_governance_matrix_covers_every_aspect_and_levels_are_checked():
    matrix = governance_matrix(GovernanceFacts(mesh_contracts=8, mesh_consumer_roles=8))
    assert set(matrix) == set(BUILDS)
    for build in BUILDS:
        assert tuple(matrix[build]) == ASPECTS
    assert matrix["mesh"]["contracts"].level == "yes"
    assert "8 ODCS v3 contracts" in matrix["mesh"]["contracts"].evidence
    assert matrix["lake"]["time travel"].level == "no"
    with pytest.raises(ValueError, match="governance level 'maybe'"):
        Governance("maybe", "")


def test_storage_is_summed_per_build_and_layer():
    roles = {
        "gm-cur": "curated",
        "gm-raw": "raw",
        "gm-lh": "lakehouse",
        "gm-fin": "mesh-finance",
        "gm-land": "landing",
    }
    usages = [
        StorageUsage("gm-cur", "orders/", 5, 1, "lake", "lake"),
        StorageUsage("gm-raw", "orders/", 100, 2, "lake", "lake"),
        StorageUsage("gm-raw", "customers/", 50, 1, "lake", "lake"),
        StorageUsage("gm-lh", "gold/", 70, 3, "lakehouse", "lakehouse"),
        StorageUsage("gm-lh", "silver/", 30, 1, "lakehouse", "lakehouse"),
        StorageUsage("gm-fin", "revenue/", 9, 1, "mesh", "finance"),
        StorageUsage("gm-land", "sales/", 500, 7, "shared", "platform"),
        StorageUsage("someone-elses", "x/", 1, 1, "shared", "platform"),
    ]
    layers = storage_by_layer(usages, roles)
    # layers in the order data flows through them, whatever the buckets' names
    assert layers["lake"] == (LayerStorage("raw", 150, 3), LayerStorage("curated", 5, 1))
    assert layers["lakehouse"] == (LayerStorage("silver", 30, 1), LayerStorage("gold", 70, 3))
    assert layers["mesh"] == (LayerStorage("finance", 9, 1),)
    assert layers["shared"] == (LayerStorage("landing", 500, 7),)


def test_mesh_rows_and_quarantine_come_from_the_newest_publications():
    entries = [
        {
            "product": "sales.orders",
            "latest_major": 2,
            "majors": {
                "1": {"product": "sales.orders", "rows": 1, "quarantine": None},
                "2": {
                    "product": "sales.orders",
                    "rows": 40,
                    "quarantine": {"by_reason": {"unparseable": 2, "unknown_product": 1}},
                },
            },
        },
        {
            "product": "finance.revenue",
            "latest_major": 1,
            "majors": {"1": {"product": "finance.revenue", "rows": 7, "quarantine": None}},
        },
    ]
    publications = mesh_publications(entries)
    assert mesh_rows(publications) == {"sales": 40, "finance": 7}
    assert mesh_quarantine(publications) == {"unknown_product": 1, "unparseable": 2}


def test_named_columns_of_a_query():
    from goldmine.query import parse_select

    query = parse_select("SELECT s.region, SUM(d.units) FROM daily_sales d JOIN stores s USING (x)")
    assert named_columns(query) == {"region", "units", "x"}
    assert named_columns(parse_select("SELECT * FROM daily_sales")) is None


def test_monthly_cost_prices_storage_and_the_questions(tmp_path):
    storage = [StorageUsage("b", "p/", 2**30, 1, "lake", "lake")]
    scans = {"lake": [QueryScan("q", "?", 1)], "mesh": []}
    costs, notes = monthly_cost(storage, scans, tmp_path)
    assert costs["lake"]["storage"] == pytest.approx(0.023)  # 1 GiB at 0.023 USD per GB-month
    # 1 byte is billed as the 10 MB minimum, 30 runs a month, at 5 USD per TB
    assert costs["lake"]["athena"] == pytest.approx(10 * 2**20 * 30 / 2**40 * 5)
    assert "no EMR Serverless runs recorded" in notes
