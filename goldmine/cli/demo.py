"""``goldmine demo``: what ``make run`` runs (the three builds side by side)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cli._context import build_command_session, get_platform
from goldmine.cli._lease import NoWaitOption, run_leases

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.demo import DemoReport
    from goldmine.platform import Platform

console = Console()


def demo(
    days: Annotated[int, typer.Option(help="Days of source to generate.")] = 7,
    scale: Annotated[float, typer.Option(help="Source scale (1 = ~10k order lines/day).")] = 0.05,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 11,
    report: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the comparison report "
            "(default: <data_dir>/report/goldmine-report.html)."
        ),
    ] = None,
    at_once: Annotated[
        bool,
        typer.Option(
            "--at-once/--one-at-a-time",
            help="Run the three builds at once (one Spark application, a session each) "
            "or one after the other (each build's time alone).",
        ),
    ] = True,
    no_wait: NoWaitOption = False,
) -> None:
    """Generate a week, build the lake, lakehouse and mesh, answer questions on each.

    The three builds run at once by default, each on a Spark session of its own in one
    Spark application (ADR 0033); the status shows the current step of each. Prints a
    side-by-side summary: time, Spark jobs, rows per layer, quarantined records and
    storage per build, and the answers to three standard analyst questions (which
    must be the same on every build; exit 1 if they are not), then writes the
    comparison report (goldmine report) with this run's step timings and prints its path.
    It writes what the builds write, so it holds their leases for its builds (lake,
    lakehouse, every mesh product): it waits for a running build or publish, or exits 1
    with --no-wait.

    Example: goldmine demo --days 7 --scale 0.05
    """
    import mesh
    from goldmine.demo import BUILDS, run_demo
    from goldmine.lease import LAKE, LAKEHOUSE, mesh_lease
    from goldmine.spark import SessionOnDemand, dumped_archive, finish_session

    started = time.monotonic()
    leases = [LAKE, LAKEHOUSE, *(mesh_lease(p) for p in mesh.PUBLISH_ORDER)]
    with console.status("starting local services") as status:
        platform = get_platform()
        status.update("taking the leases of the lake, the lakehouse and the mesh")
        with run_leases(leases, no_wait=no_wait):

            def start() -> SparkSession:
                status.update("starting Spark")
                # no class-data archive yet (a fresh clone): the driver dumps it (ADR 0031)
                return build_command_session("goldmine-demo", dump_class_archive=True)

            spark = SessionOnDemand(start)  # once the week has landed: its size sets the JIT
            demo_report = run_demo(
                platform,
                spark,
                days=days,
                scale=scale,
                seed=seed,
                at_once=at_once,
                say=lambda m: status.update(m),
                log=lambda m: console.log(m),
            )
        status.update("writing the comparison report")
        path = _write_report(platform, demo_report, report)
    _print_builds(demo_report, BUILDS)
    _print_answers(demo_report)
    problems = demo_report.disagreements()
    console.print(f"wall time {time.monotonic() - started:.1f} s")
    console.print(f"report: {path}")
    if spark.started and dumped_archive(spark()) is not None:
        finish_session(spark(), wait=False)  # a cache: nobody waits for it
        console.print(
            "the Spark driver saves its class-data archive as it exits, once, in the "
            "background: the next Spark start maps it (ADR 0031)"
        )
    if problems:
        console.print("[red]the builds disagree:[/red] " + "; ".join(problems))
        raise typer.Exit(1)
    console.print("[green]the three builds give the same answers[/green]")


def _write_report(platform: Platform, demo_report: DemoReport, output: Path | None) -> Path:
    from goldmine.cli.report import default_report_path
    from goldmine.report import collect_report, write_report

    data = collect_report(
        platform,
        timings=demo_report.timings(),
        timings_source="this goldmine demo run"
        + (", the three builds at once (their steps overlap)" if demo_report.at_once else ""),
    )
    return write_report(data, output or default_report_path(platform.settings.data_dir))


def _print_builds(report: DemoReport, builds: tuple[str, ...]) -> None:
    table = Table(
        title=f"one week, three builds ({report.batches} batches, "
        f"{report.order_lines:,} order lines landed in {report.landing_seconds:.1f} s, "
        f"built in {report.builds_seconds:.1f} s)"
    )
    table.add_column("")
    for build in builds:
        table.add_column(build, justify="right")
    reports = [report.builds[b] for b in builds]
    label = "build time (at once)" if report.at_once else "build time"
    table.add_row(label, *(f"{r.seconds:.1f} s" for r in reports))
    table.add_row("Spark jobs", *(f"{r.spark_jobs:,}" for r in reports))
    table.add_row("storage", *(f"{r.storage_bytes / 1e6:.2f} MB" for r in reports))
    table.add_row(
        "quarantined (records + items)",
        *("-" if r.quarantined is None else f"{r.quarantined:,}" for r in reports),
    )
    layers = [sorted(r.rows.items()) for r in reports]
    for i in range(max(len(rows) for rows in layers)):
        cells = [f"{rows[i][0]}: {rows[i][1]:,}" if i < len(rows) else "" for rows in layers]
        table.add_row("rows per layer" if i == 0 else "", *cells)
    console.print(table)


def _print_answers(report: DemoReport) -> None:
    first = next(iter(report.builds.values()))
    for name, answer in first.answers.items():
        same = [b for b, r in report.builds.items() if name in r.answers]
        table = Table(title=f"{name} (answered on {', '.join(same)})")
        for column in answer.columns:
            table.add_column(str(column))
        for row in answer.head(10).itertuples(index=False):
            table.add_row(*(str(v) for v in row))
        console.print(table)
