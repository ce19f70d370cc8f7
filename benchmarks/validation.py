"""Time the lakehouse silver build of 1 M order lines with validation vs without (issue 3).

Starts the local services in a temporary data directory, generates the sales source
(``goldmine.sales``, 10 days, ``--lines`` order lines, the generator's dirt
included), appends it to bronze (``build_lakehouse(layers=("bronze",))``), then, in
one process, variants interleaved, best of ``--repeat`` after one warm-up round,
times :func:`lakehouse.silver.build_silver` of every batch into an empty silver:

* **with validation**: the build as every run does it: the rules' split (valid
  records MERGEd), the reconciliation (read = accepted + quarantined + duplicates,
  per batch and feed), the quarantine table and the great-expectations report.
* **without validation**: the same build with the split of the order and item rules
  replaced by a pass-through (every record and item accepted) and no
  reconciliation, quarantine table or report, and no copy of the priced items (kept
  for the rejects and the order lines: it has one reader left). The small CSV feeds
  keep their cleaning (it is their parsing; a few thousand lines).

Prints both times, the ratio (target <= 1.2x), the CPU seconds (driver JVM, where
``local[2]`` executors run, plus Python), each variant's step times, the passes over
the order data and the load average. The order data reach silver once: bronze is
read and parsed into the parsed orders silver keeps on disk, which every later step
reads. A pass over the data is one read of that persisted parse, taken from Spark's
SQL metrics: a scan of the cache (``InMemoryTableScan``) whose cached plan is a
repartition (``Exchange``; the parse is the only frame silver caches that way) and
that output at least 90% of the order lines. Its first read (the one that builds it)
counts too. Reads of smaller copies (the accepted orders, cached without their JSON;
the priced items silver keeps; the persisted rejects) are not passes.

Example: ``.venv/bin/python -m benchmarks.validation --lines 1000000 --repeat 2``
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

#: Days of source generated; the scale follows from ``--lines``.
DAYS = 10
#: Order lines per day at scale 1 (``goldmine.sales``).
LINES_PER_SCALE_DAY = 10_000
SILVER = "lakehouse.silver._build_silver"


@contextmanager
def validation_off(settings: Any) -> Iterator[None]:
    """Run silver without validation: rules accept everything, no checks or quarantine."""
    from pyspark.sql import functions as F

    from goldmine.validation import FAILED_RULES, REASON
    from lakehouse._tables import table
    from lakehouse.silver import _build_silver as silver

    def accept_all(df: Any, _rules: Any) -> tuple[Any, Any]:
        none = df.limit(0).withColumn(FAILED_RULES, F.array().cast("array<string>"))
        return df, none.withColumn(REASON, F.lit(None).cast("string"))

    quarantine = table("silver.quarantine").uri(settings)
    append = silver.append_new_batches

    def append_but_quarantine(spark: Any, uri: str, *args: Any, **kwargs: Any) -> Any:
        return None if uri == quarantine else append(spark, uri, *args, **kwargs)

    with (
        mock.patch("goldmine.rules._clean_orders.split", accept_all),
        mock.patch("goldmine.rules._validate_items.split", accept_all),
        mock.patch(f"{SILVER}.reconcile_all", lambda _results: []),
        mock.patch(f"{SILVER}.report_splits", lambda _checked, _location: ()),
        mock.patch(f"{SILVER}.append_new_batches", append_but_quarantine),
        # One reader (the order lines): a build without validation would not keep a copy.
        mock.patch(f"{SILVER}.persist_priced_items", lambda items: items),
        mock.patch(f"{SILVER}.SILVER_PLAN", _without_priced_copy(silver.SILVER_PLAN)),
    ):
        yield


def _without_priced_copy(plan: Any) -> Any:
    """Return silver's plan with its priced items not kept (``price_items`` not persisted)."""
    import dataclasses

    from goldmine.plan import Plan

    steps = tuple(
        dataclasses.replace(s, persist=False) if s.name == "price_items" else s for s in plan.steps
    )
    return Plan(plan.name, steps)


@dataclass
class Run:
    """One silver build: seconds per step (its progress messages), in order."""

    steps: dict[str, float] = field(default_factory=dict)
    quarantined: int = 0
    reports: tuple[Any, ...] = ()


def build(spark: Any, platform: Any, batches: list[str], *, validate: bool) -> Run:
    """Empty silver, then build it from bronze for ``batches``; return its step times."""
    from lakehouse.silver import build_silver

    settings = platform.settings
    emptied = time.perf_counter()
    # The local S3 store (S3Proxy, filesystem) deletes about 30 objects a second; its
    # files are removed directly, and whatever is left is deleted through S3.
    shutil.rmtree(settings.data_dir / "s3" / settings.buckets.lakehouse / "silver", True)
    s3 = platform.aws.s3()
    pages = s3.get_paginator("list_objects_v2")
    for page in pages.paginate(Bucket=settings.buckets.lakehouse, Prefix="silver/"):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(
                Bucket=settings.buckets.lakehouse, Delete={"Objects": keys[start : start + 1000]}
            )
    spark._jvm.org.apache.spark.sql.delta.DeltaLog.clearCache()  # the tables are gone
    run = Run()
    marks: list[tuple[str, float]] = [("empty silver", emptied), ("read", time.perf_counter())]

    def mark(message: str) -> None:
        if not message.startswith("silver validation:"):
            step = message.removeprefix("silver: ").removeprefix("silver.")
            marks.append((step, time.perf_counter()))
            spark.sparkContext.setJobDescription(step)  # passes are counted per step

    spark.sparkContext.setJobDescription("read")

    if validate:
        counts = build_silver(spark, settings, batches, progress=mark)
    else:
        with validation_off(settings):
            counts = build_silver(spark, settings, batches, progress=mark)
    marks.append(("", time.perf_counter()))
    for (name, start), (_, end) in itertools.pairwise(marks):
        name = name or "end"
        run.steps[name] = run.steps.get(name, 0.0) + end - start
    run.quarantined, run.reports = counts.quarantined, counts.validation
    return run


@dataclass
class Timing:
    """Wall and CPU seconds of every run of one variant, and its passes over the data."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    jobs: int = 0
    passes: int = 0
    #: Passes of the last run per step (the job description ``build`` sets).
    passes_by_step: dict[str, int] = field(default_factory=dict)


#: Nodes of the SQL plan graph (DOT) and the edges (child -> parent).
DOT_NODE = re.compile(r'^\s*(\d+) \[labelType="html" label="(?:<br>)?<b>([^<]+)</b>(.*)"\];$', re.M)
DOT_EDGE = re.compile(r"^\s*(\d+)->(\d+);$", re.M)
OUTPUT_ROWS = re.compile(r"number of output rows: ([\d,]+)")
#: Plan nodes that only wrap the cached plan's top operator.
WRAPPERS = {"AdaptiveSparkPlan", "AQEShuffleRead", "ShuffleQueryStage", "TableCacheQueryStage"}


def parse_reads(dot: str, order_lines: int) -> int:
    """Count the reads of the persisted parse in one SQL execution's plan graph (DOT text)."""
    names = {int(i): name.strip() for i, name, _ in DOT_NODE.findall(dot)}
    rows = {
        int(i): int(m.group(1).replace(",", ""))
        for i, _, label in DOT_NODE.findall(dot)
        if (m := OUTPUT_ROWS.search(label))
    }
    children: dict[int, list[int]] = {}
    for child, parent in DOT_EDGE.findall(dot):
        children.setdefault(int(parent), []).append(int(child))

    def top(node: int) -> str:  # the cached plan's top operator, wrappers skipped
        while names.get(node) in WRAPPERS and children.get(node):
            node = children[node][0]
        return names.get(node, "")

    return sum(
        1
        for node, name in names.items()
        if name == "InMemoryTableScan"
        and rows.get(node, 0) >= 0.9 * order_lines
        and any(top(c) == "Exchange" for c in children.get(node, []))
    )


class Meter:
    """Times a call and counts its Spark jobs and its reads of the order data."""

    def __init__(self, spark: Any, order_lines: int) -> None:
        self.sc = spark.sparkContext
        self.tracker = self.sc.statusTracker()
        self.sql = spark._jsparkSession.sharedState().statusStore()
        self.order_lines = order_lines
        self.jvm_stat = Path(f"/proc/{spark._jvm.java.lang.ProcessHandle.current().pid()}/stat")
        self.calls = 0

    def cpu_seconds(self) -> float:
        """Driver JVM (executors run in it with ``local[2]``) + this process, in seconds."""
        own = time.process_time()
        if not self.jvm_stat.exists():
            return own
        fields = self.jvm_stat.read_text().rsplit(")", 1)[1].split()
        return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, timing: Timing, fn: Callable[[], Run]) -> Run:
        """Run ``fn()`` once and add its figures to ``timing``."""
        self.calls += 1
        group = f"bench-{self.calls}"
        self.sc.setJobGroup(group, group)
        executions = self.sql.executionsList()
        ids = [executions.apply(i).executionId() for i in range(executions.size())]
        first = max(ids, default=-1) + 1
        cpu, start = self.cpu_seconds(), time.perf_counter()
        run = fn()
        timing.wall.append(time.perf_counter() - start)
        timing.cpu.append(self.cpu_seconds() - cpu)
        timing.runs.append(run)
        timing.jobs = len(self.tracker.getJobIdsForGroup(group))
        self.sc._jsc.sc().listenerBus().waitUntilEmpty()  # the SQL metrics are all in
        timing.passes, timing.passes_by_step = 0, {}
        executions = self.sql.executionsList()
        for i in range(executions.size()):
            execution = executions.apply(i)
            if execution.executionId() < first:
                continue
            graph = self.sql.planGraph(execution.executionId())
            dot = graph.makeDotFile(self.sql.executionMetrics(execution.executionId()))
            reads = parse_reads(str(dot), self.order_lines)
            if reads:
                step = str(execution.description())  # the job description ``build`` sets
                timing.passes += reads
                timing.passes_by_step[step] = timing.passes_by_step.get(step, 0) + reads
        if not timing.passes:
            raise RuntimeError("no read of the persisted parse found: the metric is broken")
        return run


def main() -> None:
    """Set up bronze, time the variants, print the ratio."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to generate")
    parser.add_argument("--repeat", type=int, default=2, help="timed rounds after the warm-up")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    from goldmine.local import stop_services
    from goldmine.platform import connect
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales
    from goldmine.settings import load_settings
    from goldmine.spark import build_session
    from lakehouse import build_lakehouse

    repo = Path(__file__).resolve().parents[1]
    data_dir = Path(tempfile.mkdtemp(prefix="goldmine-bench-validation-"))
    settings = load_settings(data_dir=data_dir, jar_dir=repo / ".cache" / "jars")
    platform = connect(settings)
    try:
        started = time.perf_counter()
        manifests = generate_sales(
            S3Sink(platform.aws.s3(), settings.buckets.landing),
            GeneratorConfig(days=DAYS, scale=args.lines / (DAYS * LINES_PER_SCALE_DAY), seed=7),
            keep_details=False,
        )
        order_lines = sum(m.order_lines for m in manifests)
        batches = sorted(m.batch_id for m in manifests)
        spark = build_session(platform.aws, master="local[2]", app_name="bench-validation")
        spark.sparkContext.setLogLevel("ERROR")
        build_lakehouse(spark, platform, layers=("bronze",))
        took = time.perf_counter() - started
        print(f"source: {order_lines:,} order lines in {len(batches)} batches, generated and "
              f"appended to bronze in {took:.0f} s", flush=True)  # fmt: skip
        meter = Meter(spark, order_lines)
        variants = {"without": False, "with": True}
        timings = {name: Timing() for name in variants}
        load_before = os.getloadavg()
        for round_ in range(args.repeat + 1):  # round 0: warm-up (JIT, code generation)
            for name, validate in variants.items():
                timing = timings[name] if round_ else Timing()
                run = meter.run(
                    timing, lambda v=validate: build(spark, platform, batches, validate=v)
                )
                steps = ", ".join(f"{k} {v:.1f}" for k, v in run.steps.items())
                label = f"round {round_}{' (warm-up)' if not round_ else ''}: {name}"
                print(f"{label} {timing.wall[-1]:.1f} s ({steps})", flush=True)
        load_after = os.getloadavg()
        last = timings["with"].runs[-1]
        for report in last.reports:
            print(f"report: {report.summary()} (great-expectations read {report.validated:,})")
        print(f"quarantined records: {last.quarantined:,}")
        base = timings["without"]
        labels = {"without": "without validation", "with": "with validation"}
        print(f"best of {args.repeat}, local[2], driver memory {settings.spark_driver_memory}")
        for name, t in timings.items():
            print(
                f"{labels[name]:20s} {min(t.wall):7.1f} s ({min(t.wall) / min(base.wall):.2f}x)"
                f"  cpu {min(t.cpu):7.1f} s ({min(t.cpu) / min(base.cpu):.2f}x)"
                f"  jobs {t.jobs}, reads of the parsed orders {t.passes}"
            )
            print(f"  reads by step: {t.passes_by_step}")
        ratio = min(timings["with"].wall) / min(base.wall)
        extra = timings["with"].passes - base.passes
        print(f"ratio: {ratio:.2f}x (target <= 1.2x); extra passes: {extra} (target <= 2)")
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*load_before))
        print("load average after:  {:.2f} {:.2f} {:.2f}".format(*load_after))
        spark.stop()
    finally:
        stop_services(settings)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
