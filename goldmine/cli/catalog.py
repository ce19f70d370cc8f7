"""``goldmine catalog``: keep the Glue Data Catalog in step with storage."""

from __future__ import annotations

import typer
from rich.console import Console

from goldmine.catalog import sync_catalog
from goldmine.cli._context import get_platform

app = typer.Typer(
    help="Manage the Glue Data Catalog.\n\nExample: goldmine catalog sync",
    no_args_is_help=True,
)
console = Console()


@app.callback()
def _group() -> None:
    """Keep ``sync`` a subcommand."""


@app.command()
def sync() -> None:
    """Re-register every table whose descriptor is stored with its data.

    Example: goldmine catalog sync
    """
    platform = get_platform()
    tables = sync_catalog(
        platform.aws.client("glue"), platform.aws.s3(), platform.settings.buckets.all().values()
    )
    for name in tables:
        console.print(f"registered {name}")
    console.print(f"{len(tables)} tables registered from storage")
