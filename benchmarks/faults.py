"""Storage faults benchmark: the three builds with 0%, 5% and 20% of S3 requests faulted.

One command starts its own local services in a temporary data directory, one Spark
session and one fault-injecting proxy in front of the S3 store
(``goldmine.local.FaultProxy``: 503 SlowDown, 500 InternalError or a reset connection,
ADR 0025). Each fault rate gets a project of its own on those services (its own buckets,
Glue databases and DynamoDB tables), the demo week landed in it (not timed, not
faulted), and then the lake (ingest + build), the lakehouse and the mesh (every product)
built with the project's S3 endpoint set to the proxy: boto3, awswrangler, pyarrow and
delta-rs through ``endpoints.s3``, Spark's S3A through per-bucket endpoints
(``goldmine.spark.route_buckets``). The fault-free run goes through the proxy too (rate
0), so the ratios measure the faults and the retries, not the proxy.

Printed per rate: seconds per build, the ratio of the total to the fault-free run
(target: at most 1.5x at 5%), requests seen and faults injected (by kind and by
client), records quarantined, and whether every gold table equals the fault-free run's.
A fault-free warm-up build runs first (not timed) so the JVM's warm-up does not flatter
the faulted runs; ``--no-warmup`` skips it.

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.faults                    # 0%, 5% and 20%
    .venv/bin/python -m benchmarks.faults --rates 0 0.05 --seed 7 --no-warmup

Record the results in docs/benchmarks.md "Storage faults".
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from goldmine.local import FaultCounts
    from goldmine.platform import Platform
    from goldmine.settings import Settings

REPO = Path(__file__).resolve().parents[1]
BUILDS = ("lake", "lakehouse", "mesh")
GOLD_TABLES = ("daily_sales", "customer_lifetime", "product_monthly")
#: The demo week (7 days, scale 0.05, seed 11), as the integration tests build it.
WEEK_DAYS, WEEK_SCALE, WEEK_SEED = 7, 0.05, 11


@dataclass
class BuildsRun:
    """The three builds of one project: seconds and records quarantined per build."""

    seconds: dict[str, float] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        """Seconds of the three builds together."""
        return sum(self.seconds.values())


def fault_platforms(settings: Settings, s3_endpoint: str) -> tuple[Platform, Platform]:
    """Return ``settings``' platform, and the same platform with S3 at ``s3_endpoint``.

    The first (fault-free) is connected as usual: it starts the local services when
    needed and creates the project's buckets and tables. The second is what a user gets
    with ``GOLDMINE_ENDPOINTS__S3`` set to the proxy: every client of the platform reaches
    the store through it (the AWS API endpoint stays direct).
    """
    from goldmine.platform import connect
    from goldmine.settings import Endpoints

    clean = connect(settings)
    endpoints = Endpoints(s3=s3_endpoint, aws=clean.aws.endpoints.aws)
    return clean, connect(settings.model_copy(update={"endpoints": endpoints}))


def land_week(platform: Platform) -> list[Any]:
    """Land the demo week in the platform's landing bucket; return the batch manifests."""
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales

    config = GeneratorConfig(days=WEEK_DAYS, scale=WEEK_SCALE, seed=WEEK_SEED)
    return generate_sales(S3Sink(platform.aws.s3(), platform.settings.buckets.landing), config)


def build_all(platform: Platform, spark: SparkSession) -> BuildsRun:
    """Build the lake, the lakehouse and the mesh of ``platform`` in turn; time each.

    Spark's S3A reaches the platform's buckets at its S3 endpoint (``route_buckets``).
    """
    from goldmine.spark import route_buckets

    route_buckets(spark, platform.settings.buckets.all().values(), str(platform.aws.endpoints.s3))
    run = BuildsRun()
    for name, build in (("lake", _lake), ("lakehouse", _lakehouse), ("mesh", _mesh)):
        started = time.perf_counter()
        run.quarantined[name] = build(platform, spark)
        run.seconds[name] = round(time.perf_counter() - started, 1)
    return run


def _lake(platform: Platform, spark: SparkSession) -> int:
    from lake import build, ingest

    ingest(platform, None)
    built = build(platform, spark)
    return sum(c.quarantined for c in built.counts.values()) + built.quarantined_items


def _lakehouse(platform: Platform, spark: SparkSession) -> int:
    from lakehouse import build_lakehouse

    summary = build_lakehouse(spark, platform)
    return summary.quarantined + summary.quarantined_items


def _mesh(platform: Platform, spark: SparkSession) -> int:
    import mesh

    quarantined = 0
    landing = mesh.Landing(platform.aws.s3(), platform.settings)  # as mesh publish does
    for product_id in mesh.PUBLISH_ORDER:
        result = mesh.publish_product(platform, spark, product_id, landing=landing)
        if not result.published:
            raise RuntimeError(f"{product_id} refused: {result.check.summary()}")
        quarantined += result.quarantined_records + result.quarantined_items
    return quarantined


def gold_frames(platform: Platform) -> dict[str, pd.DataFrame]:
    """Every gold table of each build, as analysts read it, sorted: ``{"build.table": frame}``."""
    from goldmine.query import run_query

    frames = {}
    for build in BUILDS:
        for table in GOLD_TABLES:
            frame = run_query(platform, f"SELECT * FROM {table}", build, "local").frame
            columns = sorted(frame.columns)
            frames[f"{build}.{table}"] = frame[columns].sort_values(columns, ignore_index=True)
    return frames


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--rates",
        nargs="+",
        type=float,
        default=[0.0, 0.05, 0.2],
        help="fractions of S3 requests faulted; the first is the reference (default: 0 0.05 0.2)",
    )
    parser.add_argument("--seed", type=int, default=25, help="seed of the fault RNG (default 25)")
    parser.add_argument(
        "--no-warmup", action="store_true", help="skip the untimed fault-free warm-up build"
    )
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args(argv)

    from goldmine.local import FaultProxy, stop_services
    from goldmine.platform import connect
    from goldmine.settings import load_settings
    from goldmine.spark import build_session

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    data_dir = Path(tempfile.mkdtemp(prefix="goldmine-faults-"))
    base = load_settings(data_dir=data_dir, jar_dir=REPO / ".cache" / "jars")
    platform = connect(base)
    spark = build_session(platform.aws, app_name="faults-benchmark")
    proxy = FaultProxy(str(platform.aws.endpoints.s3), rate=0.0).start()
    rows: list[tuple[float, BuildsRun, FaultCounts, bool]] = []
    reference: dict[str, pd.DataFrame] | None = None
    try:
        rounds = ([] if args.no_warmup else [None]) + list(args.rates)
        for index, rate in enumerate(rounds):
            settings = load_settings(
                data_dir=data_dir, jar_dir=REPO / ".cache" / "jars", project=f"faults{index}"
            )
            clean, faulted = fault_platforms(settings, proxy.url)
            land_week(clean)
            proxy.reset(rate=rate or 0.0, seed=args.seed)
            run = build_all(faulted, spark)
            counts = proxy.counts()
            label = "warm-up" if rate is None else f"{rate:.0%} faulted"
            print(f"  {label}: {run.seconds} s, {counts.requests} requests, "
                  f"{counts.injected} faults", flush=True)  # fmt: skip
            if rate is None:
                continue
            gold = gold_frames(clean)
            reference = reference if reference is not None else gold
            same = all(gold[k].equals(reference[k]) for k in reference)
            rows.append((rate, run, counts, same))
    finally:
        proxy.stop()
        spark.stop()
        stop_services(base)
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)
    _print_table(rows)
    first = rows[0][1] if rows else None
    ok = all(same and run.quarantined == first.quarantined for _, run, _, same in rows if first)
    return 0 if ok else 1


def _print_table(rows: list[tuple[float, BuildsRun, FaultCounts, bool]]) -> None:
    if not rows:
        return
    reference = rows[0][1]
    print("\nfaulted | lake s | lakehouse s | mesh s | total s | x fault-free | requests | "
          "faults (slowdown/internal/reset) | by client | quarantined | gold same")  # fmt: skip
    for rate, run, counts, same in rows:
        ratio = run.total_seconds / reference.total_seconds
        kinds = "/".join(str(n) for n in counts.faults.values())
        clients = ", ".join(
            f"{c} {n[1]}/{n[0]}" for c, n in sorted(counts.by_client.items()) if n[0]
        )
        quarantined = "/".join(str(run.quarantined[b]) for b in BUILDS)
        print(f"  {rate:5.0%} | {run.seconds['lake']:6.1f} | {run.seconds['lakehouse']:11.1f} | "
              f"{run.seconds['mesh']:6.1f} | {run.total_seconds:7.1f} | {ratio:11.2f}x | "
              f"{counts.requests:8d} | {counts.injected:4d} ({kinds}) | {clients} | "
              f"{quarantined} | {'yes' if same else 'NO'}")  # fmt: skip
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
