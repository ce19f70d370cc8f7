"""``goldmine cost``: audit cost tags and estimate the monthly bill."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cost import estimate_monthly, load_prices, measure
from goldmine.tags import audit_tags, tag_platform_buckets

app = typer.Typer(
    help=(
        "Audit cost tags and estimate the monthly cost of each architecture.\n\n"
        "Examples:\n\n"
        "  goldmine cost audit\n\n"
        "  goldmine cost estimate --prices my-prices.yaml"
    ),
    no_args_is_help=True,
)
console = Console()


def _platform() -> Any:
    """Return the running platform (``.settings``, ``.aws``); imported late for tests."""
    from goldmine.cli._context import get_platform

    return get_platform()


@app.command()
def audit() -> None:
    """List platform resources missing a required cost tag or with an invalid value.

    Exits 1 when any resource breaks the tag policy, 0 otherwise.

    Example: goldmine cost audit
    """
    platform = _platform()
    report = audit_tags(
        platform.aws.client("resourcegroupstaggingapi"),
        platform.settings,
        s3_client=platform.aws.s3(),
    )
    if report.ok:
        console.print(f"[green]ok[/green]: {len(report.resources)} platform resources comply")
        raise typer.Exit(0)
    table = Table(title="Cost tag violations")
    for column in ("resource", "tag", "problem", "found", "expected"):
        table.add_column(column)
    for finding in report.findings:
        v = finding.violation
        table.add_row(finding.arn, v.key, v.problem, v.value or "-", v.expected)
    console.print(table)
    console.print(
        f"[red]{len(report.noncompliant())} of {len(report.resources)} resources "
        f"break the tag policy[/red] (fix: goldmine cost tag-buckets, or the CDK app)"
    )
    raise typer.Exit(1)


@app.command("tag-buckets")
def tag_buckets() -> None:
    """Apply the policy tags to every existing platform bucket (keeps other tags).

    Example: goldmine cost tag-buckets
    """
    platform = _platform()
    tagged = tag_platform_buckets(platform.aws.s3(), platform.settings)
    for bucket, tags in tagged.items():
        console.print(f"{bucket}: domain={tags['domain']}")
    console.print(f"tagged {len(tagged)} buckets")


@app.command()
def estimate(
    prices: Annotated[
        Path | None,
        typer.Option(help="Prices YAML file (default: goldmine/cost/prices.yaml)."),
    ] = None,
) -> None:
    """Print a monthly estimate per architecture and per domain.

    Storage is measured in the platform buckets; Athena scans come from
    <data_dir>/runs/athena-scans.json and EMR Serverless usage from the job run
    records in <data_dir>/runs/*.json.

    Example: goldmine cost estimate
    """
    platform = _platform()
    unit_prices = load_prices(prices)
    result = estimate_monthly(measure(platform.aws.s3(), platform.settings), unit_prices)
    lines = Table(title="Monthly estimate (USD)")
    for column in ("category", "architecture", "domain", "item", "quantity", "unit", "USD"):
        lines.add_column(column, justify="right" if column in {"quantity", "USD"} else "left")
    for line in result.lines:
        lines.add_row(
            line.category,
            line.architecture,
            line.domain,
            line.item,
            f"{line.quantity:.6g}",
            line.unit,
            f"{line.usd:.4f}",
        )
    console.print(lines)
    for title, totals in (
        ("per architecture", result.by_architecture()),
        ("per domain", result.by_domain()),
    ):
        table = Table(title=f"Total {title} (USD / month)")
        table.add_column(title.removeprefix("per "))
        table.add_column("USD", justify="right")
        for name, usd in totals.items():
            table.add_row(name, f"{usd:.4f}")
        console.print(table)
    console.print(f"total: [bold]{result.total:.4f}[/bold] USD / month")
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(
        f"prices: {result.region}, copied on {result.prices_copied_on} from "
        f"{unit_prices.s3_standard.source}, {unit_prices.athena.source}, "
        f"{unit_prices.emr_serverless.source}"
    )
