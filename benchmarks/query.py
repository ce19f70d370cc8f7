"""Median latency of the standard analyst queries on the local (DuckDB) and Spark engines.

The gold tables are built synthetically from N random order lines with the gold rules
(``goldmine.query._synthetic_gold``), written as Delta to the lakehouse bucket under
``_bench_query/`` and registered in Glue database ``<project>_<env>_query_bench``; the
real builds' gold tables can be queried instead with ``--database``.

Usage: .venv/bin/python -m benchmarks.query --order-lines 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import statistics
import time

from goldmine.platform import connect
from goldmine.query import load_standard_queries, run_query
from goldmine.query._synthetic_gold import synthetic_gold_tables, write_synthetic_gold
from goldmine.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--order-lines", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engines", default="local,spark")
    parser.add_argument("--database", default=None, help="query these gold tables instead")
    args = parser.parse_args()
    platform = connect(load_settings())
    database = args.database
    if database is None:
        started = time.perf_counter()
        tables = synthetic_gold_tables(args.order_lines, days=365, seed=1)
        database = platform.settings.database("query_bench")
        write_synthetic_gold(
            platform,
            tables,
            database=database,
            bucket=platform.settings.buckets.lakehouse,
            prefix="_bench_query",
            table_format="delta",
        )
        rows = {k: v.num_rows for k, v in tables.items()}
        print(
            f"built gold of {args.order_lines:,} order lines in "
            f"{time.perf_counter() - started:.1f} s: {rows}"
        )
    spark = None
    medians: dict[str, float] = {}
    for engine in args.engines.split(","):
        if engine == "spark":
            from goldmine.spark import build_session

            spark = build_session(platform.aws, app_name="goldmine-bench-query")
        per_query = []
        for query in load_standard_queries():
            run_query(platform, query.sql, "lakehouse", engine, spark=spark, database=database)
            times = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                run_query(platform, query.sql, "lakehouse", engine, spark=spark, database=database)
                times.append(time.perf_counter() - started)
            per_query.append(statistics.median(times))
            print(f"{engine:6} {query.name:40} {statistics.median(times):7.3f} s")
        medians[engine] = statistics.median(per_query)
    for engine, median in medians.items():
        print(f"median {engine}: {median:.3f} s")
    if "local" in medians and "spark" in medians:
        print(f"spark / local: {medians['spark'] / medians['local']:.1f}x")


if __name__ == "__main__":
    main()
