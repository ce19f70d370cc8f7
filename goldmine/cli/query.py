"""``goldmine query``: Athena SQL on the gold tables of a build, with an engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cli._context import get_platform

console = Console()


def query(
    sql: Annotated[str, typer.Argument(help="One SELECT in Athena (Trino) SQL.")],
    build: Annotated[
        str, typer.Option(help="Gold tables of: lake, lakehouse or mesh.")
    ] = "lakehouse",
    engine: Annotated[
        str,
        typer.Option(
            help="local (DuckDB, the fast default), spark, trino (a local Trino server: "
            "Athena's engine, the referee) or athena (AWS)."
        ),
    ] = "local",
    output_format: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write the result to this file.")] = None,
    explain: Annotated[
        bool,
        typer.Option(
            help="Show the SQL the engine runs and the tables/partitions/files read "
            "(on trino: Trino's plan)."
        ),
    ] = False,
) -> None:
    """Answer an analyst question on the gold tables (unqualified names: the build's gold).

    Example: goldmine query "SELECT category, SUM(revenue_usd) FROM daily_sales GROUP BY 1"

    Example: goldmine query --engine trino "SELECT approx_distinct(store_id) FROM daily_sales"
    """
    from goldmine.query import BUILDS, ENGINES, explain_query, run_query

    if build not in BUILDS:
        raise typer.BadParameter(f"--build must be one of {', '.join(BUILDS)}")
    if engine not in ENGINES:
        raise typer.BadParameter(f"--engine must be one of {', '.join(ENGINES)}")
    if output_format not in ("table", "csv", "json"):
        raise typer.BadParameter("--format must be table, csv or json")
    platform = get_platform()
    if explain:
        plan = explain_query(platform, sql, build, engine)
        # the SQL and Trino's plan hold brackets ("[store_id, sum]"): printed without markup
        console.print(f"[bold]{engine} SQL[/bold]")
        console.print(plan.plan.engine_sql, highlight=False, markup=False)
        if plan.engine_plan is not None:
            console.print(f"[bold]{engine} plan[/bold]")
            console.print(plan.engine_plan, highlight=False, markup=False)
        for name, files in plan.files.items():
            version = f", Delta version {files.version}" if files.version is not None else ""
            console.print(
                f"[bold]{name}[/bold]: {len(files.files)} files, "
                f"{len(files.partitions)} partitions{version}",
                highlight=False,
            )
            for partition in files.partitions:
                console.print(f"  partition {partition}", highlight=False)
            for path in files.files:
                console.print(f"  file {path}", highlight=False)
        return
    result = run_query(platform, sql, build, engine)
    frame = result.frame
    if output_format == "csv":
        text = frame.to_csv(index=False)
    elif output_format == "json":
        text = json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2)
    else:
        text = ""
    if output is not None:
        output.write_text(text or frame.to_csv(index=False), encoding="utf-8")
        console.print(f"{len(frame)} rows written to {output}")
    elif text:
        typer.echo(text, nl=False)
    else:
        table = Table(title=f"{build} / {engine}: {len(frame)} rows in {result.seconds:.2f} s")
        for column in frame.columns:
            table.add_column(str(column))
        for row in frame.astype(object).itertuples(index=False):
            table.add_row(*["" if v is None else str(v) for v in row])
        console.print(table)
    if result.bytes_scanned is not None:
        console.print(
            f"scanned {result.bytes_scanned:,} bytes, cost ${result.cost_usd:.6f} "
            "($5/TB, 10 MB minimum)"
        )
