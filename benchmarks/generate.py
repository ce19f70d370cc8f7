"""Benchmark the sales source generator: wall time, peak memory, lines per second.

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.generate --days 10 --scale 100   # 10 million order lines
    .venv/bin/python -m benchmarks.generate --days 1 --scale 100    # 1 million, same day size

Data goes to a temporary directory (DirectorySink) that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=10)
    parser.add_argument("--scale", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    config = GeneratorConfig(days=args.days, scale=args.scale, seed=args.seed)
    with tempfile.TemporaryDirectory(prefix="goldmine-bench-") as tmp:
        started = time.perf_counter()
        manifests = generate_sales(DirectorySink(Path(tmp)), config, keep_details=False)
        wall = time.perf_counter() - started
    lines = sum(m.order_lines for m in manifests)
    size = sum(f.bytes for m in manifests for f in m.files)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"days={args.days} scale={args.scale} seed={args.seed}")
    print(f"order lines      {lines:,}")
    print(f"bytes landed     {size:,}")
    print(f"wall time        {wall:,.1f} s")
    print(f"lines per second {lines / wall:,.0f}")
    print(f"peak RSS         {peak_mib:,.0f} MiB")
    print(f"machine          {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{platform.system()} {platform.machine()}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
