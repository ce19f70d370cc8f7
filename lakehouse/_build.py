"""Run the lakehouse build: bronze -> silver -> gold for the pending (or given) batches."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from goldmine.observe import observe_run
from goldmine.plan import Plan, PlanRun, Step, run_plan
from goldmine.read_delta import delta_log_reader, open_delta
from goldmine.rules import LandedFile
from goldmine.spark import SessionOnDemand, local_frame, session_of, sized_execution
from goldmine.validation import warm_up as warm_up_validation
from lakehouse._catalog import register_tables
from lakehouse._observe import summarize_build
from lakehouse._tables import LAYERS
from lakehouse.bronze import BronzeResult, build_bronze
from lakehouse.gold import GOLD_PLAN
from lakehouse.silver import SILVER_PLAN, SilverCounts, silver_counts

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform
    from goldmine.settings import Settings

log = logging.getLogger(__name__)
#: ``(message)`` callback for progress display: each step's name as it starts, and a
#: line per validation report.
Progress = Callable[[str], None]


@dataclass
class BuildSummary:
    """What a build did, per layer: batches, rows read / written / quarantined / dups."""

    batches: dict[str, list[str]] = field(default_factory=dict)
    read: int = 0
    written: dict[str, int] = field(default_factory=dict)
    quarantined: int = 0
    quarantined_items: int = 0
    duplicates: int = 0
    registered: list[str] = field(default_factory=list)
    #: Landed batches left to a later build (the settle rule, ADR 0026), with why.
    waiting: dict[str, str] = field(default_factory=dict)
    #: Files landed for a batch after bronze took it, built as batches of their own.
    late: dict[str, str] = field(default_factory=dict)
    #: Silver's own counts (per feed, validation, touched keys): the run's metrics.
    silver: SilverCounts | None = None
    #: The build's plans as they ran: seconds and Spark jobs per step.
    steps: PlanRun | None = None

    def add_silver(self, counts: SilverCounts) -> None:
        """Add what silver read, accepted, quarantined and dropped."""
        self.silver = counts
        self.read += counts.read
        self.quarantined += counts.quarantined
        self.quarantined_items += counts.quarantined_items
        self.duplicates += counts.duplicates
        self.written["silver (records accepted)"] = counts.accepted

    def lines(self) -> list[str]:
        """Return the summary as printable lines."""
        notes = [f"waiting: batch {b}: {why}" for b, why in sorted(self.waiting.items())]
        notes += [f"late file {uri}: built as batch {b}" for b, uri in sorted(self.late.items())]
        return notes + self._built_lines()

    def _built_lines(self) -> list[str]:
        out = [
            f"{layer}: batches {', '.join(b) or '(none pending)'}"
            for layer, b in self.batches.items()
        ]
        out.append(
            f"rows read {self.read}, quarantined {self.quarantined} records "
            f"+ {self.quarantined_items} items, duplicates {self.duplicates}"
        )
        out.extend(f"rows written {name}: {n}" for name, n in sorted(self.written.items()))
        out.append(f"{len(self.registered)} tables registered in Glue (table_type=DELTA)")
        if self.steps is not None:
            out.append(f"steps: {self.steps.summary()}")
        return out


def ledger_uri(settings: Settings) -> str:
    """Return the location of the build ledger (batches finished per layer)."""
    return f"s3://{settings.buckets.lakehouse}/_system/ledger"


@dataclass
class Ledger:
    """What the build ledger holds: the batches each layer finished, bronze's files.

    ``files`` maps a batch bronze finished to the landed files it appended (absent for
    batches recorded before the ledger listed files).
    """

    finished: dict[str, set[str]] = field(default_factory=dict)
    files: dict[str, set[str]] = field(default_factory=dict)


def read_ledger(settings: Settings, storage_options: Mapping[str, str]) -> Ledger:
    """Return the batches each layer has finished, from one read of the ledger (no Spark).

    Read with delta-rs from the ledger's log and files: a build with nothing pending
    runs no Spark statement at all. A commit still only claimed (ADR 0023) is not seen;
    the build then takes its batches as pending and redoes them, which commits
    nothing new (every layer's writes are idempotent).
    """
    table = open_delta(ledger_uri(settings), storage_options)
    ledger = Ledger()
    if table is None:
        return ledger
    has_files = "files" in {f.name for f in table.schema().fields}
    columns = ["layer", "batch_id", *(["files"] if has_files else [])]
    for row in table.to_pyarrow_table(columns=columns).to_pylist():
        ledger.finished.setdefault(row["layer"], set()).add(row["batch_id"])
        if row["layer"] == "bronze" and row.get("files") is not None:
            ledger.files.setdefault(row["batch_id"], set()).update(row["files"])
    return ledger


def finished_batches(
    settings: Settings, storage_options: Mapping[str, str], layer: str
) -> set[str]:
    """Return the batches a layer has finished (recorded after all its tables committed)."""
    return read_ledger(settings, storage_options).finished.get(layer, set())


def record_finished(
    spark: SparkSession,
    settings: Settings,
    ledger: Ledger,
    landed: list[LandedFile],
    todo: dict[str, list[str]],
    bronze: BronzeResult | None = None,
    report_validation: tuple[object, ...] | None = None,
    merge_gold: dict[str, int] | None = None,
) -> dict[str, list[str]]:
    """Record, in one commit, the layers that finished their batches; return them.

    A layer finished when its last step returned (``bronze``, silver's
    ``report_validation``, gold's ``merge_gold``): the step runs also when a later
    layer failed, so the layers before the failure are recorded. Batches the ledger
    holds already are not appended again. A bronze row lists the batch's landed
    files, so that a file landing for it later is seen (:func:`name_late_files`).
    """
    last = {"bronze": bronze, "silver": report_validation, "gold": merge_gold}
    finished = {
        layer: todo[layer] for layer, out in last.items() if out is not None and todo.get(layer)
    }
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    files: dict[str, list[str]] = {}
    for f in landed:
        if f.feed != "stores":
            files.setdefault(f.batch_id, []).append(f.uri)
    new = [
        (layer, b, now, sorted(files.get(b, [])) if layer == "bronze" else None)
        for layer, done in finished.items()
        for b in done
        if b not in ledger.finished.get(layer, set())
    ]
    if not new:
        return finished
    schema = "layer string, batch_id string, finished_at timestamp, files array<string>"
    frame = local_frame(spark, new, schema)  # no Python worker: the build's only one
    frame.write.format("delta").mode("append").option("mergeSchema", "true").save(
        ledger_uri(settings)
    )
    for layer, b, _, listed in new:
        ledger.finished.setdefault(layer, set()).add(b)
        if listed is not None:
            ledger.files.setdefault(b, set()).update(listed)
    return finished


def name_late_files(
    landed: list[LandedFile], ledger: Ledger
) -> tuple[list[LandedFile], dict[str, str]]:
    """Give each file landed after bronze took its batch a batch of its own.

    Its rows cannot join their batch (bronze appends a batch once), so the file is
    built as ``<batch_id>-late-<8 hex of its URI>``: a stable name, finished like any
    batch once built. Returns the files (late ones renamed) and ``{late batch: uri}``.
    """
    import hashlib

    bronze = ledger.finished.get("bronze", set())
    out, late = [], {}
    for f in landed:
        listed = ledger.files.get(f.batch_id)
        if (
            f.feed != "stores"
            and f.batch_id in bronze
            and listed is not None
            and f.uri not in listed
        ):
            digest = hashlib.sha1(f.uri.encode(), usedforsecurity=False).hexdigest()[:8]
            f = replace(f, batch_id=f"{f.batch_id}-late-{digest}")
            late[f.batch_id] = f.uri
        out.append(f)
    return out, late


def pending_batches(
    landed: list[LandedFile],
    ledger: dict[str, set[str]],
    layers: tuple[str, ...],
    batches: list[str] | None,
) -> dict[str, list[str]]:
    """Return the batches each of ``layers`` builds: ``batches``, else those it has not finished.

    Raises
    ------
    ValueError
        When one of ``batches`` is not landed.
    """
    landed_batches = sorted({f.batch_id for f in landed if f.feed != "stores"})
    unknown = [b for b in batches or [] if b not in landed_batches]
    if unknown:
        raise ValueError(f"batch {', '.join(unknown)} not landed")
    return {
        layer: sorted(batches)
        if batches
        else [b for b in landed_batches if b not in ledger.get(layer, set())]
        for layer in LAYERS
        if layer in layers
    }


@dataclass(frozen=True)
class Pending:
    """What a build has to do: the batches of each layer, the landed files, late files.

    ``landed``: the settled files, each file landed after bronze took its batch renamed
    to a batch of its own (:func:`name_late_files`); ``late``: ``{late batch: uri}``.
    """

    todo: dict[str, list[str]]
    landed: list[LandedFile]
    late: dict[str, str]

    def batches(self, layer: str) -> list[str]:
        """Return the batches ``layer`` builds (empty: it is skipped)."""
        return self.todo.get(layer, [])


def pending(
    settings: Settings,
    landed: list[LandedFile],
    read_ledger: Ledger,
    layers: tuple[str, ...],
    batches: list[str] | None,
) -> Pending:
    """Return what each of ``layers`` builds: ``batches``, else those it has not finished.

    Raises
    ------
    ValueError
        When one of ``batches`` is not landed.
    """
    landed, late = name_late_files(landed, read_ledger)
    try:
        todo = pending_batches(landed, read_ledger.finished, layers, batches)
    except ValueError as error:
        raise ValueError(f"{error} in {settings.buckets.landing}") from None
    return Pending(todo, landed, late)


#: What a lakehouse build has to do: the ledger, read once, and each layer's batches.
PENDING_PLAN = Plan("lakehouse", (Step("read_ledger", read_ledger), Step("pending", pending)))

#: The lakehouse build (ADR 0019, 0021): bronze, silver, gold, each left out when it has
#: no batch to build (:data:`LAYER_STEPS`); then the ledger records the layers that
#: finished, in one commit, also when a later layer failed; last, every table is
#: (re-)registered in Glue. Each table update is one atomic Delta commit (none when
#: nothing changes), idempotent per batch set.
LAKEHOUSE_PLAN = Plan(
    "lakehouse",
    (
        Step("bronze", build_bronze, persist=BronzeResult.kept),
        *SILVER_PLAN.steps,
        *GOLD_PLAN.steps,
        Step("record_finished", record_finished, always=True),
        Step("register_tables", register_tables),
    ),
)
#: The steps of each layer.
LAYER_STEPS: dict[str, tuple[str, ...]] = {
    "bronze": ("bronze",),
    "silver": SILVER_PLAN.step_names,
    "gold": GOLD_PLAN.step_names,
}


@observe_run("lakehouse", "build", summarize_build)
def build_lakehouse(
    spark: SparkSession | SessionOnDemand,
    platform: Platform,
    *,
    layers: tuple[str, ...] = LAYERS,
    batches: list[str] | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build ``layers`` for ``batches`` (default: every landed batch a layer has not finished).

    Runs :data:`PENDING_PLAN` (no Spark), then :data:`LAKEHOUSE_PLAN` without the layers
    that have nothing to build, so a failed or killed build leaves every table at a
    committed version and a rerun completes it. ``spark`` may be a
    :class:`goldmine.spark.SessionOnDemand`: a build with nothing pending starts none.
    """
    from goldmine.landing import settled_files

    settings = platform.settings
    say = progress or (lambda _msg: None)
    s3 = platform.aws.s3()
    landed, judged = settled_files(s3, settings.buckets.landing, settings.quiet_seconds, say=say)
    # Every settled landed byte, not only the pending batches': the tables grow with them.
    landed_bytes = sum(f.size or 0 for f in landed)

    def announce(step: str, _done: int, _total: int) -> None:
        say(step)

    found = run_plan(
        PENDING_PLAN, progress=announce, settings=settings, landed=landed, layers=layers,
        batches=batches, storage_options=platform.aws.storage_options(),
    )  # fmt: skip
    work: Pending = found.outputs["pending"]
    idle = [step for layer in LAYERS if not work.batches(layer) for step in LAYER_STEPS[layer]]
    if not any(work.todo.values()):  # nothing to build: no Spark (ADR 0036)
        built = run_plan(
            LAKEHOUSE_PLAN.without(*idle, "record_finished"), progress=announce,
            platform=platform,
        )  # fmt: skip
    else:
        if work.batches("silver"):  # silver validates: its library loads meanwhile
            warm_up_validation()
        session = session_of(spark)
        with sized_execution(session, landed_bytes, settings.spark_shuffle_partitions):
            built = run_plan(
                LAKEHOUSE_PLAN.without(*idle), progress=announce, spark=session,
                platform=platform, settings=settings, say=say, ledger=found.outputs["read_ledger"],
                landed=work.landed, todo=work.todo, delta_log=delta_log_reader(platform.aws),
                **{f"{layer}_batches": work.batches(layer) for layer in LAYERS},
            )  # fmt: skip
    done = PlanRun("lakehouse", found.steps + built.steps, {**found.outputs, **built.outputs})
    summary = _summary(done, work)
    summary.waiting = {b: f"not settled: {why}" for b, why in judged.unsettled.items()}
    return summary


def _summary(done: PlanRun, work: Pending) -> BuildSummary:
    """Return what the build did, from its steps' outputs."""
    out = done.outputs
    summary = BuildSummary(batches=work.todo, registered=out["register_tables"], steps=done)
    summary.late = {b: uri for b, uri in work.late.items() if b in work.batches("bronze")}
    if "bronze" in out:
        summary.written.update(out["bronze"].rows)
    if "report_validation" in out:
        summary.add_silver(silver_counts(out))
    for name, rows in out.get("merge_gold", {}).items():
        summary.written[f"gold.{name}"] = rows
    return summary
