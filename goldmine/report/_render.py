"""Render a :class:`ReportData` as one self-contained HTML page (inline SVG and CSS only)."""

from __future__ import annotations

from html import escape

from goldmine.report._draw_charts import (
    BUILD_COLOURS,
    draw_cost,
    draw_grouped,
    draw_per_build,
    draw_steps,
    draw_storage,
    human_bytes,
)
from goldmine.report._governance import ASPECTS
from goldmine.report._model import ReportData

#: The page's sections: ``(id, title)``, in order.
SECTIONS: tuple[tuple[str, str], ...] = (
    ("steps", "Build time per step"),
    ("storage", "Storage by layer"),
    ("rows", "Rows per layer"),
    ("quarantine", "Quarantined records by reason"),
    ("scans", "Bytes an Athena query would scan"),
    ("cost", "Monthly cost estimate"),
    ("freshness", "Freshness"),
    ("governance", "Governance"),
)

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#1f2937;color:#fff;padding:1.2rem 2rem}
header h1{margin:0 0 .3rem;font-size:1.5rem}
header p{margin:.1rem 0;color:#d1d5db;font-size:.9rem}
main{max-width:1000px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:1rem 0;
padding:1rem 1.2rem}
h2{font-size:1.15rem;margin:.2rem 0 .6rem}
figure.chart{margin:0}
figure.chart svg{width:100%;height:auto;display:block}
p.explain{color:#555;font-size:.85rem;margin:.2rem 0 .6rem}
p.empty{color:#92400e;background:#fffbeb;padding:.5rem .8rem;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.85rem}
th,td{border:1px solid #e5e7eb;padding:.4rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}
td.yes{background:#ecfdf5}td.partial{background:#fffbeb}td.no{background:#fef2f2}
td b{display:block;margin-bottom:.15rem}
.swatch{display:inline-block;width:.8em;height:.8em;border-radius:2px;margin-right:.3em}
ul.notes{font-size:.85rem;color:#444}
"""

_EXPLAIN = {
    "steps": "Wall seconds of each step of the run that built the data. Timings: {source}.",
    "storage": "Bytes each build keeps in S3, stacked by layer (lake: zone buckets; "
    "lakehouse: bronze, silver, gold; mesh: domain buckets). Shared: buckets all three use.",
    "rows": "Rows per layer: lake zones (raw counts landed lines), lakehouse medallion "
    "layers (Delta log statistics), mesh domains (rows published per data product).",
    "quarantine": "Records and items each build set aside, by rule (DATASET.md section 2). "
    "The same source gives the same counts in every build.",
    "scans": "Per standard question (docs/analyst-queries), the Parquet bytes Athena "
    "would read on each build. Athena bills at least 10 MB per query.",
    "cost": "One month at today's size (goldmine cost estimate): S3 storage, the standard "
    "questions on Athena as often as prices.yaml assumes, and recorded EMR Serverless runs.",
    "freshness": "The newest order date in each build's gold daily_sales.",
    "governance": "What each build guarantees, and the evidence.",
}


def _chart(name: str, svg: str | None, empty: str) -> str:
    if svg is None:
        return f'<p class="empty" data-empty="{name}">{escape(empty)}</p>'
    return f'<figure class="chart" data-chart="{name}">{svg}</figure>'


def _section(name: str, title: str, body: str, explain: str) -> str:
    return (
        f'<section id="{name}"><h2>{escape(title)}</h2>'
        f'<p class="explain">{escape(explain)}</p>{body}</section>'
    )


def _freshness(data: ReportData) -> str:
    cells = "".join(
        f"<tr><th>{_swatch(b.build)}{escape(b.build)}</th><td>"
        f"{escape(b.newest_order_date.isoformat()) if b.newest_order_date else 'not built'}"
        "</td></tr>"
        for b in data.builds
    )
    return f"<table><tr><th>build</th><th>newest order date</th></tr>{cells}</table>"


def _governance(data: ReportData) -> str:
    head = "".join(f"<th>{_swatch(b.build)}{escape(b.build)}</th>" for b in data.builds)
    rows = []
    for aspect in ASPECTS:
        cells = []
        for b in data.builds:
            cell = b.governance.get(aspect)
            if cell is None:
                cells.append('<td class="no"><b>unknown</b></td>')
            else:
                cells.append(
                    f'<td class="{cell.level}"><b>{cell.level}</b>{escape(cell.evidence)}</td>'
                )
        rows.append(f"<tr><th>{escape(aspect)}</th>{''.join(cells)}</tr>")
    return f"<table><tr><th></th>{head}</tr>{''.join(rows)}</table>"


def _swatch(build: str) -> str:
    return f'<span class="swatch" style="background:{BUILD_COLOURS.get(build, "#888")}"></span>'


def render_report(data: ReportData) -> str:
    """Return the report as one HTML page: charts as inline SVG, no script, no URL to fetch.

    Every section of :data:`SECTIONS` is present; a chart with nothing to draw is
    replaced by a sentence saying why.
    """
    builds = {b.build: b for b in data.builds}
    built = [b.build for b in data.builds if b.built]
    storage = {b: builds[b].storage for b in builds} | {"shared": data.shared_storage}
    bodies = {
        "steps": _chart(
            "steps", draw_steps({b: d.steps for b, d in builds.items()}),
            f"No step timings: {data.timings_source}",
        ),
        "storage": _chart("storage", draw_storage(storage), "Nothing stored yet."),
        "rows": _chart(
            "rows", draw_per_build("rows", {b: d.rows for b, d in builds.items()}, "rows"),
            "No rows yet.",
        ),
        "quarantine": _chart(
            "quarantine",
            draw_grouped(
                "quarantine", {b: d.quarantine for b, d in builds.items()}, "records and items",
                lambda v: f"{v:,.0f}",
            ),
            "Nothing quarantined.",
        ),
        "scans": _chart(
            "scans",
            draw_grouped(
                "scans",
                {b: {s.query: s.bytes_scanned for s in d.scans} for b, d in builds.items()},
                "KB scanned", human_bytes, scale=1e3,
            ),
            "No standard question could be planned on a built build.",
        ),
        "cost": _chart(
            "cost", draw_cost({b: d.monthly_usd for b, d in builds.items()}), "No cost measured."
        ),
        "freshness": _freshness(data),
        "governance": _governance(data),
    }  # fmt: skip
    sections = "".join(
        _section(name, title, bodies[name], _EXPLAIN[name].format(source=data.timings_source))
        for name, title in SECTIONS
    )
    notes = "".join(f"<li>{escape(n)}</li>" for n in data.notes)
    not_built = [b.build for b in data.builds if not b.built]
    missing = f"<p>Not built yet: {escape(', '.join(not_built))}.</p>" if not_built else ""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>goldmine: lake, lakehouse and mesh compared</title><style>{_CSS}</style>"
        "</head><body><header><h1>goldmine: one sales dataset, three builds</h1>"
        f"<p>{escape(', '.join(built))} compared; environment {escape(data.environment)}; "
        f"collected {escape(data.generated_at.isoformat())}</p>{missing}</header><main>"
        f'{sections}<section id="notes"><h2>Notes</h2><ul class="notes">{notes}</ul>'
        "</section></main></body></html>\n"
    )
