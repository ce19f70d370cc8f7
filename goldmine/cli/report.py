"""``goldmine report``: the lake, the lakehouse and the mesh compared in one HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from goldmine.cli._context import get_platform

console = Console()


def default_report_path(data_dir: Path) -> Path:
    """Return where the report goes by default: ``<data_dir>/report/goldmine-report.html``."""
    return data_dir / "report" / "goldmine-report.html"


def report(
    output: Annotated[
        Path | None,
        typer.Option(help="HTML file to write (default: <data_dir>/report/goldmine-report.html)."),
    ] = None,
) -> None:
    """Write one self-contained HTML page comparing the lake, the lakehouse and the mesh.

    Charts of build time per step, storage by layer, rows per layer, quarantined records
    by reason, the bytes Athena would scan per standard question and the monthly cost
    estimate; freshness and a governance matrix. It reads what the builds keep (no Spark
    job) and works offline (no script, no CDN). Fails with one line when nothing is built.

    Example: goldmine report --output report.html
    """
    from goldmine.report import collect_report, write_report

    platform = get_platform()
    with console.status("collecting the builds' figures"):
        data = collect_report(platform)
    path = write_report(data, output or default_report_path(platform.settings.data_dir))
    console.print(f"report: {path}")
