"""Spark job: build the lakehouse bronze layer for some or all batches.

Example: python -m jobs.lakehouse_bronze --batch 20250106
"""

from __future__ import annotations

import sys

from jobs.lakehouse_build import parse_args, run


def main(argv: list[str] | None = None) -> int:
    """Entry point: python -m jobs.lakehouse_bronze [--batch B]."""
    return run(parse_args(argv, default_layers=("bronze",)))


if __name__ == "__main__":
    sys.exit(main())
