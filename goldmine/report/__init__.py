"""The comparison report: the lake, the lakehouse and the mesh side by side, in one page.

``collect_report(platform)`` gathers a :class:`ReportData` from what the builds keep
(storage listings, Parquet footers, Delta logs, ledgers, the mesh registry, the
catalog; no Spark job), ``render_report(data)`` turns it into one self-contained HTML
page (matplotlib charts as inline SVG; no script, no external URL) and
``write_report(data, path)`` writes it. Step timings come from the caller (the demo
passes its own, timed with ``goldmine.observe.StepClock``) or from
:func:`recorded_timings`.

Example
-------
>>> data = collect_report(connect(load_settings()))            # doctest: +SKIP
>>> write_report(data, Path("report.html"))                     # doctest: +SKIP
"""

from goldmine.report._collect import (
    NOT_RECORDED,
    NothingBuiltError,
    collect_report,
    recorded_timings,
)
from goldmine.report._model import (
    BUILDS,
    LEVELS,
    BuildData,
    Governance,
    LayerStorage,
    QueryScan,
    ReportData,
    StepTime,
)
from goldmine.report._render import SECTIONS, render_report
from goldmine.report._write_report import write_report

__all__ = [
    "BUILDS",
    "LEVELS",
    "NOT_RECORDED",
    "SECTIONS",
    "BuildData",
    "Governance",
    "LayerStorage",
    "NothingBuiltError",
    "QueryScan",
    "ReportData",
    "StepTime",
    "collect_report",
    "recorded_timings",
    "render_report",
    "write_report",
]
