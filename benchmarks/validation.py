"""Time the item transform with validation vs without (issue 3).

Builds 1,000,000 synthetic order lines in-process (``spark.range``, cached; about 4%
of them break an item rule or lack a product or fx rate), then times, writing to
Spark's ``noop`` sink, in one process, variants interleaved, best of ``--repeat``
after one warm-up run of each:

* without: items -> product/fx joins -> exact USD amounts -> valid lines written;
* split: the same valid lines, written the same way, after
  :func:`goldmine.validation.split` by ``ITEM_RULES``, plus the quarantine written
  (one extra pass over the input);
* with validation (every build run): split as above plus the great-expectations
  report the builds write on every run (:func:`goldmine.validation.report_splits`
  on what the split judged; result JSON saved to a temporary directory).

With ``--alternatives``, also the split on a joined input persisted
(``MEMORY_AND_DISK``) before both writes: one pass over the input, plus building and
reading the cache.

Prints both times, the ratio (target <= 1.2x), the Spark jobs and the scans of the
input (stages with one task per input partition) of each variant, the CPU seconds
(driver JVM + Python; less sensitive to other users of the machine than wall time)
and the load average before and after.

Example: ``.venv/bin/python -m benchmarks.validation --lines 1000000 --repeat 5``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldmine.validation import ITEM_RULES, record_splits, report_splits, split

#: Partitions of the input; the small product/fx sides have 1, the shuffles 2, so a
#: stage that ran this many tasks is a scan of the input (or of a cached copy of it).
INPUT_PARTITIONS = 4


def build_items(spark: Any, lines: int) -> Any:
    """Return ``lines`` synthetic items with the columns ``validate_items`` joins on."""
    from pyspark.sql import functions as F

    i = F.col("id")
    return spark.range(lines, numPartitions=INPUT_PARTITIONS).select(
        F.floor(i / 3).cast("string").alias("order_id"),
        (i % 3 + 1).cast("int").alias("line_no"),
        F.concat(F.lit("P"), F.lpad((i % 500).cast("string"), 6, "0")).alias("product_id"),
        F.when(i % 311 == 0, F.lit(0)).otherwise(i % 5 + 1).cast("int").alias("quantity"),
        F.when(i % 313 == 0, F.lit(-1.0)).otherwise((i % 9000) / 100 + 1)
        .cast("decimal(10,2)").alias("unit_price"),
        F.when(i % 317 == 0, F.lit(1.5)).otherwise((i % 5) * 0.05)
        .cast("decimal(5,2)").alias("discount"),
        F.date_add(F.lit("2025-01-01").cast("date"), (i % 28).cast("int")).alias("order_date"),
        F.element_at(F.array(F.lit("USD"), F.lit("EUR"), F.lit("GBP")), (i % 3 + 1).cast("int"))
        .alias("currency"),
    )  # fmt: skip


def joined(spark: Any, items: Any) -> Any:
    """Items with ``_product_known`` and ``usd_per_unit`` (as ``validate_items`` joins)."""
    from pyspark.sql import functions as F

    products = spark.range(490, numPartitions=1).select(
        F.concat(F.lit("P"), F.lpad(F.col("id").cast("string"), 6, "0")).alias("product_id"),
        F.lit(True).alias("_product_known"),
    )
    fx = (
        spark.range(28 * 2, numPartitions=1)
        .select(
            F.date_add(F.lit("2025-01-01").cast("date"), (F.col("id") % 28).cast("int")).alias(
                "order_date"
            ),
            F.when(F.col("id") < 28, "EUR").otherwise("GBP").alias("currency"),
            F.lit("1.085123").cast("decimal(12,6)").alias("_fx_rate"),
        )
        .filter(~((F.col("currency") == "GBP") & (F.col("order_date") == F.lit("2025-01-03"))))
    )
    out = items.join(F.broadcast(products), "product_id", "left").join(
        F.broadcast(fx), ["currency", "order_date"], "left"
    )
    return out.withColumn(
        "usd_per_unit",
        F.when(F.col("currency") == "USD", F.lit(1).cast("decimal(12,6)")).otherwise(
            F.col("_fx_rate")
        ),
    )


def with_amount(df: Any) -> Any:
    """Add the exact USD line amount."""
    from pyspark.sql import functions as F

    return df.withColumn(
        "amount_usd",
        F.col("quantity").cast("decimal(10,0)")
        * F.col("unit_price")
        * (F.lit(1) - F.col("discount")).cast("decimal(3,2)")
        * F.col("usd_per_unit"),
    )


def run_without(spark: Any, items: Any, _out: Path) -> None:
    """The transform alone: valid lines written."""
    with_amount(joined(spark, items)).write.format("noop").mode("overwrite").save()


def run_split(spark: Any, items: Any, _out: Path) -> None:
    """The transform with the split: valid lines and quarantine both written."""
    valid, quarantined = split(joined(spark, items), ITEM_RULES)
    with_amount(valid).write.format("noop").mode("overwrite").save()
    quarantined.write.format("noop").mode("overwrite").save()


def run_with(spark: Any, items: Any, out: Path) -> None:
    """What a build does on every run: the split, both outputs, the great-expectations report."""
    with record_splits() as checked:
        valid, quarantined = split(joined(spark, items), ITEM_RULES)
    with_amount(valid).write.format("noop").mode("overwrite").save()
    quarantined.write.format("noop").mode("overwrite").save()
    report_splits(checked, out)


def run_split_persisted(spark: Any, items: Any, _out: Path) -> None:
    """Alternative (``--alternatives``): the joined input persisted before both writes."""
    from pyspark import StorageLevel

    flagged = joined(spark, items).persist(StorageLevel.MEMORY_AND_DISK)
    valid, quarantined = split(flagged, ITEM_RULES)
    with_amount(valid).write.format("noop").mode("overwrite").save()
    quarantined.write.format("noop").mode("overwrite").save()
    flagged.unpersist()


@dataclass
class Timing:
    """Wall and CPU seconds of every run of one variant, and its Spark work."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    jobs: int = 0
    input_scans: int = 0


class Meter:
    """Times a call and counts the Spark jobs and input scans it ran."""

    def __init__(self, spark: Any) -> None:
        self.sc = spark.sparkContext
        self.tracker = self.sc.statusTracker()
        self.jvm_stat = Path(f"/proc/{spark._jvm.java.lang.ProcessHandle.current().pid()}/stat")
        self.calls = 0

    def cpu_seconds(self) -> float:
        """Driver JVM (executors run in it with ``local[2]``) + this process, in seconds."""
        own = time.process_time()
        if not self.jvm_stat.exists():
            return own
        fields = self.jvm_stat.read_text().rsplit(")", 1)[1].split()
        return own + (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def run(self, timing: Timing, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn(*args)`` once and add its figures to ``timing``."""
        self.calls += 1
        group = f"bench-{self.calls}"
        self.sc.setJobGroup(group, group)
        cpu, start = self.cpu_seconds(), time.perf_counter()
        fn(*args)
        timing.wall.append(time.perf_counter() - start)
        timing.cpu.append(self.cpu_seconds() - cpu)
        jobs = self.tracker.getJobIdsForGroup(group)
        stages = [s for j in jobs if (info := self.tracker.getJobInfo(j)) for s in info.stageIds]
        scans = 0
        for stage in stages:
            info = self.tracker.getStageInfo(stage)
            # Skipped stages (reused shuffle output) complete no task.
            if info is not None and info.numTasks == INPUT_PARTITIONS and info.numCompletedTasks:
                scans += 1
        timing.jobs, timing.input_scans = len(jobs), scans


def main() -> None:
    """Build the input, time the variants, print the ratios."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--alternatives", action="store_true", help="also time the split on a persisted input"
    )
    args = parser.parse_args()

    from goldmine.aws import AwsClients
    from goldmine.settings import Endpoints, load_settings
    from goldmine.spark import build_session

    with tempfile.TemporaryDirectory(prefix="goldmine-bench-") as tmp:
        repo = Path(__file__).resolve().parents[1]
        settings = load_settings(
            data_dir=Path(tmp), jar_dir=repo / ".cache" / "jars", spark_shuffle_partitions=2
        )
        # In-memory input and a noop sink: no storage is touched, no local service started.
        aws = AwsClients(settings, Endpoints(s3="http://127.0.0.1:9"))
        spark = build_session(aws, master="local[2]", app_name="bench-validation")
        spark.sparkContext.setLogLevel("ERROR")
        # Input materialised once (silver-sized, in memory), so every variant reads the same.
        items = build_items(spark, args.lines).cache()
        n = items.count()
        out = Path(tmp) / "validation"
        variants: dict[str, Callable[..., None]] = {
            "without": run_without,
            "split": run_split,
            "with": run_with,
        }
        if args.alternatives:
            variants["persisted"] = run_split_persisted
        meter = Meter(spark)
        timings = {name: Timing() for name in variants}
        load_before = os.getloadavg()
        for fn in variants.values():  # warm-up (JIT, code generation, imports)
            fn(spark, items, out)
        for _ in range(args.repeat):
            for name, fn in variants.items():
                meter.run(timings[name], fn, spark, items, out)
        load_after = os.getloadavg()
        _, quarantined = split(joined(spark, items), ITEM_RULES)
        with record_splits() as checked:
            split(joined(spark, items), ITEM_RULES)
        (report,) = report_splits(checked, out)
        base = timings["without"]
        labels = {
            "without": "without validation",
            "split": "split (valid + quarantine)",
            "with": "with validation (split + GE)",
            "persisted": "split, input persisted",
        }
        print(f"order lines: {n:,}; quarantined: {quarantined.count():,}")
        print(f"report: {report.summary()}")
        print(f"best of {args.repeat}, {INPUT_PARTITIONS} input partitions, local[2]")
        for name, t in timings.items():
            print(
                f"{labels[name]:30s} {min(t.wall):6.2f} s ({min(t.wall) / min(base.wall):.2f}x)"
                f"  cpu {min(t.cpu):6.2f} s ({min(t.cpu) / min(base.cpu):.2f}x)"
                f"  jobs {t.jobs}, input scans {t.input_scans}"
            )
        ratio = min(timings["with"].wall) / min(base.wall)
        extra = timings["with"].input_scans - base.input_scans
        print(f"ratio: {ratio:.2f}x (target <= 1.2x); extra scans: {extra} (target <= 2)")
        print("load average before: {:.2f} {:.2f} {:.2f}".format(*load_before))
        print("load average after:  {:.2f} {:.2f} {:.2f}".format(*load_after))
        spark.stop()


if __name__ == "__main__":
    main()
