"""``goldmine demo``: what ``make run`` runs."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cli._context import get_platform

console = Console()


def demo(
    days: Annotated[int, typer.Option(help="Days of source to generate.")] = 2,
    scale: Annotated[float, typer.Option(help="Source scale (1 = ~10k order lines/day).")] = 0.02,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 7,
) -> None:
    """Run the platform end to end on the local services and print a summary.

    Example: goldmine demo --days 2 --scale 0.02
    """
    from goldmine.smoke import land_source, run_smoke
    from goldmine.spark import build_session

    started = time.monotonic()
    with console.status("starting local services"):
        platform = get_platform()
    with console.status("starting Spark"):
        spark = build_session(platform.aws, app_name="goldmine-demo")
    with console.status(f"generating and landing {days} days of source"):
        manifests = land_source(platform, days=days, scale=scale, seed=seed)
    with console.status("reading the orders feed back through S3, writing Delta"):
        result = run_smoke(platform, spark, manifests)
    table = Table(title="goldmine demo (local)")
    table.add_column("step")
    table.add_column("result", justify="right")
    table.add_row("batches landed", str(result.batches))
    table.add_row("landing files", str(result.files))
    table.add_row("order lines generated", f"{result.order_lines_generated:,}")
    table.add_row("records read back with Spark (s3)", f"{result.records_read:,}")
    table.add_row("Delta rows read back", f"{result.delta_rows:,}")
    table.add_row("Delta version", str(result.delta_version))
    table.add_row("Glue table", result.table)
    table.add_row("location", result.location)
    table.add_row("wall time", f"{time.monotonic() - started:.1f} s")
    console.print(table)
