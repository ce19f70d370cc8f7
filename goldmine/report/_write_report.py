"""Write the rendered report to a file."""

from __future__ import annotations

from pathlib import Path

from goldmine.report._model import ReportData
from goldmine.report._render import render_report


def write_report(data: ReportData, path: Path) -> Path:
    """Render ``data`` and write it to ``path`` (parents created); return the absolute path."""
    path = path.expanduser().absolute()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data), encoding="utf-8")
    return path
