"""The run summary: what one ingest, build or publish run did, as one typed record.

Each build fills a :class:`RunFigures` from the figures it already computed (its
reconciliation, quarantine counts, rows written, step times); the run wrapper
(:func:`goldmine.observe.observe_run`) adds who / when / how it ended and makes the
:class:`RunSummary` that is stored, sent to CloudWatch and Prometheus, and turned into
OpenLineage events (docs/adr/0022-run-metrics-and-lineage.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Architecture = Literal["lake", "lakehouse", "mesh"]
Status = Literal["succeeded", "failed", "skipped"]
ARCHITECTURES: tuple[str, ...] = ("lake", "lakehouse", "mesh")


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class FeedFigures(_Record):
    """Records of one source feed in the run: read = accepted + quarantined + duplicates."""

    feed: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0

    @property
    def quarantine_rate(self) -> float:
        """Quarantined records as a percentage of records read (0 when none were read)."""
        return 100.0 * self.quarantined / self.read if self.read else 0.0


class Dataset(_Record):
    """A dataset a run read or wrote: its storage location and, when catalogued, its Glue name."""

    location: str
    glue_table: str | None = None  # ``database.table``


class TableFigures(_Record):
    """What the run wrote to one table (or data product)."""

    table: str  # ``curated.orders``, ``gold.daily_sales``, ``sales.orders``
    layer: str  # ``raw``, ``curated``, ``silver``, ``product`` ...
    dataset: Dataset
    rows_written: int | None = None
    bytes_written: int | None = None


class StepFigures(_Record):
    """One step of the run: wall seconds, and its Spark jobs when the runner counted them."""

    step: str
    seconds: float
    spark_jobs: int | None = None


class QualityResult(_Record):
    """One data-quality check the run made, on the dataset it judged."""

    dataset: str  # location
    name: str
    passed: bool
    detail: str = ""


class LineageStep(_Record):
    """One transformation of the run, as OpenLineage sees a job: inputs -> outputs."""

    job: str  # ``lake.build.curated``
    inputs: tuple[Dataset, ...] = ()
    outputs: tuple[Dataset, ...] = ()


class RunFigures(_Record):
    """The figures a build reports about one run (filled from what it already computed)."""

    subject: str = ""  # what the run was for: ``lake``, a product id
    run_id: str | None = None  # the build's own run id when it has one (mesh)
    batches: tuple[str, ...] = ()
    feeds: tuple[FeedFigures, ...] = ()
    quarantined_by_reason: dict[str, int] = Field(default_factory=dict)
    quarantined_items: int = 0
    tables: tuple[TableFigures, ...] = ()
    steps: tuple[StepFigures, ...] = ()
    quality: tuple[QualityResult, ...] = ()
    lineage: tuple[LineageStep, ...] = ()
    newest_order_date: dt.date | None = None
    skipped: bool = False  # nothing to do (all built, inputs unchanged)
    error: str | None = None  # a run that ended without raising but did not do its work


class RunSummary(RunFigures):
    """One run: who ran what, when, how it ended, and its figures.

    ``status`` is ``failed`` when the run raised or refused its work (``error`` is
    the one line saying why), ``skipped`` when it had nothing to do.
    """

    run_id: str
    project: str = "goldmine"
    environment: str
    architecture: Architecture
    command: str  # ``ingest``, ``build``, ``publish``
    started_at: dt.datetime
    finished_at: dt.datetime
    status: Status

    @property
    def seconds(self) -> float:
        """Wall seconds of the whole run."""
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def key(self) -> str:
        """Where the summary is stored, under the runs prefix: ``<architecture>/<run_id>.json``."""
        return f"{self.architecture}/{self.run_id}.json"
