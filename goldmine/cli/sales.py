"""``goldmine sales``: generate the sales source system's landing feeds, or land real ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from goldmine.sales import (
    DEFAULT_START_DATE,
    DIRT_KINDS,
    BatchManifest,
    DirectorySink,
    GeneratorConfig,
    LandingSink,
    S3Sink,
    generate_sales,
)

app = typer.Typer(
    help=(
        "The sales source system: generate its daily landing batches, or land a real "
        "export.\n\n"
        "Example: goldmine sales generate --days 7 --scale 0.05 --out ./landing\n\n"
        "Example: goldmine sales land ./export"
    ),
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Generate or land the sales source (orders, customers, products, stores, fx rates)."""


def _parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}") from None


@app.command("generate")
def generate(
    days: Annotated[
        int, typer.Option(min=1, help="Business days, one batch each. Example: --days 7")
    ] = 7,
    scale: Annotated[
        float,
        typer.Option(
            min=0.0001,
            help="Size: about 10,000 order lines per day at scale 1. Example: --scale 0.05",
        ),
    ] = 1.0,
    seed: Annotated[
        int, typer.Option(help="Random seed; same seed, same bytes. Example: --seed 42")
    ] = 42,
    start_date: Annotated[
        str,
        typer.Option(
            help="Ingest date of the first batch (YYYY-MM-DD). Example: --start-date 2025-01-06"
        ),
    ] = DEFAULT_START_DATE.isoformat(),
    promo_from_day: Annotated[
        int,
        typer.Option(
            min=1, help="Batch number from which promo_code appears. Example: --promo-from-day 4"
        ),
    ] = 4,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Write to this local directory instead of the landing bucket. "
            "Example: --out ./landing",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Generate DAYS daily batches into the landing bucket (or --out DIR).

    Example: goldmine sales generate --days 10 --scale 100 --seed 7
    """
    try:
        config = GeneratorConfig(
            days=days,
            scale=scale,
            seed=seed,
            start_date=_parse_date(start_date),
            promo_from_day=promo_from_day,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise typer.BadParameter(f"{first['loc'][0]}: {first['msg']}") from None
    sink: LandingSink
    if out is not None:
        sink, target = DirectorySink(out), str(out)
    else:
        from goldmine.cli._context import get_platform

        platform = get_platform()
        bucket = platform.settings.buckets.landing
        sink, target = S3Sink(platform.aws.s3(), bucket), f"s3://{bucket}"

    total_lines = config.days * config.lines_per_day
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        task = bar.add_task(f"batch 1/{days}", total=total_lines)

        def progress(batches_done: int, total: int, lines: int) -> None:
            shown = min(batches_done + 1, total)
            bar.update(
                task, completed=min(lines, total_lines), description=f"batch {shown}/{total}"
            )

        manifests = generate_sales(sink, config, progress=progress, keep_details=False)
        bar.update(task, completed=total_lines)
    _print_summary(manifests, target)


def _print_summary(manifests: list[BatchManifest], target: str) -> None:
    files = [f for m in manifests for f in m.files]
    table = Table(title=f"Sales source generated into {target}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("batches", f"{len(manifests)}")
    table.add_row("files", f"{len(files)}")
    table.add_row("order lines", f"{sum(m.order_lines for m in manifests):,}")
    table.add_row("bytes", f"{sum(f.bytes for f in files):,}")
    table.add_row(
        "bad records (expected quarantine)", f"{sum(m.bad_record_count for m in manifests):,}"
    )
    table.add_row("duplicates (D1)", f"{sum(m.duplicate_count for m in manifests):,}")
    for kind in DIRT_KINDS:
        table.add_row(f"dirt {kind}", f"{sum(m.dirt_counts.get(kind, 0) for m in manifests):,}")
    Console().print(table)


@app.command("land")
def land(
    directory: Annotated[
        Path,
        typer.Argument(
            help="A directory laid out as the landing bucket (DATASET.md section 1). "
            "Example: ./export",
            exists=True,
            file_okay=False,
            show_default=False,
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option(help="Decide every file, upload nothing. Example: --dry-run")
    ] = False,
) -> None:
    """Upload DIR's source files to the landing bucket, append-only.

    A file's key is its path under DIR, in the layout of DATASET.md section 1.

    Refused (one line each, exit 1): keys outside the layout, changed landed files.

    Skipped: files already landed with the same bytes. A summary per batch follows.

    Example: goldmine sales land ./export
    """
    from goldmine.cli._context import get_platform
    from goldmine.landing import land_directory

    platform = get_platform()
    bucket = platform.settings.buckets.landing
    with console.status(f"landing {directory} in s3://{bucket}") as status:
        report = land_directory(
            platform.aws.s3(),
            bucket,
            directory,
            dry_run=dry_run,
            progress=lambda k: status.update(f"{k.outcome} {k.key}"),
        )
    out = Console(soft_wrap=True)
    for refused in report.refused:
        out.print(f"[red]refused[/red] {refused.key}: {refused.reason}", highlight=False)
    verb = "would land" if dry_run else "landed"
    table = Table(title=f"{directory} -> s3://{bucket}" + (" (dry run)" if dry_run else ""))
    for column in ("batch", verb, "skipped (same bytes)", "refused"):
        table.add_column(column, justify="left" if column == "batch" else "right")
    for batch, counts in report.by_batch().items():
        table.add_row(batch, *(str(counts[o]) for o in ("landed", "skipped", "refused")))
    out.print(table)
    if report.refused:
        raise typer.Exit(1)
