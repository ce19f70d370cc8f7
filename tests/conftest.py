"""Shared fixtures: local services and one Spark session per test run (STYLE.md #8, #9).

Unit tests use none of these. Integration tests get a platform whose local services run
in a temporary data directory and are stopped at the end; no AWS account is needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from goldmine.settings import Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.demo import DemoReport
    from goldmine.plan import PlanRun
    from goldmine.platform import Platform

REPO = Path(__file__).resolve().parents[1]


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    """Settings for tests: a private data directory, the repo's JAR cache, small Spark.

    No settle period by default: a test lands whole batches before it builds (the rule
    itself is tested on its own, and with a period in test_lake.py).
    """
    overrides.setdefault("settle_seconds", 0.0)
    return load_settings(
        data_dir=data_dir,
        jar_dir=REPO / ".cache" / "jars",
        spark_shuffle_partitions=2,
        spark_driver_memory="2g",
        **overrides,
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the unit tests after every other test of the run (a stable sort).

    One process has one JVM, and a JVM's class path and system properties are fixed
    when it starts: the platform's session (S3A, Delta, the log store's credentials)
    must start it. The unit tests reuse a running session, or start a bare one, which
    a later platform session could not grow into (``pytest tests/unit
    tests/integration`` failed with S3A or its credentials missing). Collected from
    ``tests``, the integration tests come first already.
    """
    unit = REPO / "tests" / "unit"
    items.sort(key=lambda item: item.path.is_relative_to(unit))


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("goldmine-data"))


@pytest.fixture(scope="session")
def platform(settings: Settings) -> Iterator[Platform]:
    from goldmine.local import stop_services
    from goldmine.platform import connect

    yield connect(settings)
    stop_services(settings)


@pytest.fixture(scope="session")
def spark(platform: Platform) -> Iterator[SparkSession]:
    from goldmine.spark import build_session, finish_session

    # Maps the class-data archive `make run` (the demo) dumped, if there is one, and dumps
    # none: on a fresh clone (CI) the dump cost ~18 s at the run's end (ADR 0031, amended).
    session = build_session(platform.aws, master="local[2]", app_name="goldmine-tests")
    yield session
    finish_session(session)


@pytest.fixture(scope="session")
def trino(platform: Platform) -> str:
    """The local Trino server (``--engine trino``), started once per test run.

    Its JVM (2 GB heap) starts in ~15-20 s; ``stop_services`` at the end of the run
    (fixture ``platform``) stops it with the other services. A missing JDK 24+ or Trino
    install fails here with one line saying what to run, never a skip.
    """
    from goldmine.local import ensure_trino

    return ensure_trino(platform.settings, platform.aws.endpoints)


#: The table formats of the synthetic gold the query tests read (``gold_databases``).
FORMATS = ("delta", "parquet")


@pytest.fixture(scope="session")
def gold_databases(platform: Platform) -> dict[str, str]:
    """Small synthetic gold tables, as Delta and as partitioned Parquet, once per run.

    Written under a test prefix of the analytics bucket and registered in Glue databases
    of their own (``query_test_<format>``); returns ``{format: database}``.
    """
    from goldmine.query._synthetic_gold import synthetic_gold_tables, write_synthetic_gold

    tables = synthetic_gold_tables(30_000, days=60, seed=3)
    databases = {}
    for table_format in FORMATS:
        database = platform.settings.database(f"query_test_{table_format}")
        write_synthetic_gold(
            platform,
            tables,
            database=database,
            bucket=platform.settings.buckets.analytics,
            prefix=f"_test_query/{table_format}",
            table_format=table_format,
        )
        databases[table_format] = database
    return databases


#: The week every integration test of the three builds shares: 7 days, small scale.
WEEK_DAYS, WEEK_SCALE, WEEK_SEED = 7, 0.05, 11


@pytest.fixture(scope="session")
def landed_week(platform: Platform) -> list:
    """Generate and land 7 days of source into the landing bucket once per test run.

    Returns the batch manifests (with per-record details: bad records, duplicates).
    """
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales

    config = GeneratorConfig(days=WEEK_DAYS, scale=WEEK_SCALE, seed=WEEK_SEED)
    sink = S3Sink(platform.aws.s3(), platform.settings.buckets.landing)
    return generate_sales(sink, config)


# --- the three builds of the shared week, once per test run ------------------------------


@dataclass(frozen=True)
class LakeBuilt:
    """What building the lake from the shared week did: its ingest and its build."""

    ingested: list
    result: Any


@dataclass(frozen=True)
class BuildCost:
    """What one build of the shared week cost, in counts that do not depend on timing."""

    spark_jobs: int
    delta_commits: dict[str, int]  # table URI -> commits the build made
    #: step -> Spark jobs, from the plans the build ran (summed when plans share a name).
    step_jobs: dict[str, int] = field(default_factory=dict)


#: Each build of the shared week, measured as its fixture ran (read by the budget test).
BUILD_COSTS: dict[str, BuildCost] = {}


def _step_jobs(plans: list[PlanRun | None]) -> dict[str, int]:
    """Return the Spark jobs of each step of ``plans``, by step name (summed over plans)."""
    jobs: dict[str, int] = {}
    for plan in plans:
        assert plan is not None, "a build of the week ran without its plan"
        for step in plan.steps:
            jobs[step.name] = jobs.get(step.name, 0) + step.spark_jobs
    return jobs


def _commits_by_build(settings: Settings, commits: Counter[str]) -> dict[str, dict[str, int]]:
    """Split the Delta commits of the three builds (``{table URI: commits}``) by build.

    Each build writes Delta tables to its own buckets only: the lakehouse to its bucket,
    the mesh to its domains' buckets, the lake (Parquet zones) none. A commit anywhere
    else is the lake's, so a Delta table the lake would write shows in its budget.
    """
    owner = {settings.buckets.lakehouse: "lakehouse"}
    owner.update({bucket: "mesh" for bucket in settings.buckets.mesh.values()})
    split: dict[str, dict[str, int]] = {"lake": {}, "lakehouse": {}, "mesh": {}}
    for uri, n in commits.items():
        split[owner.get(uri.removeprefix("s3://").split("/", 1)[0], "lake")][uri] = n
    return split


@dataclass(frozen=True)
class WeekBuilt:
    """The three builds of the shared week: the demo's report and its status lines."""

    report: DemoReport
    status: list[str]  # each status the demo showed (one line per running build)

    @property
    def lake(self) -> LakeBuilt:
        return LakeBuilt(*self.report.builds["lake"].result)

    @property
    def lakehouse(self) -> Any:
        return self.report.builds["lakehouse"].result

    @property
    def mesh(self) -> dict[str, Any]:
        return dict(self.report.builds["mesh"].result)


@pytest.fixture(scope="session")
def week_built(platform: Platform, spark: SparkSession, landed_week: list) -> WeekBuilt:
    """Build the shared week three ways at once: the demo's builds (``build_demo``).

    Each build runs on a thread and a Spark session of its own, on the one
    application (ADR 0033), as ``make run`` does; the demo test reads this run's
    report, so the suite builds the week once. What each build cost (Spark jobs by
    job group, Delta commits by bucket) goes to :data:`BUILD_COSTS`.
    """
    from goldmine.demo import build_demo
    from goldmine.plan import count_delta_commits

    s3, buckets = platform.aws.s3(), platform.settings.buckets.all().values()
    before = count_delta_commits(s3, buckets)
    status: list[str] = []
    report = build_demo(platform, spark, landed_week, say=status.append)
    commits = _commits_by_build(platform.settings, count_delta_commits(s3, buckets) - before)
    week = WeekBuilt(report, status)
    plans = {
        "lake": [week.lake.result.steps],
        "lakehouse": [week.lakehouse.steps],
        "mesh": [week.mesh[p].steps for p in week.mesh],
    }
    for name, plan_runs in plans.items():
        jobs = report.builds[name].spark_jobs
        BUILD_COSTS[name] = BuildCost(jobs, commits[name], _step_jobs(plan_runs))
    return week


@pytest.fixture(scope="session")
def lake_built(week_built: WeekBuilt) -> LakeBuilt:
    """The shared week built into the lake (raw -> curated -> analytics)."""
    return week_built.lake


@pytest.fixture(scope="session")
def lakehouse_built(week_built: WeekBuilt) -> Any:
    """The shared week built into the lakehouse (bronze -> silver -> gold)."""
    return week_built.lakehouse


@pytest.fixture(scope="session")
def mesh_published(week_built: WeekBuilt) -> dict[str, Any]:
    """Every data product of the mesh published from the shared week, by product id."""
    return week_built.mesh
