"""The three builds of the shared week agree: gold row for row, and every analyst answer.

The lake (Parquet analytics zone), the lakehouse (Delta gold) and the mesh (the
finance products ``revenue``, ``customer_lifetime`` and ``product_monthly`` and the
catalog products) are built once per test run (session fixtures in ``conftest.py``).
Gold tables are read through the query path (``goldmine.query.run_query``, local
engine), so the comparison sees what analysts see: on the mesh each gold name resolves
to its finance product (``MESH_PRODUCTS``). Each standard analyst question
(``docs/analyst-queries/``) is answered on each build with the local (DuckDB) and Trino
engines (Trino, Athena's own engine, reads the same Glue catalog and S3 store: the
referee of the local engine's translation), and on the mesh with Spark too: the answers
are identical across engines and across the three builds. The Spark engine over Delta
and over partitioned Parquet tables of the lake's kind is compared with the local one
in ``test_query.py`` (30,000 synthetic lines, both formats); only the mesh's resolution
of gold names to products is new to it here, so the lake and the lakehouse are not
asked on Spark again (39 -> 13 Spark queries, issue 18's test time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from goldmine.query import load_standard_queries, run_query, run_standard_queries
from goldmine.query._resolve_tables import MESH_PRODUCTS
from tests.answers import normalized
from tests.oracle import (
    CUSTOMER_LIFETIME_COLUMNS,
    DAILY_SALES_COLUMNS,
    PRODUCT_MONTHLY_COLUMNS,
)

if TYPE_CHECKING:
    import pandas as pd

    from goldmine.platform import Platform
    from goldmine.query import QueryResult

pytestmark = [pytest.mark.integration, pytest.mark.spark]

GOLD = {
    "daily_sales": DAILY_SALES_COLUMNS,
    "customer_lifetime": CUSTOMER_LIFETIME_COLUMNS,
    "product_monthly": PRODUCT_MONTHLY_COLUMNS,
}
BUILDS = ("lake", "lakehouse", "mesh")
#: The engines that answer the standard questions on each build (see the docstring).
ENGINES = {
    "lake": ("local", "trino"),
    "lakehouse": ("local", "trino"),
    "mesh": ("local", "spark", "trino"),
}


@pytest.fixture(scope="module")
def built(lake_built: Any, lakehouse_built: Any, mesh_published: dict[str, Any]) -> None:
    """All three builds of the week exist."""


def _gold_result(platform: Platform, build: str, table: str) -> QueryResult:
    columns = GOLD[table]
    sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns)}"
    return run_query(platform, sql, build, "local")


def _gold(platform: Platform, build: str, table: str) -> pd.DataFrame:
    return _gold_result(platform, build, table).frame


@pytest.mark.parametrize("table", sorted(GOLD))
def test_lake_and_lakehouse_gold_are_equal_row_for_row(
    platform: Platform, built: None, table: str
) -> None:
    lake, lakehouse = _gold(platform, "lake", table), _gold(platform, "lakehouse", table)
    assert len(lakehouse) > 0
    assert normalized(lake) == normalized(lakehouse)


@pytest.mark.parametrize("table", sorted(GOLD))
def test_mesh_products_equal_lakehouse_gold_to_the_cent(
    platform: Platform, built: None, table: str
) -> None:
    """finance.revenue, .customer_lifetime and .product_monthly are the gold tables."""
    on_mesh = _gold_result(platform, "mesh", table)
    domain, _, product = MESH_PRODUCTS[table].partition(".")
    assert [t.qualified_name for t in on_mesh.plan.tables] == [
        f"{platform.settings.database(f'mesh_{domain}')}.{product}"
    ]
    lakehouse = _gold(platform, "lakehouse", table)
    assert len(on_mesh.frame) > 0
    assert normalized(on_mesh.frame) == normalized(lakehouse)


@pytest.fixture(scope="module")
def answers(platform: Platform, spark: Any, built: None, trino: str) -> dict[tuple[str, str], dict]:
    """``{(build, engine): {question: answer}}`` over the three builds and their engines.

    Two lanes at once: the Spark engine's questions in this process's JVM, the local
    and Trino engines' (DuckDB here, the Trino server's JVM) beside them.
    """
    from goldmine.spark import run_concurrently

    asked = [(build, engine) for build in BUILDS for engine in ENGINES[build]]

    def lane(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
        return {p: run_standard_queries(platform, *p, spark=spark) for p in pairs}

    lanes = run_concurrently(
        {
            "spark": lambda: lane([p for p in asked if p[1] == "spark"]),
            "others": lambda: lane([p for p in asked if p[1] != "spark"]),
        }
    )
    return {**lanes["spark"], **lanes["others"]}


@pytest.mark.parametrize("engine", ["spark", "trino"])
def test_standard_answers_are_equal_on_local_and_each_engine_asked_of_a_build(
    answers: dict[tuple[str, str], dict], engine: str
) -> None:
    asked = [build for build in BUILDS if engine in ENGINES[build]]
    assert asked, engine
    for build in asked:
        local, other = answers[(build, "local")], answers[(build, engine)]
        assert set(local) == set(other)
        for name, frame in local.items():
            assert list(frame.columns) == list(other[name].columns), (build, name)
            assert normalized(frame) == normalized(other[name]), (build, name)


def test_standard_answers_are_equal_across_the_three_builds(
    answers: dict[tuple[str, str], dict],
) -> None:
    lake, lakehouse, on_mesh = (answers[(b, "local")] for b in BUILDS)
    questions = {q.name for q in load_standard_queries()}
    assert len(questions) >= 13
    assert set(lake) == set(lakehouse) == set(on_mesh) == questions
    for name, frame in lakehouse.items():
        assert len(frame) > 0, f"{name} returned no rows on the week"
        assert normalized(lake[name]) == normalized(frame), name
        assert normalized(on_mesh[name]) == normalized(frame), name


def test_demo_reports_the_three_builds_side_by_side(platform: Platform, week_built: Any) -> None:
    """``make run``'s report: the session's week is built by the demo's own
    ``build_demo`` (fixture ``week_built``), so its report is the one checked here."""
    import mesh
    from goldmine.demo import DEMO_QUESTIONS
    from tests.conftest import BUILD_COSTS

    report = week_built.report
    assert report.batches == 7 and report.disagreements() == []
    lake, lakehouse, on_mesh = (report.builds[b] for b in BUILDS)
    assert set(lake.rows) == {"raw", "curated", "analytics"}
    assert set(lakehouse.rows) == {"bronze", "silver", "gold"}
    assert set(on_mesh.rows) == {"sales", "customer", "catalog", "finance"}
    assert lake.rows["analytics"] == lakehouse.rows["gold"] > 0
    assert lake.quarantined == lakehouse.quarantined == on_mesh.quarantined > 0
    for build in (lake, lakehouse, on_mesh):
        assert build.storage_bytes > 0 and set(build.answers) == set(DEMO_QUESTIONS)
        assert all(len(answer) > 0 for answer in build.answers.values())
        # the demo counts each build's Spark jobs apart, though the three run at once:
        # its count (the build's job group) is the sum of its steps' (the plan runner's)
        steps = BUILD_COSTS[build.build].step_jobs
        assert build.spark_jobs == sum(steps.values()) > 0, (build.build, steps)
    lines = [s.splitlines() for s in week_built.status]  # one line per running build
    assert any(line.startswith("mesh sales.orders") for status in lines for line in status)
    assert any(len(status) == 3 for status in lines), "the three builds never ran at once"
    # the demo times every build's steps, and its comparison report charts them
    from goldmine.report import collect_report
    from lakehouse._build import LAKEHOUSE_PLAN, PENDING_PLAN

    timings = report.timings()
    assert timings["lake"][0].step == "ingest" and len(timings["lake"]) > 5
    lakehouse_steps = [*PENDING_PLAN.step_names, *LAKEHOUSE_PLAN.step_names]
    assert [s.step for s in timings["lakehouse"]] == lakehouse_steps
    assert [s.step for s in timings["mesh"]] == list(mesh.PUBLISH_ORDER)
    assert all(s.seconds > 0 for steps in timings.values() for s in steps)
    data = collect_report(platform, timings=timings, timings_source="the demo")
    assert all(data.build(b).steps == timings[b] for b in BUILDS)
