"""Spark-less job step: copy landed batches into the lake's raw zone.

Usage: ``python -m jobs.lake_ingest --date 2025-01-06`` (or ``--all``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, ingest the batches, print one line per batch; return the exit code."""
    parser = argparse.ArgumentParser(prog="lake_ingest", description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--date", type=dt.date.fromisoformat, help="ingest date YYYY-MM-DD")
    group.add_argument("--all", action="store_true", help="every landed date")
    parser.add_argument(
        "--no-wait", action="store_true", help="fail if another run holds the lease"
    )
    args = parser.parse_args(argv)

    from goldmine.lease import LAKE, hold_lease
    from goldmine.platform import connect
    from goldmine.settings import load_settings
    from lake import LakeError, ingest

    platform = connect(load_settings())
    try:
        with hold_lease(platform.aws, LAKE, wait=not args.no_wait):
            results = ingest(platform, None if args.all else [args.date])
    except LakeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for r in results:
        print(
            f"batch {r.batch_id}: {len(r.files)} files, {len(r.copied)} copied, "
            f"{r.skipped} already raw, {r.bytes} bytes"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
