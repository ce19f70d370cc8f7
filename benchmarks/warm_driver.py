"""Warm-driver benchmark: what a daily batch onto a month costs once the JVM is warm.

A build command is a process of its own, as a scheduled EMR job is (ADR 0048): each
run pays the JVM's start and its warm-up (class loading, the interpreter, the JIT).
This measures what is left without them, the floor under the month row of
:mod:`benchmarks.speed`: 30 days at the month scenario's scale built first (not
timed), then

- one daily batch (day 31) built **cold**, in a process of its own, as
  ``benchmarks.speed --scenario month`` times it;
- the next ``--batches`` days built one after another in **one** process (a session
  started once, each day landed and then built as the build command builds it): the
  first of them pays the warm-up, the later ones run on a warm driver.

Each figure is the build alone (for the lake its ingest too; no interpreter or JVM
start), with the day's order lines beside it (days differ in size).

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.warm_driver                  # the three builds, 4 batches
    .venv/bin/python -m benchmarks.warm_driver --builds lakehouse --batches 3
"""

from __future__ import annotations

import argparse
import sys
import time

from benchmarks.speed import (
    BUILDS,
    SCENARIOS,
    ChildOptions,
    fresh_platform,
    in_child,
    land,
    run_build,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--builds", nargs="+", choices=BUILDS, default=list(BUILDS))
    parser.add_argument(
        "--batches", type=int, default=4, help="days built in one process after the cold one"
    )
    args = parser.parse_args(argv)
    for build in args.builds:
        cold, warm = _measure(build, args.batches)
        floor = min(seconds for _, _, seconds in warm[1:]) if len(warm) > 1 else None
        print(f"\n{build}: cold {cold[2]:.1f} s ({cold[0]}, {cold[1]:,} order lines, own process)")
        for day, lines, seconds in warm:
            print(f"  in one process: {day} ({lines:,} order lines) {seconds:.1f} s")
        if floor is not None:
            print(f"  warm floor {floor:.1f} s = {floor / cold[2]:.2f} x cold", flush=True)
    return 0


def _measure(
    build: str, batches: int
) -> tuple[tuple[str, int, float], list[tuple[str, int, float]]]:
    """Return ``(day, order lines, s)`` of the cold batch and of each batch in one process."""
    from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales
    from goldmine.spark import build_session, small_landing

    before, _, scale, seed = SCENARIOS["month"]
    with fresh_platform("goldmine-warm-driver-") as (data_dir, platform):
        source = data_dir / "source"
        config = GeneratorConfig(days=before + 1 + batches, scale=scale, seed=seed)
        manifests = generate_sales(DirectorySink(source), config, keep_details=False)
        lines = {m.ingest_date: m.order_lines for m in manifests}
        days = sorted(lines)
        s3, landing = platform.aws.s3(), platform.settings.buckets.landing
        land(s3, landing, source, days[:before], with_stores=True)
        in_child(build, data_dir, "month", ChildOptions())  # the month (not timed)
        land(s3, landing, source, days[before : before + 1], with_stores=False)
        cold_run = in_child(build, data_dir, "month", ChildOptions())
        if not cold_run.ok:
            raise SystemExit(f"{build} failed: {cold_run.error}")
        cold = (days[before].isoformat(), lines[days[before]], cold_run.seconds)
        spark = build_session(
            platform.aws, app_name=f"warm-{build}", quick_jit=small_landing(s3, landing)
        )
        warm = []
        for day in days[before + 1 :]:
            land(s3, landing, source, [day], with_stores=False)
            started = time.perf_counter()
            run_build(build, platform, spark)
            warm.append((day.isoformat(), lines[day], round(time.perf_counter() - started, 1)))
        spark.stop()
        return cold, warm


if __name__ == "__main__":
    sys.exit(main())
