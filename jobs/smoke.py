"""Job ``smoke``: land a small source, read it back with Spark over S3, write Delta, register.

Run in-process with ``goldmine jobs run smoke -- --days 2`` or as a Spark application
with ``goldmine jobs submit smoke --target standalone -- --days 2``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smoke",
        description="Platform smoke run: land -> Spark over S3 -> Delta -> Glue.",
        epilog="Example: python jobs/smoke.py --days 2 --scale 0.02 --seed 7",
    )
    parser.add_argument("--days", type=int, default=2, help="days of source to land")
    parser.add_argument("--scale", type=float, default=0.02, help="source scale")
    parser.add_argument("--seed", type=int, default=7, help="generator seed")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the smoke job; print a one-line JSON summary; return the exit code."""
    args = _parser().parse_args(argv)
    from goldmine.platform import connect
    from goldmine.settings import load_settings
    from goldmine.smoke import land_source, run_smoke
    from goldmine.spark import build_session

    platform = connect(load_settings())
    spark = build_session(platform.aws, app_name="goldmine-smoke")
    manifests = land_source(platform, days=args.days, scale=args.scale, seed=args.seed)
    result = run_smoke(platform, spark, manifests)
    summary = {
        "job": "smoke",
        "application_id": spark.sparkContext.applicationId,
        "master": spark.sparkContext.master,
        **dataclasses.asdict(result),
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
