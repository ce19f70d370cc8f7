"""Spark job step: build the lake's curated and analytics zones from raw batches.

Usage: ``spark-submit jobs/lake_build.py --from 2025-01-06 --to 2025-01-12``
(locally: ``python -m jobs.lake_build``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, build the pending batches in range, print the counts."""
    parser = argparse.ArgumentParser(prog="lake_build", description=__doc__)
    parser.add_argument("--from", dest="date_from", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--to", dest="date_to", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--master", default=None, help="Spark master (default: settings)")
    parser.add_argument(
        "--no-wait", action="store_true", help="fail if another run holds the lease"
    )
    args = parser.parse_args(argv)

    from goldmine.lease import LAKE, hold_lease
    from goldmine.platform import connect
    from goldmine.rules import ReconciliationError
    from goldmine.settings import load_settings
    from goldmine.spark import build_session
    from lake import build

    platform = connect(load_settings())
    with hold_lease(platform.aws, LAKE, wait=not args.no_wait):
        spark = build_session(platform.aws, master=args.master, app_name="goldmine-lake-build")
        try:
            result = build(platform, spark, date_from=args.date_from, date_to=args.date_to)
        except ReconciliationError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        finally:
            spark.stop()
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
