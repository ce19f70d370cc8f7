"""Median latency of the standard analyst queries on the local (DuckDB), Spark and Trino engines.

The gold tables are synthetic: N random order lines aggregated with the gold rules
(``goldmine.query._synthetic_gold``), shaped like the sales source at N lines
(``sales_shape``: 365 days, 22 stores, and the customers and products the generator
knows at that scale), written as Delta to the lakehouse bucket under
``_bench_query/<N>/`` and registered in Glue database ``<project>_<env>_query_bench_<N>``.
The real builds' gold tables can be queried instead with ``--database``.

Per query and engine: one cold run (local: the process's table and translation caches
cleared first; Spark and Trino: the first run), then the median of ``--repeat`` warm runs.
Per engine: the median over the queries of the warm medians; then the ratios to local.
Trino: its start-up (the local server stopped first) and its JVM's peak resident memory.

Usage: .venv/bin/python -m benchmarks.query --order-lines 10000000 --repeat 3
       .venv/bin/python -m benchmarks.query --engines spark --order-lines 1000000
       .venv/bin/python -m benchmarks.query --engines local,trino,spark --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from goldmine.platform import Platform, connect
from goldmine.query import load_standard_queries, run_query
from goldmine.query._synthetic_gold import (
    sales_shape,
    synthetic_gold_tables,
    write_synthetic_gold,
)
from goldmine.settings import load_settings


def build_gold(platform: Platform, order_lines: int, days: int) -> str:
    """Write the synthetic gold of ``order_lines`` lines as Delta; return its Glue database."""
    started = time.perf_counter()
    shape = sales_shape(order_lines, days)
    tables = synthetic_gold_tables(order_lines, seed=1, shape=shape)
    database = platform.settings.database(f"query_bench_{order_lines}")
    write_synthetic_gold(
        platform,
        tables,
        database=database,
        bucket=platform.settings.buckets.lakehouse,
        prefix=f"_bench_query/{order_lines}",
        table_format="delta",
    )
    rows = ", ".join(f"{k} {v.num_rows:,}" for k, v in tables.items())
    print(
        f"gold of {order_lines:,} order lines ({shape}) built in "
        f"{time.perf_counter() - started:.1f} s: {rows} rows"
    )
    return database


def measure(
    platform: Platform, engine: str, database: str, repeat: int, spark: Any = None
) -> dict[str, tuple[float, float]]:
    """Return ``{query: (cold seconds, median warm seconds)}`` for one engine."""
    from goldmine.query._cache_tables import TABLE_CACHE
    from goldmine.query._run_query import _translated

    out = {}
    for query in load_standard_queries():

        def run(sql: str = query.sql) -> float:
            started = time.perf_counter()
            run_query(platform, sql, "lakehouse", engine, spark=spark, database=database)
            return time.perf_counter() - started

        if engine == "local":
            TABLE_CACHE.clear()
            _translated.cache_clear()
        cold = run()
        warm = statistics.median(run() for _ in range(repeat))
        out[query.name] = (cold, warm)
        print(f"{engine:6} {query.name:36} cold {cold:7.3f} s   warm median {warm:7.3f} s")
    return out


def start_trino(platform: Platform) -> None:
    """Stop the local Trino server if it runs, then time its start-up."""
    from goldmine.local import ensure_trino
    from goldmine.local._state import pid_alive, read_state, terminate

    pid = read_state(platform.settings.data_dir).get("trino", {}).get("pid")
    if pid and pid_alive(pid):
        terminate(pid)
    started = time.perf_counter()
    ensure_trino(platform.settings, platform.aws.endpoints)
    print(f"trino start-up: {time.perf_counter() - started:.1f} s")


def trino_peak_rss_mb(platform: Platform) -> float:
    """Return the Trino JVM's peak resident set (``VmHWM``) in MB."""
    from goldmine.local._state import read_state

    pid = read_state(platform.settings.data_dir)["trino"]["pid"]
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        line = next(x for x in status if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--order-lines", type=int, default=10_000_000)
    parser.add_argument(
        "--spark-order-lines", type=int, default=None, help="a smaller size for Spark"
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="local,spark", help="of local, spark, trino")
    parser.add_argument("--database", default=None, help="query these gold tables instead")
    args = parser.parse_args()
    platform = connect(load_settings())
    sizes = {
        "local": args.order_lines,
        "spark": args.spark_order_lines or args.order_lines,
        "trino": args.order_lines,
    }
    databases: dict[int, str] = {}
    spark = None
    medians: dict[str, float] = {}
    for engine in args.engines.split(","):
        size = sizes[engine]
        if args.database is None and size not in databases:
            databases[size] = build_gold(platform, size, args.days)
        database = args.database or databases[size]
        if engine == "spark":
            from goldmine.spark import build_session

            spark = build_session(platform.aws, app_name="goldmine-bench-query")
        if engine == "trino":
            start_trino(platform)
        times = measure(platform, engine, database, args.repeat, spark)
        if engine == "trino":
            print(f"trino JVM peak resident memory: {trino_peak_rss_mb(platform):,.0f} MB")
        medians[engine] = statistics.median(warm for _, warm in times.values())
        cold = statistics.median(c for c, _ in times.values())
        where = args.database or f"{size:,} order lines"
        print(f"median {engine}: {medians[engine]:.3f} s warm, {cold:.3f} s cold ({where})")
    for engine in ("spark", "trino"):
        if "local" in medians and engine in medians:
            same = args.database or sizes["local"] == sizes[engine]
            note = "" if same else " (NOT the same size: see above)"
            print(f"{engine} / local: {medians[engine] / medians['local']:.1f}x{note}")


if __name__ == "__main__":
    main()
