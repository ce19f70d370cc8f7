"""Scaling benchmark: the lakehouse build for 1, 3 and 10 million order lines on local[2].

For each size the source is generated into a fresh local platform (its own data
directory and services), then ``jobs/lakehouse_build.py`` is submitted with
``spark-submit --master local[2]`` (``goldmine.jobs.submit_local``). Printed per size:
build wall time and peak memory (sum of RSS over the job's process tree: Python
driver + JVM); then the exponent ``b`` of ``time = a * lines**b`` fitted by least
squares on logs (target: b <= 1.1, i.e. close to linear).

Usage (from the repo root; heavy: run it on an otherwise idle machine)::

    .venv/bin/python -m benchmarks.scaling                 # 1M, 3M, 10M order lines
    .venv/bin/python -m benchmarks.scaling --sizes 0.1 0.3 # quick check, in millions
    .venv/bin/python -m benchmarks.scaling --keep          # keep the data directories

Record the results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goldmine.jobs import JobSpec

REPO = Path(__file__).resolve().parents[1]
LINES_PER_SCALE_DAY = 10_000
DAYS = 10
TARGET_EXPONENT = 1.1


@dataclass(frozen=True)
class Measurement:
    lines: int
    generate_s: float
    build_s: float
    peak_rss_mib: float
    ok: bool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 3, 10],
                        help="millions of order lines (default: 1 3 10)")  # fmt: skip
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args(argv)

    from goldmine.jobs import get_job

    job = get_job("lakehouse_build")
    results = []
    for millions in args.sizes:
        results.append(_measure(job, millions, args.master, args.driver_memory, args.keep))
        _print_row(results[-1])
    exponent = fitted_exponent([(m.lines, m.build_s) for m in results if m.ok])
    if exponent is not None:
        verdict = "ok" if exponent <= TARGET_EXPONENT else "ABOVE TARGET"
        print(f"fitted exponent of time vs lines: {exponent:.2f} "
              f"(target <= {TARGET_EXPONENT}: {verdict})")  # fmt: skip
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, master {args.master}")
    return 0 if all(m.ok for m in results) else 1


def fitted_exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) on log(lines); ``None`` with fewer than 2 points."""
    if len(points) < 2:
        return None
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def _measure(
    job: JobSpec, millions: float, master: str, driver_memory: str, keep: bool
) -> Measurement:
    from goldmine.jobs import submit_local
    from goldmine.local import stop_services
    from goldmine.platform import connect
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales
    from goldmine.settings import load_settings

    data_dir = Path(tempfile.mkdtemp(prefix=f"goldmine-scaling-{millions:g}M-"))
    settings = load_settings(
        data_dir=data_dir, jar_dir=REPO / ".cache" / "jars", spark_driver_memory=driver_memory
    )
    platform = connect(settings)
    try:
        scale = millions * 1_000_000 / (DAYS * LINES_PER_SCALE_DAY)
        started = time.perf_counter()
        manifests = generate_sales(
            S3Sink(platform.aws.s3(), settings.buckets.landing),
            GeneratorConfig(days=DAYS, scale=scale, seed=42),
            keep_details=False,
        )
        generate_s = time.perf_counter() - started
        lines = sum(m.order_lines for m in manifests)
        sampler = _TreeRss(os.getpid())
        sampler.start()
        started = time.perf_counter()
        run = submit_local(platform, job, [], master=master)
        build_s = time.perf_counter() - started
        sampler.stop()
        if not run.succeeded:
            print(f"build failed at {millions:g}M (exit {run.returncode}); log: {run.log}")
        return Measurement(lines, generate_s, build_s, sampler.peak_mib, run.succeeded)
    finally:
        stop_services(settings)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def _print_row(m: Measurement) -> None:
    print(f"{m.lines:>12,} order lines  generate {m.generate_s:7.1f} s  "
          f"build {m.build_s:7.1f} s  peak memory {m.peak_rss_mib:7,.0f} MiB"
          f"{'' if m.ok else '  FAILED'}", flush=True)  # fmt: skip


class _TreeRss:
    """Sample the summed RSS of this process's descendants (Linux /proc) every 0.5 s."""

    def __init__(self, root: int) -> None:
        self.root, self.peak_mib = root, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.5):
            children: dict[int, list[int]] = {}
            rss: dict[int, int] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text().rsplit(") ", 1)[1].split()
                except (OSError, IndexError):
                    continue
                pid = int(entry.name)
                children.setdefault(int(stat[1]), []).append(pid)
                rss[pid] = int(stat[21]) * page
            total, todo = 0, list(children.get(self.root, []))
            while todo:
                pid = todo.pop()
                total += rss.get(pid, 0)
                todo += children.get(pid, [])
            self.peak_mib = max(self.peak_mib, total / 2**20)


if __name__ == "__main__":
    raise SystemExit(main())
