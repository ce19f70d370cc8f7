"""Speed benchmark: what a user waits for, per build, against a single-node reference.

One command generates each scenario's source into a fresh private data directory with
its own local services, then builds each architecture in its own Python process (the
whole process is timed: interpreter, imports, Spark start, the build, Glue
registration) and, on the same landing files, the single-node reference
(:mod:`benchmarks.reference_gold`: DuckDB SQL, written for the benchmark, not used by
the builds). Scenarios:

- ``week``: the demo week (7 days, scale 0.05, seed 11; ~3.5k order lines);
- ``month``: 30 days at scale 0.05 built first (not timed), then one new daily batch
  (day 31) landed and built incrementally: the timed figure is that batch;
- ``1m``: 10 days at scale 10 (about 1 M order lines);
- ``1m-batch``: those 10 days built first (not timed), then day 11 (~100k order lines)
  landed and built incrementally: the timed figure is that batch (ADR 0039).

Printed per scenario and build: wall seconds, the ratio to the reference, Spark jobs,
stages, tasks and SQL executions (from the build's Spark event log), and Delta
commits (new ``_delta_log/*.json`` files in every bucket), and each plan step's seconds
and Spark jobs (the mesh's summed over its products' publishes, which run as ``mesh
publish`` runs them: the ready ones at once, so their steps' seconds overlap). Counts
are deterministic; times are not (run on an idle machine; ``--repeat`` keeps the best).

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.speed                       # week and month
    .venv/bin/python -m benchmarks.speed --scenario 1m         # heavy: ~15 min
    .venv/bin/python -m benchmarks.speed --builds lakehouse --repeat 3 --json out.json

Record the results in docs/benchmarks.md "Speed".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
#: The environment variable that hands a child build its extra Spark conf (JSON).
CHILD_CONF = "GOLDMINE_SPEED_SPARK_CONF"
BUILDS = ("lake", "lakehouse", "mesh")
#: name -> (days landed and built first, untimed; days timed after; scale; seed)
SCENARIOS: dict[str, tuple[int, int, float, int]] = {
    "week": (0, 7, 0.05, 11),
    "month": (30, 1, 0.05, 11),
    "1m": (0, 10, 10.0, 42),
    "1m-batch": (10, 1, 10.0, 42),
}


@dataclass
class Run:
    """One build (or the reference) of one scenario."""

    scenario: str
    build: str
    seconds: float
    ok: bool = True
    jobs: int = 0
    stages: int = 0
    tasks: int = 0
    sql: int = 0
    inside_jobs_s: float = 0.0
    delta_commits: int = 0
    steps: dict[str, Any] = field(default_factory=dict)
    error: str = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--scenario",
        nargs="+",
        choices=list(SCENARIOS),
        default=["week", "month"],
        help="scenarios (default: week month)",
    )
    parser.add_argument(
        "--builds",
        nargs="+",
        choices=[*BUILDS, "reference"],
        default=[*BUILDS, "reference"],
        help="what to build (default: the three builds and the reference)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="build each scenario this many times (fresh data), keep the best",
    )
    parser.add_argument("--json", type=Path, help="also write every run as JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    parser.add_argument(
        "--cprofile",
        type=Path,
        metavar="DIR",
        help="profile each build's Python side with cProfile into DIR/<scenario>-<build>.prof",
    )
    parser.add_argument(
        "--conf",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra Spark conf for every build (repeatable), e.g. to try a setting",
    )
    parser.add_argument(
        "--event-logs",
        type=Path,
        metavar="DIR",
        help="keep each build's Spark event log in DIR (read with eventlog_summary.py)",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # child: one build
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)  # fmt: skip
    if args.child:
        return _child(args.child, args.result)

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    runs: list[Run] = []
    for scenario in args.scenario:
        best: dict[str, Run] = {}
        for _ in range(args.repeat):
            options = ChildOptions(args.cprofile, tuple(args.conf), args.event_logs)
            for run in _scenario(scenario, args.builds, args.keep, options):
                if run.build not in best or (run.ok and run.seconds < best[run.build].seconds):
                    best[run.build] = run
                runs.append(run)
        _print_table(scenario, best)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
    return 0 if all(r.ok for r in runs) else 1


def _scenario(
    scenario: str, builds: list[str], keep: bool, options: ChildOptions | None = None
) -> list[Run]:
    """Generate the scenario's source, build each architecture, time the reference."""
    from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales

    before, timed, scale, seed = SCENARIOS[scenario]
    runs = []
    with fresh_platform(f"goldmine-speed-{scenario}-", keep=keep) as (data_dir, platform):
        settings, source = platform.settings, data_dir / "source"
        config = GeneratorConfig(days=before + timed, scale=scale, seed=seed)
        manifests = generate_sales(DirectorySink(source), config, keep_details=False)
        days = sorted(m.ingest_date for m in manifests)
        first, last = days[:before], days[before:]
        lines = sum(m.order_lines for m in manifests if m.ingest_date in last)
        print(f"{scenario}: {len(manifests)} batches generated, timed part "
              f"{len(last)} batches / {lines:,} order lines", flush=True)  # fmt: skip
        s3 = platform.aws.s3()
        if first:
            land(s3, settings.buckets.landing, source, first, with_stores=True)
            # The state the timed batch lands on (not timed).
            for build in (b for b in builds if b in BUILDS):
                untimed = replace(options or ChildOptions(), cprofile=None, event_logs=None)
                in_child(build, data_dir, scenario, untimed)
        land(s3, settings.buckets.landing, source, last, with_stores=not first)
        for build in (b for b in builds if b in BUILDS):
            commits = _delta_commits(s3, settings)
            run = in_child(build, data_dir, scenario, options)
            run.delta_commits = _delta_commits(s3, settings) - commits
            runs.append(run)
        if "reference" in builds:
            runs.append(_reference(scenario, source, days))
    return runs


@contextmanager
def fresh_platform(prefix: str, *, keep: bool = False) -> Iterator[tuple[Path, Any]]:
    """Yield a private data directory and the platform of its own local services.

    The services are stopped after the block and the directory removed (kept with
    ``keep``). Builds run in child processes find them through ``GOLDMINE_DATA_DIR``.
    """
    from goldmine.local import stop_services
    from goldmine.platform import connect
    from goldmine.settings import load_settings

    data_dir = Path(tempfile.mkdtemp(prefix=prefix))
    settings = load_settings(data_dir=data_dir, jar_dir=REPO / ".cache" / "jars")
    try:
        yield data_dir, connect(settings)
    finally:
        stop_services(settings)
        if not keep:
            shutil.rmtree(data_dir, ignore_errors=True)


def land(s3: Any, bucket: str, source: Path, days: list[Any], *, with_stores: bool) -> None:
    """Upload the generated files of ``days`` (and the stores list) to the landing bucket."""
    wanted = {f"ingest_date={d.isoformat()}" for d in days}
    for path in sorted(source.rglob("*")):
        key = path.relative_to(source).as_posix()
        if not path.is_file():
            continue
        stores = key.startswith("stores/") and with_stores
        of_day = any(part in wanted for part in key.split("/"))
        manifest = key.startswith("_manifests/") and any(d.strftime("%Y%m%d") in key for d in days)
        if stores or of_day or manifest:
            s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())


def _delta_commits(s3: Any, settings: Any) -> int:
    """Count the Delta commit files in every bucket of the platform."""
    from goldmine.plan import count_delta_commits

    return sum(count_delta_commits(s3, settings.buckets.all().values()).values())


@dataclass(frozen=True)
class ChildOptions:
    """How each timed build runs: profiled, with extra Spark conf, keeping its event log."""

    cprofile: Path | None = None
    conf: tuple[str, ...] = ()
    event_logs: Path | None = None


def in_child(build: str, data_dir: Path, scenario: str, options: ChildOptions | None = None) -> Run:
    """Run one build in a fresh Python process with a Spark event log; time the process."""
    options = options or ChildOptions()
    cprofile = options.cprofile
    with tempfile.TemporaryDirectory(prefix="goldmine-speed-run-") as tmp:
        log_dir = Path(tmp) / "events"
        log_dir.mkdir()
        # Passed to the child's session (not a SPARK_CONF_DIR: another class path would
        # keep the driver from mapping its class-data archive, ADR 0029).
        conf = {"spark.eventLog.enabled": "true", "spark.eventLog.dir": f"file://{log_dir}",
                **dict(kv.partition("=")[::2] for kv in options.conf)}  # fmt: skip
        result = Path(tmp) / "result.json"
        env = {**os.environ, CHILD_CONF: json.dumps(conf), "GOLDMINE_DATA_DIR": str(data_dir),
               "GOLDMINE_JAR_DIR": str(REPO / ".cache" / "jars")}  # fmt: skip
        command = [sys.executable, "-m", "benchmarks.speed", "--child", build,
                   "--result", str(result)]  # fmt: skip
        if cprofile is not None:
            cprofile.mkdir(parents=True, exist_ok=True)
            out = cprofile.resolve() / f"{scenario}-{build}.prof"
            command[1:1] = ["-m", "cProfile", "-o", str(out)]
        started = time.perf_counter()
        done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        ended_at = time.time()  # its output closed: the child and its JVM have exited
        run = Run(scenario, build, round(seconds, 1), ok=done.returncode == 0)
        if not run.ok:
            run.error = (done.stderr or done.stdout).strip().splitlines()[-1:][0][:300]
        if result.exists():
            run.steps = json.loads(result.read_text())
            run.steps["end_s"] = round(ended_at - run.steps.pop("done_at"), 2)
        logs = sorted(log_dir.iterdir())
        if logs:
            _count_events(logs[0], run)
            if options.event_logs is not None:
                options.event_logs.mkdir(parents=True, exist_ok=True)
                shutil.copy(logs[0], options.event_logs / f"{scenario}-{build}.eventlog")
    print(f"  {scenario} {build}: {run.seconds:.1f} s, {run.jobs} Spark jobs"
          + ("" if run.ok else f" FAILED: {run.error}"), flush=True)  # fmt: skip
    return run


def _count_events(path: Path, run: Run) -> None:
    """Fill ``run``'s Spark counts from an event log."""
    jobs: dict[int, list[int]] = {}
    for line in path.open():
        event = json.loads(line)
        kind = event["Event"]
        if kind == "SparkListenerJobStart":
            jobs[event["Job ID"]] = [event["Submission Time"], event["Submission Time"]]
        elif kind == "SparkListenerJobEnd":
            jobs[event["Job ID"]][1] = event["Completion Time"]
        elif kind == "SparkListenerStageCompleted":
            run.stages += 1
            run.tasks += event["Stage Info"]["Number of Tasks"]
        elif kind.endswith("SQLExecutionStart"):
            run.sql += 1
    run.jobs = len(jobs)
    busy, end = 0, 0
    for start, finish in sorted(jobs.values()):
        if finish > end:
            busy += finish - max(start, end)
            end = finish
    run.inside_jobs_s = round(busy / 1000, 1)


def _child(build: str, result: Path | None) -> int:
    """Run one build against the services of ``GOLDMINE_DATA_DIR`` (started by the parent)."""
    started = time.perf_counter()
    from goldmine.cli._process_end import end_process
    from goldmine.platform import connect
    from goldmine.settings import load_settings
    from goldmine.spark import build_session, small_landing

    platform = connect(load_settings())
    steps: dict[str, Any] = {"connect_s": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    overrides = json.loads(os.environ.get(CHILD_CONF, "{}"))
    # as the build commands start it (goldmine.cli._context.build_command_session)
    small = small_landing(platform.aws.s3(), platform.settings.buckets.landing)
    spark = build_session(
        platform.aws, app_name=f"speed-{build}", overrides=overrides, quick_jit=small
    )
    steps["spark_start_s"] = round(time.perf_counter() - started, 2)
    steps.update(run_build(build, platform, spark))
    steps["done_at"] = time.time()  # the parent times the process's end from here
    if result is not None:
        result.write_text(json.dumps(steps))
    end_process()  # as the ``goldmine`` command ends (ADR 0045); the parent waits for the JVM
    return 0


def run_build(build: str, platform: Any, spark: Any) -> dict[str, Any]:
    """Build what landed as the build's command does; return its figures (steps, batches).

    The lake ingests first (every landed date; a rerun copies nothing); the mesh
    publishes its products as ``mesh publish`` does, the ready ones at once.
    """
    steps: dict[str, Any] = {}
    if build == "lake":
        from lake import build as build_lake
        from lake import ingest

        started = time.perf_counter()
        ingest(platform, None)  # every landed date (a rerun copies nothing)
        steps["ingest_s"] = round(time.perf_counter() - started, 2)
        built = build_lake(platform, spark)
        steps["batches"] = len(built.batches)
        if built.steps is not None:
            steps["plan"] = [[s.name, round(s.seconds, 2), s.spark_jobs] for s in built.steps.steps]
    elif build == "lakehouse":
        from lakehouse import build_lakehouse

        summary = build_lakehouse(spark, platform)
        steps["batches"] = len(summary.batches.get("silver", []))
        if summary.steps is not None:
            steps["plan"] = [
                [s.name, round(s.seconds, 2), s.spark_jobs] for s in summary.steps.steps
            ]
    else:
        import mesh

        landing = mesh.Landing(platform.aws.s3(), platform.settings)  # as mesh publish does
        results = mesh.publish_products(  # as mesh publish does: the ready ones at once
            spark,
            mesh.PUBLISH_ORDER,
            lambda session, product: mesh.publish_product(
                platform, session, product, landing=landing
            ),
        )
        summed: dict[str, tuple[float, int]] = {}  # each publish step over every product
        for product_id, published in results.items():
            if not published.published:
                raise SystemExit(f"{product_id} refused: {published.check.summary()}")
            for s in published.steps.steps if published.steps is not None else ():
                seconds, jobs = summed.get(s.name, (0.0, 0))
                summed[s.name] = (seconds + s.seconds, jobs + s.spark_jobs)
        steps["plan"] = [[name, round(s, 2), j] for name, (s, j) in summed.items()]
    return steps


def _reference(scenario: str, source: Path, days: list[Any]) -> Run:
    """Time the single-node DuckDB reference on every landed file of the scenario."""
    from benchmarks.reference_gold import build_reference_gold

    started = time.perf_counter()
    gold = build_reference_gold(source)
    seconds = time.perf_counter() - started
    rows = {name: len(frame) for name, frame in gold.items()}
    print(f"  {scenario} reference (DuckDB): {seconds:.2f} s, gold rows {rows}", flush=True)
    return Run(scenario, "reference", round(seconds, 2), steps={"rows": rows, "days": len(days)})


def _print_table(scenario: str, best: dict[str, Run]) -> None:
    reference = best.get("reference")
    print(f"\n{scenario}: build | wall s | x reference | jobs | stages | tasks | SQL | "
          "in jobs s | Delta commits")  # fmt: skip
    for build, run in best.items():
        ratio = run.seconds / reference.seconds if reference and reference.seconds else 0.0
        print(f"  {build:9s} | {run.seconds:7.1f} | {ratio:8.0f}x | {run.jobs:4d} | "
              f"{run.stages:5d} | {run.tasks:5d} | {run.sql:4d} | {run.inside_jobs_s:6.1f} | "
              f"{run.delta_commits:3d}" + ("" if run.ok else "  FAILED"))  # fmt: skip
    for build, run in best.items():
        if run.steps.get("plan"):
            before = ", ".join(
                f"{name} {run.steps[key]:.1f} s"
                for name, key in (("imports+connect", "connect_s"),
                                  ("spark start", "spark_start_s"), ("ingest", "ingest_s"))
                if key in run.steps
            )  # fmt: skip
            steps = ", ".join(f"{n} {s:.1f} s/{j}" for n, s, j in run.steps["plan"])
            print(f"  {build} before the plan: {before}; steps (s/Spark jobs): {steps}; "
                  f"then the process's end (the JVM's too) {run.steps['end_s']:.2f} s")  # fmt: skip
    print(flush=True)


if __name__ == "__main__":
    sys.exit(main())
