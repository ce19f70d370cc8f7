"""Spark job: build the lakehouse (bronze -> silver -> gold) for some or all batches.

Example: python -m jobs.lakehouse_build --layer silver --batch 20250106
"""

from __future__ import annotations

import argparse
import sys

LAYERS = ("bronze", "silver", "gold")


def parse_args(
    argv: list[str] | None, default_layers: tuple[str, ...] = LAYERS
) -> argparse.Namespace:
    """Parse ``--layer`` (repeatable), ``--batch`` (repeatable) and ``--master``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--layer", action="append", choices=LAYERS, dest="layers")
    parser.add_argument("--batch", action="append", dest="batches")
    parser.add_argument("--master", default=None)
    parser.add_argument(
        "--no-wait", action="store_true", help="fail if another run holds the lease"
    )
    args = parser.parse_args(argv)
    args.layers = tuple(args.layers or default_layers)
    return args


def run(args: argparse.Namespace) -> int:
    """Connect, build the session through the one factory, and run the build."""
    from goldmine.lease import LAKEHOUSE, hold_lease
    from goldmine.platform import connect
    from goldmine.settings import load_settings
    from goldmine.spark import build_session
    from lakehouse import build_lakehouse

    platform = connect(load_settings())
    with hold_lease(platform.aws, LAKEHOUSE, wait=not args.no_wait):
        spark = build_session(platform.aws, master=args.master, app_name="goldmine-lakehouse")
        summary = build_lakehouse(
            spark,
            platform,
            layers=args.layers,
            batches=args.batches,
            progress=lambda step: print(f"step {step}", flush=True),
        )
    for line in summary.lines():
        print(line, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: ``python -m jobs.lakehouse_build [--layer L] [--batch B]``."""
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
