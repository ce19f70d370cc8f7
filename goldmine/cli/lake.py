"""``goldmine lake``: the raw S3 data lake (landing -> raw -> curated -> analytics)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from goldmine.cli._context import build_command_session, get_platform
from goldmine.cli._lease import NoWaitOption, holds_lease, run_lease
from goldmine.cli._steps import print_steps
from goldmine.lease import LAKE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from lake import BuildResult, IngestResult

app = typer.Typer(
    help=(
        "The raw S3 data lake: ingest landed batches, build curated and analytics zones, "
        "show status.\n\nExample: goldmine lake ingest --all && goldmine lake build"
    ),
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Raw S3 data lake commands."""


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


def _progress() -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@app.command("ingest")
def ingest_command(
    date: Annotated[
        str | None,
        typer.Option("--date", help="Ingest date to copy (YYYY-MM-DD). Example: --date 2025-01-06"),
    ] = None,
    all_dates: Annotated[
        bool, typer.Option("--all", help="Copy every landed date. Example: --all")
    ] = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Copy landed batches, byte for byte, into the raw zone (a rerun is a no-op).

    Example: goldmine lake ingest --date 2025-01-06
    """
    day = _parse_date(date)
    if (day is None) == (not all_dates):
        raise typer.BadParameter("give exactly one of --date D or --all")
    # The lease is taken once the options are checked: a usage error starts no service.
    with run_lease(LAKE, no_wait=no_wait):
        results = _ingest_with_progress(None if day is None else [day])
    table = Table(title=f"Ingested into s3://{get_platform().settings.buckets.raw}")
    for column in ("batch", "files", "copied", "already raw", "bytes", "problems"):
        table.add_column(column, justify="left" if column in {"batch", "problems"} else "right")
    for r in results:
        problems = "; ".join(f"{f.raw_key}: {f.problem}" for f in r.files if f.problem)
        table.add_row(
            r.batch_id,
            str(len(r.files)),
            str(len(r.copied)),
            str(r.skipped),
            f"{r.bytes:,}",
            problems or "-",
        )
    Console().print(table)


def _ingest_with_progress(days: list[dt.date] | None) -> list[IngestResult]:
    """Ingest ``days`` (every landed date when ``None``) with a progress bar."""
    from lake import ingest

    with _progress() as bar:
        task = bar.add_task("ingest", total=None)

        def progress(done: int, total: int, result: IngestResult) -> None:
            bar.update(task, completed=done, total=total, description=f"batch {result.batch_id}")

        return ingest(get_platform(), days, progress=progress)


@app.command("build")
@holds_lease(LAKE)
def build_command(
    date_from: Annotated[
        str | None,
        typer.Option("--from", help="First ingest date to build. Example: --from 2025-01-06"),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option("--to", help="Last ingest date to build. Example: --to 2025-01-12"),
    ] = None,
    no_wait: NoWaitOption = False,
) -> None:
    """Build the curated and analytics zones from raw batches not built yet.

    Example: goldmine lake build --from 2025-01-06 --to 2025-01-12
    """
    from goldmine.spark import SessionOnDemand
    from lake import build

    platform = get_platform()
    with _progress() as bar:
        task = bar.add_task("finding raw batches to build", total=None)

        def start() -> SparkSession:
            bar.update(task, description="starting Spark")
            return build_command_session("goldmine-lake-build")

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=step)

        spark = SessionOnDemand(start)  # a build with nothing to do starts no Spark
        # Not stopped here: the session ends with the process, unwaited (ADR 0045).
        result = build(
            platform,
            spark,
            date_from=_parse_date(date_from),
            date_to=_parse_date(date_to),
            progress=progress,
        )
    _print_build(result, spark_started=spark.started)


def _print_build(result: BuildResult, *, spark_started: bool) -> None:
    for batch_id, why in sorted(result.waiting.items()):
        Console().print(f"[yellow]waiting[/yellow] batch {batch_id}: {why}", soft_wrap=True)
    if not result.batches:
        Console().print(
            "nothing to build: every raw batch in range is built already"
            + ("" if spark_started else " (Spark not started)")
        )
        return
    for batch_id in result.late:
        Console().print(
            f"[yellow]late files[/yellow] batch {batch_id} gained files after it was built: "
            "built again whole"
        )
    table = Table(title=f"Built batches {', '.join(result.batches)}")
    for column in ("feed", "read", "accepted", "quarantined", "duplicates"):
        table.add_column(column, justify="left" if column == "feed" else "right")
    for feed, c in sorted(result.counts.items()):
        table.add_row(
            feed, f"{c.read:,}", f"{c.accepted:,}", f"{c.quarantined:,}", f"{c.duplicates:,}"
        )
    Console().print(table)
    Console().print(
        f"quarantined items: {result.quarantined_items:,}; rows written: "
        + ", ".join(f"{t} {n:,}" for t, n in sorted(result.rows_written.items()))
    )
    for rejected in result.rejected_files:
        Console().print(f"[yellow]rejected[/yellow] {rejected}")
    print_steps(Console(), result.steps)


@app.command("status")
def status_command() -> None:
    """Show batches processed, rows and bytes per zone, and quarantine counts.

    Example: goldmine lake status
    """
    from lake import lake_status

    status = lake_status(get_platform())
    out = Console()
    _print_leases(out, LAKE)
    out.print(
        f"batches ingested: {len(status.ingested)}, built: {len(status.built)}, "
        f"pending: {', '.join(status.pending) or 'none'}"
    )
    table = Table(title="Zones")
    for column in ("zone", "bucket", "objects", "bytes", "rows per table"):
        table.add_column(column, justify="right" if column in {"objects", "bytes"} else "left")
    for zone in status.zones:
        rows = ", ".join(f"{t} {n:,}" for t, n in zone.rows.items()) or "-"
        table.add_row(zone.zone, zone.bucket, f"{zone.objects:,}", f"{zone.bytes:,}", rows)
    out.print(table)
    quarantine = Table(title="Quarantine by reason")
    quarantine.add_column("reason")
    quarantine.add_column("records", justify="right")
    for reason, count in status.quarantine.items():
        quarantine.add_row(reason, f"{count:,}")
    out.print(quarantine)
    for rejected in status.rejected_files:
        out.print(f"[yellow]rejected[/yellow] {rejected}")


def _print_leases(out: Console, lease: str) -> None:
    from goldmine.lease import lease_lines

    for line in lease_lines(get_platform().aws, lease):
        out.print(line, highlight=False, markup=False, soft_wrap=True)
