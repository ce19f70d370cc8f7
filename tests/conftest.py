"""Shared fixtures: local services and one Spark session per test run (STYLE.md #8, #9).

Unit tests use none of these. Integration tests get a platform whose local services run
in a temporary data directory and are stopped at the end; no AWS account is needed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from goldmine.settings import Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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


@dataclass
class Measured:
    """What a build's fixture reports to :func:`_measured`: the plans the build ran."""

    plans: list[PlanRun] = field(default_factory=list)
    spark_jobs: int = 0  # every job of the build, set as its count ends

    def step_jobs(self) -> dict[str, int]:
        """Return the Spark jobs of each step of the plans, by step name."""
        jobs: dict[str, int] = {}
        for plan in self.plans:
            for step in plan.steps:
                jobs[step.name] = jobs.get(step.name, 0) + step.spark_jobs
        return jobs


#: Each build of the shared week, measured as its fixture ran (read by the budget test).
BUILD_COSTS: dict[str, BuildCost] = {}


@contextmanager
def _measured(build: str, spark: SparkSession) -> Iterator[Measured]:
    """Count the Spark jobs of one build of the shared week, in total and per step.

    The fixture adds the plans the build ran to what it is given (``Measured.plans``),
    for the Spark jobs of each step. The jobs are counted by job group, so builds that
    run at once on one application are counted apart; the Delta commits are counted by
    :func:`_commits_by_build`.
    """
    from goldmine.plan import count_spark_jobs

    measured = Measured()
    with count_spark_jobs(spark, f"test-week-{build}") as jobs:
        yield measured
    measured.spark_jobs = jobs()


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


def _build_lake(
    platform: Platform, landed_week: list, spark: SparkSession
) -> tuple[LakeBuilt, Measured]:
    """Ingest and build the shared week into the lake (raw -> curated -> analytics)."""
    from lake import build, ingest

    days = sorted(m.ingest_date for m in landed_week)
    with _measured("lake", spark) as measured:
        ingested = ingest(platform, days)
        built = build(platform, spark, date_from=days[0], date_to=days[-1])
        if built.steps is not None:
            measured.plans.append(built.steps)
    return LakeBuilt(ingested, built), measured


def _build_lakehouse(platform: Platform, spark: SparkSession) -> tuple[Any, Measured]:
    """Build the shared week into the lakehouse (bronze -> silver -> gold)."""
    from lakehouse import build_lakehouse

    with _measured("lakehouse", spark) as measured:
        built = build_lakehouse(spark, platform)
        assert built.steps is not None
        measured.plans.append(built.steps)
    return built, measured


def _publish_mesh(platform: Platform, spark: SparkSession) -> tuple[dict[str, Any], Measured]:
    """Publish every data product of the mesh from the shared week, in dependency order."""
    import mesh

    results = {}
    with _measured("mesh", spark) as measured:
        landing = mesh.Landing(platform.aws.s3(), platform.settings)  # as mesh publish does
        for product_id in mesh.PUBLISH_ORDER:
            result = mesh.publish_product(
                platform, spark, product_id, run_id=f"test-{product_id}", landing=landing
            )
            assert result.published, result.check.summary()
            results[product_id] = result
            assert result.steps is not None
            measured.plans.append(result.steps)
    return results, measured


@dataclass(frozen=True)
class WeekBuilt:
    """The three builds of the shared week: what each returned."""

    lake: LakeBuilt
    lakehouse: Any
    mesh: dict[str, Any]


@pytest.fixture(scope="session")
def week_built(platform: Platform, spark: SparkSession, landed_week: list) -> WeekBuilt:
    """Build the shared week three ways at once, as ``goldmine demo`` does (ADR 0033).

    Each build runs on a thread and a Spark session of its own, on the one
    application: the driver's planning and Python are single-threaded per build, so
    the three take a fifth less than one after the other (the budget test alone:
    58-62 s against 72-78 s). What each build cost, counted apart (Spark jobs by job
    group, Delta commits by bucket), goes to :data:`BUILD_COSTS`.
    """
    import functools

    from goldmine.plan import count_delta_commits
    from goldmine.spark import run_in_own_sessions

    s3, buckets = platform.aws.s3(), platform.settings.buckets.all().values()
    before = count_delta_commits(s3, buckets)
    built = run_in_own_sessions(
        spark,
        {
            "lake": functools.partial(_build_lake, platform, landed_week),
            "lakehouse": functools.partial(_build_lakehouse, platform),
            "mesh": functools.partial(_publish_mesh, platform),
        },
    )
    commits = _commits_by_build(platform.settings, count_delta_commits(s3, buckets) - before)
    for name, (_, measured) in built.items():
        BUILD_COSTS[name] = BuildCost(measured.spark_jobs, commits[name], measured.step_jobs())
    return WeekBuilt(built["lake"][0], built["lakehouse"][0], built["mesh"][0])


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
