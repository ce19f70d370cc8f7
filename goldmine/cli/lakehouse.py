"""``goldmine lakehouse``: build the Delta lakehouse and maintain its tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from goldmine.cli._context import build_command_session, get_platform
from goldmine.cli._lease import NoWaitOption, holds_lease
from goldmine.lease import LAKEHOUSE

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

app = typer.Typer(
    help=(
        "The Delta lakehouse: bronze -> silver -> gold with MERGE, SCD2, quarantine, "
        "and table maintenance.\n\nExample: goldmine lakehouse build"
    ),
    no_args_is_help=True,
)
console = Console()

LayerOption = Annotated[
    list[str] | None,
    typer.Option(
        "--layer",
        help="Layer to build (repeatable): bronze, silver or gold. Default: all three.",
    ),
]
BatchOption = Annotated[
    list[str] | None,
    typer.Option(
        "--batch",
        help="Batch id YYYYMMDD (repeatable). Default: every landed batch not yet built.",
    ),
]


def _spark() -> SparkSession:
    from goldmine.spark import build_session

    return build_session(get_platform().aws, app_name="goldmine-lakehouse")


@app.callback()
def _group() -> None:
    """Build and maintain the Delta lakehouse."""


@app.command()
@holds_lease(LAKEHOUSE)
def build(
    layer: LayerOption = None, batch: BatchOption = None, no_wait: NoWaitOption = False
) -> None:
    """Build bronze, silver and gold for the pending (or given) batches; register them.

    Every table update is one atomic, idempotent Delta commit: a rerun, or a replay
    of a batch, commits nothing new; a failed run leaves each table at its last
    committed version.

    Example: goldmine lakehouse build --layer bronze --layer silver --batch 20250106
    """
    from goldmine.spark import SessionOnDemand
    from lakehouse import LAYERS, build_lakehouse

    layers = tuple(layer or LAYERS)
    bad = [name for name in layers if name not in LAYERS]
    if bad:
        raise typer.BadParameter(f"unknown layer {', '.join(bad)}: use {', '.join(LAYERS)}")
    platform = get_platform()
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("reading the ledger", total=None)

        def start() -> SparkSession:
            progress.update(task, description="starting Spark")
            return build_command_session("goldmine-lakehouse")

        spark = SessionOnDemand(start)  # nothing pending: no Spark (ADR 0036)
        summary = build_lakehouse(
            spark,
            platform,
            layers=layers,
            batches=batch,
            progress=lambda step: progress.update(task, description=step),
        )
        progress.update(task, description="done")
    for line in summary.lines():
        console.print(line)
    if not spark.started:
        console.print("nothing pending: Spark not started")


@app.command()
def status() -> None:
    """Show every table: version, rows, files and the batches each layer finished.

    Read from the tables' logs and the ledger with delta-rs: no Spark.

    Example: goldmine lakehouse status
    """
    from goldmine.read_delta import delta_summary
    from lakehouse import LAYERS, TABLES, finished_batches

    platform = get_platform()
    options = platform.aws.storage_options()
    out = Table("table", "version", "rows", "files", "grain")
    for name, info in TABLES.items():  # read from each table's log with delta-rs: no Spark
        found = delta_summary(info.uri(platform.settings), options)
        if found is None:
            out.add_row(name, "-", "-", "-", info.grain)
        else:
            out.add_row(name, str(found.version), str(found.rows), str(found.files), info.grain)
    console.print(out)
    for layer in LAYERS:
        done = sorted(finished_batches(platform.settings, platform.aws.storage_options(), layer))
        console.print(f"{layer} finished batches: {', '.join(done) or '(none)'}")
    from goldmine.lease import lease_lines

    for line in lease_lines(platform.aws, LAKEHOUSE):
        console.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command()
def register() -> None:
    """Register every lakehouse table in Glue (Athena v3 reads it as DELTA), tagged.

    Example: goldmine lakehouse register
    """
    from lakehouse import register_tables

    for name in register_tables(get_platform()):
        console.print(f"registered {name}")


@app.command()
@holds_lease(LAKEHOUSE)
def optimize(
    table: Annotated[
        list[str] | None, typer.Option("--table", help="layer.name (repeatable); default all.")
    ] = None,
    max_file_mb: Annotated[
        int | None,
        typer.Option(
            "--max-file-mb", min=1, help="Target file size in MiB (default: Delta's, 1 GiB)."
        ),
    ] = None,
    no_wait: NoWaitOption = False,
) -> None:
    """Compact small files and Z-ORDER by the columns analysts filter by.

    Holds the lakehouse lease, as a build does: it waits for a running build (or
    exits 1 with --no-wait).

    Example: goldmine lakehouse optimize --table gold.daily_sales --max-file-mb 128
    """
    from lakehouse import optimize_tables

    max_bytes = None if max_file_mb is None else max_file_mb * 2**20
    results = optimize_tables(_spark(), get_platform().settings, table, max_file_bytes=max_bytes)
    out = Table("table", "zorder", "files removed", "files added")
    for r in results:
        out.add_row(r["table"], r["zorder"], str(r["files_removed"]), str(r["files_added"]))
    console.print(out)


@app.command()
@holds_lease(LAKEHOUSE)
def vacuum(
    table: Annotated[str, typer.Argument(help="layer.name, e.g. silver.orders")],
    retain_hours: Annotated[
        float, typer.Option("--retain-hours", help="Keep files needed within this many hours.")
    ] = 168.0,
    force: Annotated[
        bool, typer.Option("--force", help="Allow a retention below 168 hours.")
    ] = False,
    no_wait: NoWaitOption = False,
) -> None:
    """Delete data files no version within the retention needs (refuses < 168h).

    Holds the lakehouse lease, as a build does (--no-wait: exit 1 if it is held).

    Example: goldmine lakehouse vacuum silver.orders --retain-hours 336
    """
    from lakehouse import UnsafeRetentionError, vacuum_table

    try:
        vacuum_table(
            _spark(), get_platform().settings, table, retention_hours=retain_hours, force=force
        )
    except UnsafeRetentionError as exc:
        raise typer.BadParameter(str(exc)) from None
    console.print(f"vacuumed {table} (retention {retain_hours:g}h)")


@app.command()
def history(
    table: Annotated[str, typer.Argument(help="layer.name, e.g. gold.daily_sales")],
    limit: Annotated[int, typer.Option("--limit", help="Newest N versions.")] = 20,
) -> None:
    """Show a table's Delta history: version, commit time (UTC), operation, metrics.

    Read from the table's log with delta-rs: no Spark.

    Example: goldmine lakehouse history gold.daily_sales --limit 5
    """
    from lakehouse import table_history

    platform = get_platform()
    try:
        commits = table_history(platform.settings, platform.aws.storage_options(), table, limit)
    except LookupError as exc:
        raise typer.BadParameter(str(exc)) from None
    out = Table("version", "timestamp", "operation", "metrics")
    for commit in commits:
        metrics = ", ".join(f"{k}={v}" for k, v in sorted(commit.metrics.items()))
        stamp = commit.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        out.add_row(str(commit.version), stamp, commit.operation, metrics)
    console.print(out)


@app.command()
@holds_lease(LAKEHOUSE)
def restore(
    table: Annotated[str, typer.Argument(help="layer.name, e.g. silver.orders")],
    version: Annotated[int, typer.Option("--version", help="The version to restore.")],
    no_wait: NoWaitOption = False,
) -> None:
    """Restore a table to an earlier version (a new commit; history is kept).

    Holds the lakehouse lease, as a build does (--no-wait: exit 1 if it is held).

    Example: goldmine lakehouse restore silver.orders --version 3
    """
    from lakehouse import restore_table

    new = restore_table(_spark(), get_platform().settings, table, version)
    console.print(f"restored {table} to version {version} (now version {new})")
