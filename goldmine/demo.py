"""The ``make run`` demo: one week of sales source built three ways, side by side.

Generate a week into the landing bucket, build the raw S3 lake, the Delta lakehouse
and the data mesh from it (at once, each on a Spark session of its own: ADR 0033),
answer the same standard analyst questions on each build (``docs/analyst-queries/``,
local engine) and report, per build: the time it took, the rows per layer, the records
it quarantined, the bytes it stores and the answers. A second run re-lands the same
bytes; the lake and the lakehouse find nothing new to build, and the mesh skips every
product (unchanged inputs: no new Delta version).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.cost import measure_storage
from goldmine.plan import StatusBoard, count_spark_jobs
from goldmine.query import run_standard_queries
from goldmine.read_delta import delta_rows
from goldmine.report import StepTime
from goldmine.sales import GeneratorConfig, S3Sink, generate_sales
from goldmine.spark import SessionOnDemand, own_session, run_concurrently, session_of

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform
    from goldmine.sales import BatchManifest

BUILDS = ("lake", "lakehouse", "mesh")
#: The questions the demo answers on every build (the mesh publishes their tables).
DEMO_QUESTIONS = ("01-daily-revenue-in-range", "02-top-stores", "11-channel-split")

Say = Callable[[str], None]


@dataclass
class BuildReport:
    """One build of the demo: time, Spark jobs, rows, quarantine, storage, answers.

    ``result`` is what the build's own API returned: the lake's ingest and build, the
    lakehouse's summary, the mesh's publications by product.
    """

    build: str
    seconds: float = 0.0
    steps: tuple[StepTime, ...] = ()
    spark_jobs: int = 0  # every job the build ran (its job group: builds at once apart)
    result: Any = None
    rows: dict[str, int] = field(default_factory=dict)
    quarantined: int | None = None
    storage_bytes: int = 0
    answers: dict[str, pd.DataFrame] = field(default_factory=dict)


@dataclass
class DemoReport:
    """What the demo did: the source landed and one report per build."""

    batches: int
    order_lines: int
    landing_seconds: float
    builds: dict[str, BuildReport]
    at_once: bool = True  # the builds ran at once: each build's seconds overlap the others'
    builds_seconds: float = 0.0  # wall time of the three builds together

    def timings(self) -> dict[str, tuple[StepTime, ...]]:
        """Return the seconds per step of each build (for ``goldmine.report``)."""
        return {build: report.steps for build, report in self.builds.items()}

    def disagreements(self) -> list[str]:
        """Return the questions whose answer differs between builds (empty: they agree)."""
        first, *others = self.builds.values()
        return [
            f"{name}: {first.build} and {other.build} differ"
            for name, answer in first.answers.items()
            for other in others
            if not _same(answer, other.answers.get(name))
        ]


def run_demo(
    platform: Platform,
    spark: SparkSession | SessionOnDemand,
    *,
    days: int = 7,
    scale: float = 0.05,
    seed: int = 11,
    say: Say | None = None,
    log: Say | None = None,
    at_once: bool = True,
) -> DemoReport:
    """Land ``days`` of source, then :func:`build_demo` it: three builds, questions answered.

    Given a :class:`goldmine.spark.SessionOnDemand`, Spark starts once the source has
    landed (the ``goldmine demo`` command: its JIT follows the landing's size, ADR 0038).
    """
    say = say or (lambda _message: None)
    log = log or say
    started = time.monotonic()
    say(f"generating and landing {days} days of source (scale {scale})")
    config = GeneratorConfig(days=days, scale=scale, seed=seed)
    sink = S3Sink(platform.aws.s3(), platform.settings.buckets.landing)
    manifests = generate_sales(sink, config, keep_details=False)
    landed = time.monotonic() - started
    log(f"landed {len(manifests)} batches in {landed:.1f} s")
    return build_demo(
        platform, spark, manifests, landing_seconds=landed, say=say, log=log, at_once=at_once
    )


def build_demo(
    platform: Platform,
    spark: SparkSession | SessionOnDemand,
    manifests: list[BatchManifest],
    *,
    landing_seconds: float = 0.0,
    say: Say | None = None,
    log: Say | None = None,
    at_once: bool = True,
) -> DemoReport:
    """Build the landed batches ``manifests`` three ways and answer the demo questions.

    The three builds run at once (``at_once``), each on a thread and a Spark session
    of its own in the one Spark application (ADR 0033); ``at_once=False`` runs them
    one after the other (each build's time alone). Each build's Spark jobs are counted
    by job group, so builds at once are counted apart. ``say`` receives the status: one
    line per running build, ``log`` each finished stage. The test suite builds its
    shared week with this function: the demo's builds are the ones the tests read.
    """
    say = say or (lambda _message: None)
    log = log or say
    dates = sorted(m.ingest_date for m in manifests)
    session = session_of(spark)

    board = StatusBoard(say)
    builds: dict[str, Callable[[SparkSession, Say], BuildReport]] = {
        "lake": lambda session, tell: _build_lake(platform, session, dates, tell),
        "lakehouse": lambda session, tell: _build_lakehouse(platform, session, tell),
        "mesh": lambda session, tell: _publish_mesh(platform, session, tell),
    }

    def timed(build: str) -> BuildReport:
        began = time.monotonic()
        try:
            with own_session(session) as own, count_spark_jobs(own, f"demo-{build}") as jobs:
                report = builds[build](own, board.teller(build))
                report.spark_jobs = jobs()
        finally:  # a failed build leaves the status too: the others go on
            board.done(build)
        built[build] = time.monotonic()
        report.seconds = built[build] - began
        log(f"{build}: built in {report.seconds:.1f} s ({report.spark_jobs} Spark jobs)")
        # its answers now, on DuckDB, while the other builds still run
        report.answers = run_standard_queries(platform, build, "local", names=DEMO_QUESTIONS)
        return report

    built: dict[str, float] = {}  # when each build ended (its answers come after)
    began = time.monotonic()
    reports = run_concurrently(
        {build: functools.partial(timed, build) for build in builds},
        workers=len(builds) if at_once else 1,
    )
    builds_seconds = max(built.values()) - began
    log(f"{len(builds)} builds {'at once' if at_once else 'one at a time'}: {builds_seconds:.1f} s")
    say("measuring the storage of each build")
    by_architecture: dict[str, int] = {}
    for usage in measure_storage(platform.aws.s3(), platform.settings):
        by_architecture[usage.architecture] = (
            by_architecture.get(usage.architecture, 0) + usage.bytes
        )
    for build, report in reports.items():
        report.storage_bytes = by_architecture.get(build, 0)
    return DemoReport(
        batches=len(manifests),
        order_lines=sum(m.order_lines for m in manifests),
        landing_seconds=landing_seconds,
        builds=reports,
        at_once=at_once,
        builds_seconds=builds_seconds,
    )


def _build_lake(platform: Platform, spark: SparkSession, dates: list[Any], say: Say) -> BuildReport:
    from lake import build, ingest, lake_status

    say("lake: copying the landed batches into the raw zone")
    began = time.monotonic()
    ingested_batches = ingest(platform, dates)
    ingested = StepTime("ingest", time.monotonic() - began)
    say("lake: building the curated and analytics zones")
    result = build(
        platform,
        spark,
        date_from=dates[0],
        date_to=dates[-1],
        progress=lambda step, done, total: say(f"lake: {step} ({done}/{total})"),
    )
    status = lake_status(platform)
    steps = [StepTime(s.name, s.seconds) for s in result.steps.steps] if result.steps else []
    return BuildReport(
        "lake",
        steps=(ingested, *steps),
        rows={zone.zone: sum(zone.rows.values()) for zone in status.zones},
        quarantined=sum(status.quarantine.values()),
        result=(ingested_batches, result),
    )


def _build_lakehouse(platform: Platform, spark: SparkSession, say: Say) -> BuildReport:
    from lakehouse import LAYERS, build_lakehouse, layer_tables

    built = build_lakehouse(spark, platform, progress=lambda message: say(f"lakehouse: {message}"))
    steps = tuple(StepTime(s.name, s.seconds) for s in built.steps.steps) if built.steps else ()
    options = platform.aws.storage_options()
    settings = platform.settings
    rows = {
        layer: sum(delta_rows(t.uri(settings), options) for t in layer_tables(layer))
        for layer in LAYERS
    }
    quarantine = next(t for t in layer_tables("silver") if t.name == "quarantine")
    return BuildReport(
        "lakehouse",
        steps=steps,
        rows=rows,
        quarantined=delta_rows(quarantine.uri(settings), options),
        result=built,
    )


def _publish_mesh(platform: Platform, spark: SparkSession, say: Say) -> BuildReport:
    import mesh

    rows: dict[str, int] = {}
    quarantined = 0
    options = platform.aws.storage_options()
    steps = []
    published = {}
    landing = mesh.Landing(platform.aws.s3(), platform.settings)  # settled once for the run
    for product_id in mesh.PUBLISH_ORDER:
        began = time.monotonic()

        def progress(message: str, product: str = product_id) -> None:
            say(f"mesh {product}: {message}")

        result = mesh.publish_product(
            platform, spark, product_id, progress=progress, landing=landing
        )
        steps.append(StepTime(product_id, time.monotonic() - began))
        if not result.published:
            raise mesh.PublishRefusedError(result.check)
        published[product_id] = result
        domain = product_id.split(".", 1)[0]
        rows[domain] = rows.get(domain, 0) + delta_rows(result.location, options)
        quarantined += result.quarantined_records + result.quarantined_items
    return BuildReport(
        "mesh", steps=tuple(steps), rows=rows, quarantined=quarantined, result=published
    )


def _same(left: pd.DataFrame, right: pd.DataFrame | None) -> bool:
    if right is None or list(left.columns) != list(right.columns) or len(left) != len(right):
        return False
    return bool(
        left.reset_index(drop=True)
        .astype(object)
        .equals(right.reset_index(drop=True).astype(object))
    )
