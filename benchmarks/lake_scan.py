"""Bytes Athena must read for the standard analyst queries on the lake, after pruning.

For each query: the partitions it selects (partition pruning on the path), the Parquet
column chunks of the columns it reads in those partitions (compressed sizes from the
footers; partition columns come from the path and cost nothing), and the ratio to the
raw bytes of the same period (raw ``orders`` files whose ingest date is in the period:
the smallest raw input that could answer the question). Footers themselves are shown
apart. Nothing is scanned: only footers are read.

Usage (from the repo root)::

    # the lake of a data directory already built (goldmine lake ingest --all && build)
    .venv/bin/python -m benchmarks.lake_scan --data-dir .goldmine --month 2025-01
    # or generate, ingest and build a fresh month first, in a temporary data directory
    .venv/bin/python -m benchmarks.lake_scan --generate-days 31 --scale 0.2 --month 2025-01
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lake._ledger import list_objects
from lake._parquet import arrow_filesystem, read_footers
from lake._tables import LakeTable
from lake.analytics.tables import analytics_tables
from lake.curated.tables import curated_tables


@dataclass(frozen=True)
class Query:
    name: str
    zone: str
    table: str
    columns: tuple[str, ...]
    sql: str


QUERIES = (
    Query(
        "revenue by store, one month",
        "analytics",
        "daily_sales",
        ("order_date", "store_id", "revenue_usd"),
        "SELECT store_id, sum(revenue_usd) FROM daily_sales WHERE order_date BETWEEN m0 AND m1",
    ),
    Query(
        "top products, one month",
        "analytics",
        "product_monthly",
        ("month", "product_id", "revenue_usd"),
        "SELECT product_id, revenue_usd FROM product_monthly WHERE month = m0",
    ),
    Query(
        "order lines by product, one month",
        "curated",
        "order_lines",
        ("order_date", "product_id", "amount_usd"),
        "SELECT product_id, sum(amount_usd) FROM order_lines WHERE order_date BETWEEN m0 AND m1",
    ),
    Query(
        "orders by status, one month",
        "curated",
        "orders",
        ("order_date", "status", "order_id"),
        "SELECT status, count(order_id) FROM orders WHERE order_date BETWEEN m0 AND m1",
    ),
)


def measure(platform: Any, month: dt.date) -> list[dict[str, Any]]:
    """Return one row of figures per standard query for ``month`` (first day)."""
    buckets = platform.settings.buckets
    s3 = platform.aws.s3()
    filesystem = arrow_filesystem(platform)
    next_month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    raw_bytes = sum(
        size
        for key, size in list_objects(s3, buckets.raw, "orders/ingest_date=")
        if month.isoformat() <= key.split("ingest_date=")[1][:10] < next_month.isoformat()
    )
    tables = {
        "curated": curated_tables(buckets.curated),
        "analytics": analytics_tables(buckets.analytics),
    }
    rows = []
    for query in QUERIES:
        table: LakeTable = tables[query.zone][query.table]
        keys = [
            k
            for k, _ in list_objects(s3, table.bucket, f"{table.name}/")
            if k.endswith(".parquet") and _in_month(k, table, month, next_month)
        ]
        footers = read_footers(filesystem, table.bucket, keys)
        data_columns = [c for c in query.columns if c != table.partition]
        chunk_bytes = sum(f.bytes_for(data_columns) for f in footers)
        rows.append(
            {
                "query": query.name,
                "table": f"{query.zone}.{query.table}",
                "columns": ", ".join(query.columns),
                "files": len(footers),
                "chunk_bytes": chunk_bytes,
                "footer_bytes": sum(f.footer_bytes for f in footers),
                "table_bytes": sum(f.file_bytes for f in footers),
                "raw_bytes": raw_bytes,
                "ratio": chunk_bytes / raw_bytes if raw_bytes else float("nan"),
            }
        )
    return rows


def _in_month(key: str, table: LakeTable, month: dt.date, next_month: dt.date) -> bool:
    if table.partition is None:
        return True
    value = key.split(f"{table.partition}=", 1)[1][:10]
    return month.isoformat() <= value < next_month.isoformat()


def _build_fresh(days: int, scale: float, data_dir: Path) -> Any:
    from goldmine.platform import connect
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales
    from goldmine.settings import load_settings
    from goldmine.spark import build_session
    from lake import build, ingest

    settings = load_settings(data_dir=data_dir, spark_shuffle_partitions=2)
    platform = connect(settings)
    sink = S3Sink(platform.aws.s3(), settings.buckets.landing)
    generate_sales(sink, GeneratorConfig(days=days, scale=scale, seed=11))
    ingest(platform)
    spark = build_session(platform.aws, app_name="goldmine-lake-scan")
    try:
        build(platform, spark)
    finally:
        spark.stop()
    return platform


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--month", default="2025-01", help="YYYY-MM")
    parser.add_argument("--generate-days", type=int, default=0)
    parser.add_argument("--scale", type=float, default=0.2)
    args = parser.parse_args(argv)
    month = dt.date.fromisoformat(f"{args.month}-01")

    from goldmine.platform import connect
    from goldmine.settings import load_settings

    temp = None
    if args.generate_days:
        temp = tempfile.TemporaryDirectory(prefix="lake-scan-")
        platform = _build_fresh(args.generate_days, args.scale, Path(temp.name))
    else:
        overrides = {"data_dir": args.data_dir} if args.data_dir else {}
        platform = connect(load_settings(**overrides))
    try:
        rows = measure(platform, month)
    finally:
        if temp is not None:
            from goldmine.local import stop_services

            stop_services(platform.settings)
            temp.cleanup()
    print(f"month {args.month}; raw orders bytes of the month: {rows[0]['raw_bytes']:,}")
    print("| query | table | columns | files | column chunks (bytes) | footers | ratio |")
    print("|---|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['query']} | {r['table']} | {r['columns']} | {r['files']} | "
            f"{r['chunk_bytes']:,} | {r['footer_bytes']:,} | {r['ratio']:.3%} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
