"""What the comparison report shows: one plain data model, filled by ``collect_report``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: The three builds the report compares, in the order it shows them.
BUILDS: tuple[str, ...] = ("lake", "lakehouse", "mesh")
#: Governance levels of a matrix cell, best first.
LEVELS: tuple[str, ...] = ("yes", "partial", "no")


@dataclass(frozen=True)
class StepTime:
    """One step of a build run and the wall seconds it took."""

    step: str
    seconds: float


@dataclass(frozen=True)
class LayerStorage:
    """Bytes and objects one layer (zone, medallion layer, domain) keeps in S3."""

    layer: str
    bytes: int
    objects: int


@dataclass(frozen=True)
class QueryScan:
    """Bytes Athena would scan to answer one standard question on one build."""

    query: str
    question: str
    bytes_scanned: int


@dataclass(frozen=True)
class Governance:
    """One cell of the governance matrix: a level and the evidence for it."""

    level: str
    evidence: str

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"governance level {self.level!r}: expected one of {LEVELS}")


@dataclass(frozen=True)
class BuildData:
    """Everything the report shows about one build.

    Attributes
    ----------
    build
        ``lake``, ``lakehouse`` or ``mesh``.
    built
        Whether the build holds any built data (the other fields are empty if not).
    steps
        Wall seconds per step of the last run, when a run recorded them (empty: unknown).
    storage
        Bytes and objects per layer.
    rows
        Rows per layer.
    quarantine
        Quarantined records and items by reason.
    scans
        Bytes Athena would scan per standard question.
    monthly_usd
        The monthly cost estimate per category (``storage``, ``athena``, ``emr_serverless``).
    newest_order_date
        The newest ``order_date`` in the build's gold ``daily_sales`` (its freshness).
    governance
        The governance matrix's column of this build, by aspect.
    """

    build: str
    built: bool = True
    steps: tuple[StepTime, ...] = ()
    storage: tuple[LayerStorage, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    quarantine: dict[str, int] = field(default_factory=dict)
    scans: tuple[QueryScan, ...] = ()
    monthly_usd: dict[str, float] = field(default_factory=dict)
    newest_order_date: dt.date | None = None
    governance: dict[str, Governance] = field(default_factory=dict)


@dataclass(frozen=True)
class ReportData:
    """The whole comparison: one :class:`BuildData` per build, and where it came from.

    Attributes
    ----------
    builds
        Per build, in :data:`BUILDS` order.
    generated_at
        When the data was collected (UTC).
    environment
        ``local`` or ``aws``.
    shared_storage
        Bytes and objects of the buckets all three builds share (landing, results).
    timings_source
        Where the step timings came from (shown in the report).
    notes
        Caveats to show with the figures (assumptions, what is not measured).
    """

    builds: tuple[BuildData, ...]
    generated_at: dt.datetime
    environment: str
    shared_storage: tuple[LayerStorage, ...] = ()
    timings_source: str = ""
    notes: tuple[str, ...] = ()

    def build(self, name: str) -> BuildData:
        """Return the data of build ``name``."""
        for data in self.builds:
            if data.build == name:
                return data
        raise KeyError(f"no build {name!r} in the report: expected one of {BUILDS}")
