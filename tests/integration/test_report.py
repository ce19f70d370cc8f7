"""The comparison report of the shared test week, collected for real and opened in Chromium.

Reuses the session's builds (``lake_built``, ``lakehouse_built``, ``mesh_published``):
collecting reads storage, footers, Delta logs and the registry (no Spark job), and the
browser (Debian's ``chromium``, installed by ``make browser``) opens the written page.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from goldmine.report import BUILDS, NothingBuiltError, ReportData, collect_report, write_report
from tests.conftest import REPO, make_settings

if TYPE_CHECKING:
    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark]

#: Where the browser test keeps its screenshot (git-ignored; CI keeps the workspace).
ARTIFACTS = REPO / "build" / "test-artifacts"
CHARTS = ("steps", "storage", "rows", "quarantine", "scans", "cost")


@pytest.fixture(scope="module")
def report(
    platform: Platform,
    lake_built: Any,
    lakehouse_built: Any,
    mesh_published: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ReportData, Path]:
    from goldmine.report import StepTime

    steps = lake_built.result.steps
    timings = {"lake": tuple(StepTime(s.name, s.seconds) for s in steps.steps)}
    started = time.perf_counter()
    data = collect_report(platform, timings=timings, timings_source="the test week's lake build")
    print(f"collect_report: {time.perf_counter() - started:.1f} s")  # shown with -s
    return data, write_report(data, tmp_path_factory.mktemp("report") / "report.html")


def test_the_report_compares_the_three_builds_of_the_test_week(
    report: tuple[ReportData, Path], lake_built: Any
):
    from goldmine.query import load_standard_queries

    data, _ = report
    assert [b.build for b in data.builds] == list(BUILDS)
    assert all(b.built for b in data.builds)
    lake, lakehouse, mesh = (data.build(b) for b in BUILDS)
    # the lake's steps are its plan's, as the build ran them; the others recorded none
    assert [s.step for s in lake.steps] == [s.name for s in lake_built.result.steps.steps]
    assert not lakehouse.steps and not mesh.steps
    assert [x.layer for x in lake.storage] == ["raw", "curated", "analytics"]
    assert {"bronze", "silver", "gold"} <= {x.layer for x in lakehouse.storage}
    assert {x.layer for x in mesh.storage} == {"sales", "customer", "catalog", "finance"}
    assert all(x.bytes > 0 and x.objects > 0 for b in data.builds for x in b.storage)
    # the same gold in two places: the lake's analytics zone and the lakehouse's gold
    assert lake.rows["analytics"] == lakehouse.rows["gold"] > 0
    # the same rules over the same source quarantine the same records in every build
    assert lake.quarantine == lakehouse.quarantine == mesh.quarantine
    assert sum(lake.quarantine.values()) > 0
    # every standard question is planned on every build, and reads some bytes
    names = [q.name for q in load_standard_queries()]
    for build in data.builds:
        assert [s.query for s in build.scans] == names
        assert all(s.bytes_scanned > 0 for s in build.scans)
        assert build.monthly_usd["storage"] > 0 and build.monthly_usd["athena"] > 0
    assert lake.newest_order_date == lakehouse.newest_order_date == mesh.newest_order_date
    assert lake.newest_order_date is not None


def test_the_report_opens_in_headless_chromium_with_every_chart_drawn(
    report: tuple[ReportData, Path], tmp_path: Path
):
    from tests.browser import visit

    _, page_file = report
    shot = tmp_path / "report.png"
    seen = visit(page_file, shot)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report.png")
    assert seen.problems == []  # no console error, no script error, nothing fetched
    assert sorted(seen.charts) == sorted(CHARTS)
    for name, chart in seen.charts.items():
        assert chart["width"] > 300 and chart["height"] > 100, name
        assert chart["drawn"] > 0, f"chart {name} draws no mark"
    assert shot.stat().st_size > 10_000


def test_nothing_built_is_one_clear_line(
    platform: Platform,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    from goldmine.aws import AwsClients
    from goldmine.cli import main
    from goldmine.platform import Platform, ensure_buckets

    # Another project on the same local services: its buckets are empty, or missing.
    empty = make_settings(tmp_path, project="nothing-built")
    bare = Platform(empty, AwsClients(empty, platform.aws.endpoints))
    endpoints = platform.aws.endpoints
    monkeypatch.setenv("GOLDMINE_PROJECT", "nothing-built")
    monkeypatch.setenv("GOLDMINE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GOLDMINE_ENDPOINTS__S3", str(endpoints.s3))
    monkeypatch.setenv("GOLDMINE_ENDPOINTS__AWS", str(endpoints.aws))
    assert main(["report", "--output", str(tmp_path / "r.html")]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "nothing is built yet: run `goldmine demo`" in err
    ensure_buckets(bare)
    with pytest.raises(NothingBuiltError, match="nothing is built yet"):
        collect_report(bare)
    assert not (tmp_path / "r.html").exists()


def test_the_browser_check_catches_console_errors_and_empty_charts(tmp_path: Path):
    from tests.browser import visit

    broken = tmp_path / "broken.html"
    broken.write_text(
        '<!DOCTYPE html><html><body><figure class="chart" data-chart="empty">'
        '<svg width="600" height="200"><g id="mark-empty-0"><rect width="0" height="20"/></g>'
        '</svg></figure><script>console.error("boom")</script></body></html>',
        encoding="utf-8",
    )
    seen = visit(broken, tmp_path / "broken.png")
    assert seen.problems == ["console: boom"]
    assert seen.charts["empty"]["drawn"] == 0


def test_a_plain_report_reads_step_timings_from_the_recorded_runs(
    platform: Platform, lake_built: Any, lakehouse_built: Any, mesh_published: dict[str, Any]
):
    """Without a caller's timings, each build's newest run summary supplies them."""
    from goldmine.report import recorded_timings
    from mesh import PUBLISH_ORDER

    timings, source = recorded_timings(platform)
    assert "run summary" in source
    assert [s.step for s in timings["lake"]] == [s.name for s in lake_built.result.steps.steps]
    assert len(timings["lakehouse"]) > 3
    assert [s.step for s in timings["mesh"]] == sorted(PUBLISH_ORDER)
    assert all(s.seconds >= 0 for steps in timings.values() for s in steps)
