"""The ``goldmine`` command line: a thin layer over the library, one module per group."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from goldmine.cli import (
    _context,
    catalog,
    cost,
    demo,
    iam,
    infra,
    jobs,
    lake,
    lakehouse,
    local,
    mesh,
    query,
    report,
    sales,
    secrets,
)
from goldmine.cli._process_end import end_process

app = typer.Typer(
    help=(
        "goldmine: one sales dataset built as a raw S3 lake, a Delta lakehouse and a "
        "data mesh, on AWS or on embedded local services.\n\n"
        "Example: goldmine demo"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(local.app, name="local")
app.add_typer(catalog.app, name="catalog")
app.add_typer(sales.app, name="sales")
app.add_typer(lake.app, name="lake")
app.add_typer(lakehouse.app, name="lakehouse")
app.add_typer(jobs.app, name="jobs")
app.add_typer(secrets.app, name="secrets")
app.add_typer(cost.app, name="cost")
app.add_typer(iam.app, name="iam")
app.add_typer(infra.app, name="infra")
app.add_typer(mesh.app, name="mesh")
app.command(name="demo")(demo.demo)
app.command(name="query")(query.query)
app.command(name="report")(report.report)

_err = Console(stderr=True)


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the full trace on errors.")] = False,
) -> None:
    _context.start(debug=debug)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; errors print one line (the full trace with ``--debug``) and exit 1."""
    try:
        # Without standalone mode, click returns (not raises) a command's exit code.
        result = app(args=argv, standalone_mode=False)
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        _err.print("[red]aborted[/red]")
        return 130
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        if _context.is_debug():
            _err.print_exception()
        _err.print(
            f"[red]error:[/red] {type(exc).__name__}: {exc}", highlight=False, soft_wrap=True
        )
        return 1
    return result if isinstance(result, int) else 0


def run() -> None:
    """Run the ``goldmine`` command (:func:`main`), then end the process at once (ADR 0045)."""
    code = main()
    end_process()
    sys.exit(code)


if __name__ == "__main__":
    run()
