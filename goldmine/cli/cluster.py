"""``goldmine local cluster``: a Spark standalone cluster (master + 2 workers) on loopback."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cli._context import get_settings

app = typer.Typer(
    help=(
        "Start, stop and inspect a real Spark standalone cluster on this machine "
        "(one master, two workers; executors run in their own processes).\n\n"
        "Example: goldmine local cluster up && goldmine jobs submit smoke --target standalone"
    ),
    no_args_is_help=True,
)
console = Console()


@app.command()
def up() -> None:
    """Start the master and two workers (no-op when they run); wait until both are ALIVE.

    Example: goldmine local cluster up
    """
    from goldmine.jobs import cluster_up

    with console.status("starting the Spark master and workers"):
        status = cluster_up(get_settings())
    console.print(f"master   {status.master_url}")
    console.print(f"web UI   {status.webui_url}")
    console.print(f"workers  {status.alive_workers} ALIVE")
    console.print(f"logs     {status.logs}")


@app.command()
def down() -> None:
    """Stop the master and workers.

    Example: goldmine local cluster down
    """
    from goldmine.jobs import cluster_down

    stopped = cluster_down(get_settings())
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def status() -> None:
    """Show the master URL, web UI and ALIVE workers; exits 1 when the cluster is down.

    Example: goldmine local cluster status
    """
    from goldmine.jobs import cluster_status

    state = cluster_status(get_settings())
    table = Table("master", "web UI", "running", "ALIVE workers", "pids")
    table.add_row(
        state.master_url or "-",
        state.webui_url or "-",
        "yes" if state.running else "no",
        str(state.alive_workers),
        ", ".join(f"{k}={v}" for k, v in state.pids.items()) or "-",
    )
    console.print(table)
    if not state.running:
        raise typer.Exit(1)
