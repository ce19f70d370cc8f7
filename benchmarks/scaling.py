"""Scaling benchmark: the lakehouse build for 1, 3 and 10 million order lines on local[2].

Each size runs in its own Python process (``--one``) with a fresh private data
directory and its own local services: the source is generated there first (10 days,
the scale grows with the size: 1 M lines = scale 10, 10 M = scale 100, so the number
of batches and files is the same and each day is larger), then
``jobs/lakehouse_build.py`` is submitted with ``spark-submit --master local[2]``
(``goldmine.jobs.submit_local``) and timed on its own: generation is excluded.

Printed per size: build wall time (the whole ``spark-submit``: JVM start, session,
bronze, silver, gold, Glue registration; the layers' shares come from the job's
``step`` lines), and peak memory of the job's process tree only (the ``spark-submit``
driver JVM, which also runs the local[2] tasks, plus its Python driver and workers; the
storage and AWS API services, also children of the measuring process, are left out):
the largest sampled sum of RSS (every 0.5 s) and the JVM's own high-water mark
(``VmHWM``). Then the exponent ``b`` of ``time = a * lines**b``, fitted by least squares
on logs (target: b <= 1.1, i.e. close to linear), and the marginal cost per million
lines between consecutive sizes (the fixed costs of a build flatten the fitted
exponent at small sizes; the marginal figures show them apart).

Usage (from the repo root; heavy: run it on an otherwise idle machine)::

    .venv/bin/python -m benchmarks.scaling                 # 1M, 3M, 10M order lines
    .venv/bin/python -m benchmarks.scaling --sizes 0.1 0.3 # quick check, in millions
    .venv/bin/python -m benchmarks.scaling --keep          # keep the data directories

Record the results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goldmine.jobs import JobSpec

REPO = Path(__file__).resolve().parents[1]
LINES_PER_SCALE_DAY = 10_000  # goldmine.sales: order lines per day at scale 1
DAYS = 10
SEED = 42
TARGET_EXPONENT = 1.1


@dataclass(frozen=True)
class Measurement:
    """One size: what was generated, how long the build took and its peak memory."""

    millions: float
    lines: int
    landed_mb: float
    generate_s: float
    build_s: float
    peak_rss_mib: float  # largest sampled sum over the job's process tree
    jvm_hwm_mib: float  # the driver JVM's VmHWM (exact peak of that process)
    python_hwm_mib: float  # the largest VmHWM of the job's Python processes
    steps: dict[str, float] = field(default_factory=dict)  # step -> seconds from submit
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)  # 1-min load: start, mean, end
    ok: bool = True
    log: str = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 3, 10],
                        help="millions of order lines (default: 1 3 10)")  # fmt: skip
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--driver-memory", default="4g")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)  # child: one size
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)  # child: JSON out
    args = parser.parse_args(argv)

    if args.one is not None:
        measured = _measure(args.one, args.master, args.driver_memory, args.keep)
        if args.result:
            args.result.write_text(json.dumps(dataclasses.asdict(measured)))
        return 0 if measured.ok else 1

    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"master {args.master}, driver memory {args.driver_memory}, "
          f"load average {_load():.1f}", flush=True)  # fmt: skip
    results = []
    for millions in args.sizes:
        measured = _measure_in_child(millions, args)
        results.append(measured)
        _print_row(measured)
    ok = [m for m in results if m.ok]
    exponent = fitted_exponent([(m.lines, m.build_s) for m in ok])
    for a, b in itertools.pairwise(ok):
        per_million = (b.build_s - a.build_s) / ((b.lines - a.lines) / 1e6)
        print(f"marginal {a.millions:g}M -> {b.millions:g}M: {per_million:.1f} s per million lines")
    if exponent is not None:
        verdict = "ok" if exponent <= TARGET_EXPONENT else "ABOVE TARGET"
        print(f"fitted exponent of time vs lines: {exponent:.2f} "
              f"(target <= {TARGET_EXPONENT}: {verdict})")  # fmt: skip
    return 0 if len(ok) == len(results) else 1


def fitted_exponent(points: list[tuple[int, float]]) -> float | None:
    """Least-squares slope of log(time) on log(lines); ``None`` with fewer than 2 points."""
    if len(points) < 2:
        return None
    xs = [math.log(x) for x, _ in points]
    ys = [math.log(y) for _, y in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx


def _measure_in_child(millions: float, args: argparse.Namespace) -> Measurement:
    """Measure one size in a fresh Python process (its own heap, services, data dir)."""
    with tempfile.TemporaryDirectory(prefix="goldmine-scaling-result-") as tmp:
        result = Path(tmp) / "result.json"
        command = [
            sys.executable, "-m", "benchmarks.scaling", "--one", str(millions),
            "--master", args.master, "--driver-memory", args.driver_memory,
            "--result", str(result), *(["--keep"] if args.keep else []),
        ]  # fmt: skip
        subprocess.run(command, cwd=REPO, check=False)
        if not result.exists():
            print(f"{millions:g}M: the measuring process failed", flush=True)
            return Measurement(millions, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, ok=False)
        data = json.loads(result.read_text())
    data["load"] = tuple(data["load"])
    data["steps"] = dict(data["steps"])
    return Measurement(**data)


def _measure(millions: float, master: str, driver_memory: str, keep: bool) -> Measurement:
    from goldmine.jobs import get_job
    from goldmine.local import stop_services
    from goldmine.platform import connect
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales
    from goldmine.settings import load_settings

    job = get_job("lakehouse_build")
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
            GeneratorConfig(days=DAYS, scale=scale, seed=SEED),
            keep_details=False,
        )
        generate_s = time.perf_counter() - started
        lines = sum(m.order_lines for m in manifests)
        landed = sum(f.bytes for m in manifests for f in m.files) / 1e6
        print(f"{millions:g}M: generated {lines:,} order lines ({landed:,.0f} MB) "
              f"in {generate_s:.0f} s; building", flush=True)  # fmt: skip
        return _build(platform, job, millions, lines, landed, generate_s, master)
    finally:
        stop_services(settings)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def _build(
    platform: object,
    job: JobSpec,
    millions: float,
    lines: int,
    landed: float,
    generate_s: float,
    master: str,
) -> Measurement:
    from goldmine.jobs import submit_local

    load_start = _load()
    sampler = _JobTreeRss(os.getpid())  # excludes the services already running
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def echo(line: str) -> None:
        if line.startswith("step "):
            steps[line.removeprefix("step ")] = round(time.perf_counter() - started, 1)

    sampler.start()
    run = submit_local(platform, job, [], master=master, echo=echo)  # type: ignore[arg-type]
    build_s = time.perf_counter() - started
    sampler.stop()
    if not run.succeeded:
        print(f"build failed at {millions:g}M (exit {run.returncode}); log: {run.log}")
    return Measurement(
        millions, lines, landed, generate_s, build_s, sampler.peak_mib,
        sampler.hwm_mib("java"), sampler.hwm_mib("python"), steps,
        (load_start, sampler.mean_load(), _load()),
        run.succeeded, str(run.log),
    )  # fmt: skip


def _load() -> float:
    return os.getloadavg()[0]


def _print_row(m: Measurement) -> None:
    if not m.lines:
        return
    print(f"{m.lines:>12,} order lines ({m.landed_mb:,.0f} MB)  generate {m.generate_s:7.1f} s  "
          f"build {m.build_s:7.1f} s  peak RSS {m.peak_rss_mib:7,.0f} MiB "
          f"(JVM HWM {m.jvm_hwm_mib:,.0f}, Python HWM {m.python_hwm_mib:,.0f})  "
          f"load {m.load[0]:.1f}/{m.load[1]:.1f}/{m.load[2]:.1f} (start/mean/end)"
          f"{'' if m.ok else '  FAILED'}", flush=True)  # fmt: skip
    if m.steps:
        steps = ", ".join(f"{name} @{t:.0f}" for name, t in m.steps.items())
        print(f"    steps (s from submit): {steps}", flush=True)


class _JobTreeRss:
    """Sample the RSS of the processes this process starts from now on (Linux /proc).

    Children already running when it is made (the local services) and their
    descendants are left out. Every 0.5 s it sums the RSS of the rest of the tree
    and keeps each process's ``VmHWM`` (its exact peak) by command name.
    """

    def __init__(self, root: int) -> None:
        self.root, self.peak_mib = root, 0.0
        self._before = set(_children_of(root))
        self._hwm: dict[int, tuple[str, float]] = {}
        self._loads: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def mean_load(self) -> float:
        """The mean 1-minute load average over the samples."""
        return sum(self._loads) / len(self._loads) if self._loads else _load()

    def hwm_mib(self, name: str) -> float:
        """The largest high-water mark of a process whose command name starts with ``name``."""
        return max((h for n, h in self._hwm.values() if n.startswith(name)), default=0.0)

    def _run(self) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.wait(0.5):
            children: dict[int, list[int]] = {}
            rss: dict[int, int] = {}
            names: dict[int, str] = {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    head, tail = (entry / "stat").read_text().rsplit(") ", 1)
                except (OSError, ValueError):
                    continue
                stat = tail.split()
                pid = int(entry.name)
                children.setdefault(int(stat[1]), []).append(pid)
                rss[pid] = int(stat[21]) * page
                names[pid] = head.split(" (", 1)[-1]
            total = 0
            todo = [p for p in children.get(self.root, []) if p not in self._before]
            while todo:
                pid = todo.pop()
                total += rss.get(pid, 0)
                todo += children.get(pid, [])
                hwm = _vm_hwm_mib(pid)
                if hwm is not None:
                    self._hwm[pid] = (names.get(pid, ""), hwm)
            self.peak_mib = max(self.peak_mib, total / 2**20)
            self._loads.append(_load())


def _children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(") ", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                found.append(int(entry.name))
    return found


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


if __name__ == "__main__":
    raise SystemExit(main())
