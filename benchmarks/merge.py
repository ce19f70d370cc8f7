"""Benchmark the lakehouse MERGE against a rebuild, and OPTIMIZE's effect on gold reads.

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.merge --days 10 --scale 0.3

In a private data directory (local services started and stopped here) it lands the
source, builds bronze and silver, and Z-orders ``silver.orders`` by ``order_date``
(the maintenance layout). Then, in one run:

1. a change batch touching 1% of the silver order rows, keys within the latest 5% of
   order dates (new status, newer ``updated_at``), applied by the silver MERGE
   (``merge_newest``), versus rebuilding ``silver.orders`` from bronze with the same
   change (clean + resolve + overwrite): wall time and files/bytes rewritten;
2. gold built one batch at a time (one incremental MERGE per batch): file count and
   the files a filtered gold query reads (one date and store), before and after
   ``optimize``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _files_read(spark: Any, frame: Any) -> int:
    """Files scanned by ``frame`` (the scan's numFiles metric, AQE off)."""
    frame.collect()
    plan = frame._jdf.queryExecution().executedPlan()
    leaves = plan.collectLeaves()
    total = 0
    for i in range(leaves.size()):
        metrics = leaves.apply(i).metrics()
        if metrics.contains("numFiles"):
            total += int(metrics.apply("numFiles").value())
    return total


def _table_size(spark: Any, uri: str) -> tuple[int, int]:
    detail = spark.sql(f"DESCRIBE DETAIL delta.`{uri}`").first()
    return int(detail["numFiles"]), int(detail["sizeInBytes"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--scale", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--max-file-mb", type=float, default=0.25)
    args = parser.parse_args(argv)

    from pyspark.sql import functions as F

    from goldmine.local import stop_services
    from goldmine.platform import connect
    from goldmine.rules import clean_orders, resolve_current_orders
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales
    from goldmine.settings import load_settings
    from goldmine.spark import build_session
    from lakehouse import build_lakehouse, optimize_tables, table
    from lakehouse._delta import last_metrics
    from lakehouse.silver import merge_newest, read_bronze

    repo = Path(__file__).resolve().parents[1]
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
            spark.conf.set(
                "spark.databricks.delta.optimize.maxFileSize",
                str(int(args.max_file_mb * 1024 * 1024)),
            )
            t0 = time.perf_counter()
            build_lakehouse(spark, platform, layers=("bronze", "silver"))
            print(f"bronze+silver of {len(batches)} batches: {time.perf_counter() - t0:.1f}s")
            # Gold one batch at a time: one incremental MERGE per batch, as in production.
            t0 = time.perf_counter()
            for batch in batches:
                build_lakehouse(spark, platform, layers=("gold",), batches=[batch])
            print(f"gold, {len(batches)} incremental runs: {time.perf_counter() - t0:.1f}s")
            optimize_tables(spark, settings, ["silver.orders"])

            orders_uri = table("silver.orders").uri(settings)
            orders = spark.read.format("delta").load(orders_uri).cache()
            total = orders.count()
            dates = sorted(r[0] for r in orders.select("order_date").distinct().collect())
            cutoff = dates[int(len(dates) * 0.95)] if len(dates) > 1 else dates[0]
            recent = orders.filter(F.col("order_date") >= F.lit(cutoff))
            n_change = max(1, total // 100)
            change = (
                recent.orderBy("order_id")
                .limit(n_change)
                .withColumn("status", F.lit("delivered"))
                .withColumn("updated_at", F.col("updated_at") + F.expr("INTERVAL 1 HOUR"))
                .withColumn("batch_id", F.lit("bench"))
                .cache()
            )
            changed = change.count()
            files_before, bytes_before = _table_size(spark, orders_uri)

            t0 = time.perf_counter()
            merge_newest(
                spark,
                orders_uri,
                change,
                keys=("order_id",),
                order_by="updated_at",
                app_id="bench-merge",
            )
            merge_s = time.perf_counter() - t0
            m = last_metrics(spark, orders_uri)
            merge_files = int(m.get("numTargetFilesRemoved", 0))
            merge_bytes = int(m.get("numTargetBytesRemoved", 0))

            rebuild_uri = f"s3://{settings.buckets.lakehouse}/bench/orders_rebuild"
            t0 = time.perf_counter()
            landed = read_bronze(spark, settings, batches)
            rebuilt = resolve_current_orders(
                clean_orders(landed).accepted.unionByName(
                    change.select(*clean_orders(landed).accepted.columns)
                )
            )
            rebuilt.write.format("delta").mode("overwrite").save(rebuild_uri)
            rebuild_s = time.perf_counter() - t0
            rebuild_files, rebuild_bytes = _table_size(spark, rebuild_uri)

            daily_uri = table("gold.daily_sales").uri(settings)
            spark.conf.set("spark.sql.adaptive.enabled", "false")
            probe = (
                spark.read.format("delta").load(daily_uri).select("order_date", "store_id").first()
            )
            assert probe is not None

            def query() -> Any:
                return (
                    spark.read.format("delta")
                    .load(daily_uri)
                    .filter(
                        (F.col("order_date") == F.lit(probe["order_date"]))
                        & (F.col("store_id") == F.lit(probe["store_id"]))
                    )
                )

            gold_files_before = _table_size(spark, daily_uri)[0]
            read_before = _files_read(spark, query())
            optimize_tables(spark, settings, ["gold.daily_sales"])
            gold_files_after = _table_size(spark, daily_uri)[0]
            read_after = _files_read(spark, query())

            print(
                f"days={args.days} scale={args.scale} seed={args.seed} "
                f"silver.orders rows={total} files={files_before} bytes={bytes_before}"
            )
            print(f"change batch: {changed} rows (1%), order_date >= {cutoff}")
            print(f"MERGE   {merge_s:7.1f}s  files rewritten {merge_files:4d}  bytes {merge_bytes}")
            print(
                f"rebuild {rebuild_s:7.1f}s  files written   {rebuild_files:4d}  "
                f"bytes {rebuild_bytes}"
            )
            print(
                f"time ratio {merge_s / rebuild_s:.2f}x  "
                f"bytes ratio {merge_bytes / max(rebuild_bytes, 1):.1%}  "
                f"files ratio {merge_files / max(rebuild_files, 1):.1%}"
            )
            print(
                f"gold.daily_sales files {gold_files_before} -> {gold_files_after} after optimize; "
                f"filtered query reads {read_before} -> {read_after} files "
                f"({read_after / max(read_before, 1):.1%})"
            )
            print(f"machine: {dt.date.today()} python {sys.version.split()[0]}")
            spark.stop()
        finally:
            stop_services(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
