"""Benchmark the lakehouse MERGE against a rebuild, and OPTIMIZE's effect on gold reads.

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.merge --days 20 --scale 0.5 --compare-layout

In a private data directory (local services started and stopped here), in one run:

1. Setup with the library's own steps, in one pass each: land ``--days`` batches,
   append bronze (``build_lakehouse``), build silver (``build_silver``) and gold
   (``build_gold`` with the keys silver touched), then lay out ``silver.orders`` as
   the maintenance does (``optimize_tables``: ``ZORDER BY order_date`` in files of
   ``--max-file-kb``).
2. A change batch: 1% of the silver order rows, keys within the latest 5% of the
   order dates (status ``delivered``, ``updated_at`` one hour later), applied by the
   silver MERGE (``merge_newest``) versus rebuilding ``silver.orders`` from bronze
   with the same change (``clean_orders`` + ``resolve_current_orders`` + overwrite).
   Each is timed ``--repeat`` times (``silver.orders`` restored to its optimized
   version before each MERGE; the median counts); files and bytes rewritten come
   from Delta's ``operationMetrics``; both results are checked to hold the same rows.
3. Gold: ``gold.daily_sales`` is written by a ``--gold-partitions``-task job (AQE
   coalescing off), i.e. as that many small files, each holding every date and store.
   For a sample of (date, store) pairs, the files a filtered query reads (the scan's
   ``numFiles`` after data skipping) before and after ``optimize_tables``.

``--compare-layout`` then Z-orders ``silver.orders`` by ``order_date, customer_id``
(the former maintenance layout) and MERGEs a second change batch, to show what a
second Z-ORDER column costs the MERGE.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_TARGET_TIME = 0.5
_TARGET_BYTES = 0.10
_TARGET_READS = 0.10
_PROBES = 8


def _files_read(frame: Any) -> int:
    """Files scanned by ``frame`` after data skipping (the scan's numFiles; AQE off)."""
    frame.collect()
    leaves = frame._jdf.queryExecution().executedPlan().collectLeaves()
    total = 0
    for i in range(leaves.size()):
        metrics = leaves.apply(i).metrics()
        if metrics.contains("numFiles"):
            total += int(metrics.apply("numFiles").value())
    return total


def _table_size(spark: Any, uri: str) -> tuple[int, int]:
    """Return ``(files, bytes)`` of the current version of the Delta table at ``uri``."""
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{uri}`").first()
    return int(detail["numFiles"]), int(detail["sizeInBytes"])


def _load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


class _Clock:
    """Wall time of each step, printed as it ends."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.t0 = self.started

    def start(self) -> None:
        self.t0 = time.perf_counter()

    def stop(self, label: str) -> float:
        took = time.perf_counter() - self.t0
        print(f"[{time.perf_counter() - self.started:6.1f}s] {label}: {took:.1f}s", flush=True)
        return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--days", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-file-kb", type=float, default=64, help="OPTIMIZE file size")
    parser.add_argument("--gold-partitions", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each path")
    parser.add_argument("--compare-layout", action="store_true")
    args = parser.parse_args(argv)

    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    from goldmine.local import stop_services
    from goldmine.platform import connect
    from goldmine.rules import clean_orders, resolve_current_orders
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales
    from goldmine.settings import load_settings
    from goldmine.spark import build_session
    from lakehouse import build_lakehouse, optimize_tables, table
    from lakehouse._delta import last_metrics, last_version
    from lakehouse.gold import build_gold
    from lakehouse.silver import build_silver, merge_newest, read_bronze

    clock = _Clock()
    load_start = _load()
    max_file_bytes = int(args.max_file_kb * 1024)
    repo = Path(__file__).resolve().parents[1]
    out: dict[str, Any] = {}

    with tempfile.TemporaryDirectory(prefix="goldmine-merge-bench-") as tmp:
        settings = load_settings(
            data_dir=Path(tmp), jar_dir=repo / ".cache" / "jars", spark_shuffle_partitions=2
        )
        platform = connect(settings)
        try:
            config = GeneratorConfig(days=args.days, scale=args.scale, seed=args.seed)
            manifests = generate_sales(
                S3Sink(platform.aws.s3(), settings.buckets.landing), config, keep_details=False
            )
            batches = [m.batch_id for m in manifests]
            spark = build_session(platform.aws, master="local[2]", app_name="bench-merge")
            clock.stop(f"land {len(batches)} batches + start Spark")

            # -- setup: the library's steps, one pass each ---------------------------
            clock.start()
            build_lakehouse(spark, platform, layers=("bronze",))
            out["bronze_s"] = clock.stop("bronze")
            clock.start()
            touched = build_silver(spark, settings, batches).touched
            out["silver_s"] = clock.stop("silver (all tables)")
            clock.start()
            spark.conf.set("spark.sql.shuffle.partitions", str(args.gold_partitions))
            spark.conf.set("spark.sql.adaptive.coalescePartitions.enabled", "false")
            build_gold(spark, settings, batches, touched)
            spark.conf.set("spark.sql.shuffle.partitions", str(settings.spark_shuffle_partitions))
            spark.conf.unset("spark.sql.adaptive.coalescePartitions.enabled")
            out["gold_s"] = clock.stop(f"gold ({args.gold_partitions} write tasks)")

            orders_uri = table("silver.orders").uri(settings)
            out["files_built"] = _table_size(spark, orders_uri)[0]
            clock.start()
            layout = optimize_tables(
                spark, settings, ["silver.orders"], max_file_bytes=max_file_bytes
            )[0]
            out["zorder"] = layout["zorder"]
            out["layout_s"] = clock.stop(f"optimize silver.orders (ZORDER BY {layout['zorder']})")
            optimized = last_version(spark, orders_uri)

            # -- the change batch: 1% of the rows, in the latest 5% of the dates ------
            orders = spark.read.format("delta").load(orders_uri)
            out["rows"] = total = orders.count()
            out["files"], out["bytes"] = _table_size(spark, orders_uri)
            dates = sorted(r[0] for r in orders.select("order_date").distinct().collect())
            recent = dates[-max(1, round(len(dates) * 0.05)) :]
            out["dates"], out["recent"] = len(dates), recent
            out["recent_rows"] = orders.filter(F.col("order_date") >= F.lit(recent[0])).count()

            def change_batch(hours: int, batch_id: str) -> Any:
                """1% of the rows, within the recent dates, changed; collected and cached."""
                frame = (
                    spark.read.format("delta")
                    .load(orders_uri)
                    .filter(F.col("order_date") >= F.lit(recent[0]))
                    .orderBy(F.xxhash64("order_id"))
                    .limit(max(1, total // 100))
                    .withColumn("status", F.lit("delivered"))
                    .withColumn(
                        "updated_at", F.col("updated_at") + F.expr(f"INTERVAL {hours} HOURS")
                    )
                    .withColumn("batch_id", F.lit(batch_id))
                )
                change = spark.createDataFrame(frame.collect(), frame.schema).cache()
                change.count()
                return change

            change = change_batch(1, "bench-change")
            out["changed"] = change.count()

            rebuild_uri = f"s3://{settings.buckets.lakehouse}/bench/orders_rebuild"
            merge_times, rebuild_times = [], []
            for rep in range(args.repeat):
                if last_version(spark, orders_uri) != optimized:
                    DeltaTable.forPath(spark, orders_uri).restoreToVersion(optimized)
                clock.start()
                merge_newest(
                    spark,
                    orders_uri,
                    change,
                    keys=("order_id",),
                    order_by="updated_at",
                    app_id=f"bench-merge-{rep}",
                )
                merge_times.append(clock.stop(f"MERGE of the change batch #{rep + 1}"))
                out["merge_metrics"] = last_metrics(spark, orders_uri)
                clock.start()
                accepted = clean_orders(read_bronze(spark, settings, batches)).accepted
                rebuilt = resolve_current_orders(
                    accepted.unionByName(change.select(*accepted.columns))
                )
                rebuilt.write.format("delta").mode("overwrite").save(rebuild_uri)
                rebuild_times.append(clock.stop(f"rebuild of silver.orders from bronze #{rep + 1}"))
            out["merge_times"], out["rebuild_times"] = merge_times, rebuild_times
            out["rebuild_files"], out["rebuild_bytes"] = _table_size(spark, rebuild_uri)
            merged = spark.read.format("delta").load(orders_uri)
            again = spark.read.format("delta").load(rebuild_uri).select(*merged.columns)
            out["differing"] = merged.exceptAll(again).count() + again.exceptAll(merged).count()

            # -- gold: filtered queries before and after optimize ---------------------
            daily_uri = table("gold.daily_sales").uri(settings)
            daily = spark.read.format("delta").load(daily_uri)
            pairs = sorted(
                (r[0], r[1]) for r in daily.select("order_date", "store_id").distinct().collect()
            )
            probes = [pairs[i * (len(pairs) - 1) // (_PROBES - 1)] for i in range(_PROBES)]

            def reads() -> tuple[list[int], list[Any]]:
                counts, rows = [], []
                for day, store in probes:
                    query = (
                        spark.read.format("delta")
                        .load(daily_uri)
                        .filter((F.col("order_date") == F.lit(day)) & (F.col("store_id") == store))
                    )
                    counts.append(_files_read(query))
                    rows.append(sorted(map(tuple, query.collect())))
                return counts, rows

            spark.conf.set("spark.sql.adaptive.enabled", "false")
            out["gold_files"], out["gold_bytes"] = _table_size(spark, daily_uri)
            out["reads_before"], rows_before = reads()
            clock.start()
            gold_layout = optimize_tables(
                spark, settings, ["gold.daily_sales"], max_file_bytes=max_file_bytes
            )[0]
            out["gold_opt_s"] = clock.stop(
                f"optimize gold.daily_sales (ZORDER BY {gold_layout['zorder']})"
            )
            out["gold_files_after"] = _table_size(spark, daily_uri)[0]
            out["reads_after"], rows_after = reads()
            out["same_gold"] = rows_after == rows_before
            spark.conf.unset("spark.sql.adaptive.enabled")

            if args.compare_layout:
                spark.conf.set("spark.databricks.delta.optimize.maxFileSize", str(max_file_bytes))
                clock.start()
                DeltaTable.forPath(spark, orders_uri).optimize().executeZOrderBy(
                    "order_date", "customer_id"
                )
                spark.conf.unset("spark.databricks.delta.optimize.maxFileSize")
                clock.stop("optimize silver.orders (ZORDER BY order_date, customer_id)")
                out["files_2col"] = _table_size(spark, orders_uri)[0]
                change2 = change_batch(2, "bench-change-2")
                clock.start()
                merge_newest(
                    spark,
                    orders_uri,
                    change2,
                    keys=("order_id",),
                    order_by="updated_at",
                    app_id="bench-merge-2col",
                )
                out["merge_2col_s"] = clock.stop("MERGE of a second change batch on that layout")
                out["metrics_2col"] = last_metrics(spark, orders_uri)
            spark.stop()
        finally:
            stop_services(settings)

    _report(args, out, load_start, time.perf_counter() - clock.started)
    return 0


def _report(args: Any, out: dict[str, Any], load_start: str, wall_s: float) -> None:
    """Print the figures, and each target's verdict."""
    m = out["merge_metrics"]
    files_removed = int(m.get("numTargetFilesRemoved", 0))
    bytes_written = int(m.get("numTargetBytesAdded", 0))
    merge_s = statistics.median(out["merge_times"])
    rebuild_s = statistics.median(out["rebuild_times"])
    time_ratio = merge_s / rebuild_s
    bytes_ratio = bytes_written / max(out["rebuild_bytes"], 1)
    before, after = out["reads_before"], out["reads_after"]
    read_ratio = sum(after) / max(sum(before), 1)
    total = out["rows"]

    def times(values: list[float]) -> str:
        return "/".join(f"{v:.1f}" for v in values)

    print()
    print(
        f"run: --days {args.days} --scale {args.scale} --seed {args.seed} --max-file-kb "
        f"{args.max_file_kb:g} --gold-partitions {args.gold_partitions} --repeat {args.repeat}; "
        f"{dt.date.today()}, python {sys.version.split()[0]}; load average (1, 5, 15 min) "
        f"at start {load_start}, at end {_load()}; total wall time {wall_s:.0f}s"
    )
    print(
        f"setup: bronze {out['bronze_s']:.0f}s, silver {out['silver_s']:.0f}s, gold "
        f"{out['gold_s']:.0f}s, silver.orders layout {out['layout_s']:.0f}s"
    )
    print(
        f"silver.orders: {total:,} rows, {out['files_built']} files as built -> {out['files']} "
        f"files ({out['bytes']:,} B) after ZORDER BY {out['zorder']}"
    )
    print(
        f"change batch: {out['changed']:,} rows ({out['changed'] / total:.1%}), order_date >= "
        f"{out['recent'][0]} (latest {len(out['recent'])} of {out['dates']} dates, "
        f"{out['recent_rows'] / total:.1%} of the rows)"
    )
    print(
        f"MERGE:   median {merge_s:5.1f}s ({times(out['merge_times'])}), "
        f"{int(m.get('numTargetRowsUpdated', 0)):,} rows updated, rewrote {files_removed} of "
        f"{out['files']} files ({int(m.get('numTargetBytesRemoved', 0)):,} B) into "
        f"{int(m.get('numTargetFilesAdded', 0))} ({bytes_written:,} B written)"
    )
    print(
        f"rebuild: median {rebuild_s:5.1f}s ({times(out['rebuild_times'])}), replaces all "
        f"{out['files']} files: {out['rebuild_files']} files, {out['rebuild_bytes']:,} B written"
    )
    same = "yes" if out["differing"] == 0 else f"NO ({out['differing']} rows differ)"
    print(f"same rows after MERGE and after rebuild: {same}")
    print(
        f"time ratio {time_ratio:.2f}x (target <= {_TARGET_TIME}x: "
        f"{_verdict(time_ratio <= _TARGET_TIME)}); bytes written {bytes_ratio:.1%} of the "
        f"rebuild's (target <= {_TARGET_BYTES:.0%}: {_verdict(bytes_ratio <= _TARGET_BYTES)}); "
        f"files rewritten {files_removed / max(out['files'], 1):.1%} of the table's"
    )
    print(
        f"gold.daily_sales: {out['gold_files']} files ({out['gold_bytes']:,} B) -> "
        f"{out['gold_files_after']} after optimize ({out['gold_opt_s']:.0f}s); {len(before)} "
        f"queries (one date and store) read {sum(before)} -> {sum(after)} files "
        f"(per query {'/'.join(map(str, before))} -> {'/'.join(map(str, after))}): "
        f"{read_ratio:.1%} (target <= {_TARGET_READS:.0%}: {_verdict(read_ratio <= _TARGET_READS)})"
        f"; same results: {'yes' if out['same_gold'] else 'NO'}"
    )
    if "files_2col" in out:
        m2 = out["metrics_2col"]
        written2 = int(m2.get("numTargetBytesAdded", 0))
        print(
            f"layout check, ZORDER BY order_date, customer_id: {out['files_2col']} files; a "
            f"second change batch's MERGE took {out['merge_2col_s']:.1f}s and rewrote "
            f"{int(m2.get('numTargetFilesRemoved', 0))} of them ({written2:,} B written, "
            f"{written2 / max(out['rebuild_bytes'], 1):.1%} of the rebuild's)"
        )


if __name__ == "__main__":
    sys.exit(main())
