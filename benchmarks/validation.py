"""Time the silver transform of 1 M order lines with validation vs without (issue 3).

Generates the sales source (``goldmine.sales``, 10 days; ``--lines`` order lines, the
generator's dirt included) into a temporary directory, reads it line by line
(``read_landed``) and keeps it as bronze (Parquet, by feed). Then, in one process,
variants interleaved, best of ``--repeat`` after one warm-up run of each, it times
the transform silver applies to the orders feed, from the bronze text to Delta
tables (``orders``, ``order_lines``), built from the same functions as
``lakehouse.silver``:

* **without validation**: parse the orders JSON once (persisted on disk, as silver
  does), drop duplicate versions (D1), explode the items, look up products and fx
  rates, price the lines in USD, write both tables. The rule split is replaced by a
  pass-through (every record accepted), and no quarantine, reconciliation or report
  is computed.
* **with validation**: the same, with :func:`goldmine.validation.split` applying
  ``ORDER_RULES`` and ``ITEM_RULES`` (valid records written), plus what every build
  run does: the reconciliation (read = accepted + quarantined + duplicates, per
  batch and feed), the quarantine table written (orders and items, with reasons) and
  the great-expectations report (:func:`goldmine.validation.report_splits`, result
  JSON saved).

Prints both times, the ratio (target <= 1.2x), the CPU seconds (driver JVM, where
``local[2]`` executors run, plus Python), the passes over the order data of each
variant and the load average. A pass over the data is a Spark stage that read all
the order data (from Spark's stage metrics): the bronze orders or their shuffled
copy (at least 90% of the order lines as records), or the persisted parse or another
cached copy as large (Spark counts a cached read in column batches: at least as many
batches as a full read of the persisted parse, measured before the timed runs).

Example: ``.venv/bin/python -m benchmarks.validation --lines 1000000 --repeat 3``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from goldmine.rules import (
    LandedFile,
    check_reconciliation,
    clean_fx_rates,
    clean_orders,
    clean_products,
    count_records,
    parse_orders,
    validate_items,
)
from goldmine.validation import ValidationReport, record_splits, report_splits, split

#: Days of source generated; the scale follows from ``--lines``.
DAYS = 10
#: Order lines per day at scale 1 (``goldmine.sales``).
LINES_PER_SCALE_DAY = 10_000
#: The modules whose ``split`` the "without" variant replaces by a pass-through.
SPLIT_USERS = ("goldmine.rules._clean_orders", "goldmine.rules._validate_items")


@dataclass
class RunResult:
    """What one run of the transform left: its reports (with validation only)."""

    reports: tuple[ValidationReport, ...] = ()
    quarantined: int = 0
    #: Seconds per step, in order.
    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step of the run."""
        start = time.perf_counter()
        yield
        self.steps[name] = time.perf_counter() - start


def transform(spark: Any, bronze: Path, out: Path, *, validate: bool) -> RunResult:
    """The orders part of silver, bronze text -> Delta; ``validate`` adds the checks."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    landed = spark.read.parquet(str(bronze))
    dimensions = landed.filter(F.col("feed") != "orders").cache()
    parsed = parse_orders(landed).persist(StorageLevel.DISK_ONLY)
    products = clean_products(dimensions)
    fx = clean_fx_rates(dimensions)
    result = RunResult()
    with record_splits() as checked:
        orders = clean_orders(landed, parsed=parsed)
        assert orders.items is not None
        lines, item_quarantine = validate_items(orders.items, products.accepted, fx.accepted)
    if validate:
        with result.step("reconcile"):
            check_reconciliation(count_records((products, fx, orders)))
    with result.step("orders"):
        orders.accepted.write.format("delta").mode("overwrite").save(str(out / "orders"))
    with result.step("order_lines"):
        lines.write.format("delta").mode("overwrite").save(str(out / "order_lines"))
    if validate:
        quarantine = item_quarantine
        for feed in (products, fx, orders):
            quarantine = quarantine.unionByName(feed.quarantine)
        quarantine = quarantine.withColumn("line_number", F.col("line_number").cast("long"))
        with result.step("quarantine"):
            quarantine.write.format("delta").mode("overwrite").save(str(out / "quarantine"))
        with result.step("report"):
            result.reports = report_splits(checked, out / "validation")
        result.quarantined = spark.read.format("delta").load(str(out / "quarantine")).count()
    dimensions.unpersist()
    parsed.unpersist()
    return result


@contextmanager
def rules_off() -> Iterator[None]:
    """Replace the rules' ``split`` by a pass-through: every record valid, no reasons."""

    def accept_all(df: Any, rules: Any) -> tuple[Any, Any]:
        _, rejected = split(df, rules)  # the columns the callers select; never computed
        return df, rejected

    with (
        mock.patch(f"{SPLIT_USERS[0]}.split", accept_all),
        mock.patch(f"{SPLIT_USERS[1]}.split", accept_all),
    ):
        yield


def run_without(spark: Any, bronze: Path, out: Path) -> RunResult:
    """The transform alone."""
    with rules_off():
        return transform(spark, bronze, out / "without", validate=False)


def run_with(spark: Any, bronze: Path, out: Path) -> RunResult:
    """The transform with validation, as every build run does it."""
    return transform(spark, bronze, out / "with", validate=True)


def make_bronze(spark: Any, root: Path, lines: int) -> tuple[Path, int]:
    """Generate the source under ``root``, keep it as bronze Parquet; return it, its order lines."""
    import datetime as dt

    from goldmine.rules import read_landed
    from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales

    landing = root / "landing"
    scale = lines / (DAYS * LINES_PER_SCALE_DAY)
    manifests = generate_sales(
        DirectorySink(landing), GeneratorConfig(days=DAYS, scale=scale, seed=7),
        keep_details=False,
    )  # fmt: skip
    files = []
    for manifest in manifests:
        for entry in manifest.files:
            part = next((p for p in entry.key.split("/") if p.startswith("ingest_date=")), None)
            day = dt.date.fromisoformat(part.split("=", 1)[1]) if part else None
            files.append(
                LandedFile(f"file://{landing / entry.key}", entry.feed, manifest.batch_id, day)
            )
    bronze = root / "bronze"
    read_landed(spark, files).write.partitionBy("feed").parquet(str(bronze))
    order_lines = sum(m.order_lines for m in manifests)
    return bronze, order_lines


@dataclass
class Timing:
    """Wall and CPU seconds of every run of one variant, and its passes over the data."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    jobs: int = 0
    passes: int = 0


class Meter:
    """Times a call and counts its Spark jobs and the stages that read the whole input."""

    def __init__(self, spark: Any, order_lines: int, cached_batches: int) -> None:
        self.sc = spark.sparkContext
        self.tracker = self.sc.statusTracker()
        self.store = self.sc._jsc.sc().statusStore()
        self.order_lines = order_lines
        self.cached_batches = cached_batches
        self.jvm_stat = Path(f"/proc/{spark._jvm.java.lang.ProcessHandle.current().pid()}/stat")
        self.calls = 0

    def cpu_seconds(self) -> float:
        """Driver JVM (executors run in it with ``local[2]``) + this process, in seconds."""
        own = time.process_time()
        if not self.jvm_stat.exists():
            return own
        fields = self.jvm_stat.read_text().rsplit(")", 1)[1].split()
        return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, timing: Timing, fn: Callable[..., RunResult], *args: Any) -> RunResult:
        """Run ``fn(*args)`` once and add its figures to ``timing``."""
        self.calls += 1
        group = f"bench-{self.calls}"
        self.sc.setJobGroup(group, group)
        cpu, start = self.cpu_seconds(), time.perf_counter()
        result = fn(*args)
        timing.wall.append(time.perf_counter() - start)
        timing.cpu.append(self.cpu_seconds() - cpu)
        jobs = self.tracker.getJobIdsForGroup(group)
        stages = {s for j in jobs if (info := self.tracker.getJobInfo(j)) for s in info.stageIds}
        timing.jobs, timing.passes = len(jobs), sum(map(self._is_pass, stages))
        return result

    def stage_reads(self, stage: int) -> tuple[int, int]:
        """Return a stage's input records (cached: column batches) and shuffle records read."""
        try:
            attempt = self.store.lastStageAttempt(stage)
        except Exception:  # a stage never submitted has no data
            return 0, 0
        return int(attempt.inputRecords()), int(attempt.shuffleReadRecords())

    def _is_pass(self, stage: int) -> bool:
        """Whether ``stage`` read all the order data (skipped stages read nothing)."""
        read, shuffled = self.stage_reads(stage)
        return read >= self.cached_batches or shuffled >= 0.9 * self.order_lines


def cached_batches(spark: Any, bronze: Path) -> int:
    """Return the column batches a full read of the persisted parse counts as input."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    parsed = parse_orders(spark.read.parquet(str(bronze))).persist(StorageLevel.DISK_ONLY)
    parsed.count()
    sc = spark.sparkContext
    sc.setJobGroup("calibrate", "calibrate")
    parsed.agg(F.count(F.lit(1))).collect()
    tracker, store = sc.statusTracker(), sc._jsc.sc().statusStore()
    stages = [
        s for j in tracker.getJobIdsForGroup("calibrate") for s in tracker.getJobInfo(j).stageIds
    ]
    parsed.unpersist()
    return max(int(store.lastStageAttempt(s).inputRecords()) for s in stages)


def main() -> None:
    """Build the input, time the variants, print the ratio."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000, help="order lines to generate")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each variant")
    args = parser.parse_args()

    from goldmine.aws import AwsClients
    from goldmine.settings import Endpoints, load_settings
    from goldmine.spark import build_session

    with tempfile.TemporaryDirectory(prefix="goldmine-bench-") as tmp:
        root = Path(tmp)
        repo = Path(__file__).resolve().parents[1]
        settings = load_settings(data_dir=root, jar_dir=repo / ".cache" / "jars")
        # Local files only: no storage service is touched, none started.
        aws = AwsClients(settings, Endpoints(s3="http://127.0.0.1:9"))
        spark = build_session(aws, master="local[2]", app_name="bench-validation")
        spark.sparkContext.setLogLevel("ERROR")
        started = time.perf_counter()
        bronze, order_lines = make_bronze(spark, root, args.lines)
        print(f"source: {order_lines:,} order lines, 10 days, generated and read into "
              f"bronze in {time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        out = root / "out"
        variants: dict[str, Callable[..., RunResult]] = {
            "without": run_without,
            "with": run_with,
        }
        batches = cached_batches(spark, bronze)
        meter = Meter(spark, order_lines, batches)
        timings = {name: Timing() for name in variants}
        load_before = os.getloadavg()
        last: dict[str, RunResult] = {}
        for round_ in range(args.repeat + 1):  # round 0: warm-up (JIT, code generation)
            for name, fn in variants.items():
                timing = timings[name] if round_ else Timing()
                last[name] = meter.run(timing, fn, spark, bronze, out)
                steps = ", ".join(f"{k} {v:.1f}" for k, v in last[name].steps.items())
                print(f"round {round_}{' (warm-up)' if not round_ else ''}: {name} "
                      f"{timing.wall[-1]:.1f} s ({steps})", flush=True)  # fmt: skip
        load_after = os.getloadavg()
        for report in last["with"].reports:
            print(f"report: {report.summary()}")
        print(f"quarantined rows: {last['with'].quarantined:,}")
        base = timings["without"]
        labels = {"without": "without validation", "with": "with validation"}
        print(f"best of {args.repeat}, local[2], driver memory {settings.spark_driver_memory}; "
              f"a full read of the persisted parse: {batches} column batches")  # fmt: skip
        for name, t in timings.items():
            print(
                f"{labels[name]:20s} {min(t.wall):7.1f} s ({min(t.wall) / min(base.wall):.2f}x)"
                f"  cpu {min(t.cpu):7.1f} s ({min(t.cpu) / min(base.cpu):.2f}x)"
                f"  jobs {t.jobs}, passes over the data {t.passes}"
            )
        ratio = min(timings["with"].wall) / min(base.wall)
        extra = timings["with"].passes - base.passes
        print(f"ratio: {ratio:.2f}x (target <= 1.2x); extra passes: {extra} (target <= 2)")
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*load_before))
        print("load average after:  {:.2f} {:.2f} {:.2f}".format(*load_after))
        spark.stop()


if __name__ == "__main__":
    main()
