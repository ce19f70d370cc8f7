"""Run the lakehouse build: bronze -> silver -> gold for the pending (or given) batches."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from goldmine.observe import observe_run
from goldmine.rules import LandedFile
from goldmine.spark import sized_execution
from lakehouse._catalog import register_tables
from lakehouse._delta import is_table
from lakehouse._observe import summarize_build
from lakehouse._tables import LAYERS, table
from lakehouse.bronze import append_bronze
from lakehouse.gold import build_gold
from lakehouse.silver import SilverCounts, build_silver

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform
    from goldmine.settings import Settings

log = logging.getLogger(__name__)
#: ``(step description)`` callback for progress display.
Progress = Callable[[str], None]
FEEDS: tuple[str, ...] = ("stores", "fx_rates", "products", "customers", "orders")


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


def read_ledger(spark: SparkSession, settings: Settings) -> Ledger:
    """Return the batches each layer has finished, from one read of the ledger."""
    uri = ledger_uri(settings)
    if not is_table(spark, uri):
        return Ledger()
    frame = spark.read.format("delta").load(uri)
    files = "files" if "files" in frame.columns else "CAST(NULL AS array<string>) AS files"
    ledger = Ledger()
    for row in frame.selectExpr("layer", "batch_id", files).collect():
        ledger.finished.setdefault(row["layer"], set()).add(row["batch_id"])
        if row["layer"] == "bronze" and row["files"] is not None:
            ledger.files.setdefault(row["batch_id"], set()).update(row["files"])
    return ledger


def finished_batches(spark: SparkSession, settings: Settings, layer: str) -> set[str]:
    """Return the batches a layer has finished (recorded after all its tables committed)."""
    return read_ledger(spark, settings).finished.get(layer, set())


def record_finished(
    spark: SparkSession,
    settings: Settings,
    ledger: Ledger,
    finished: dict[str, list[str]],
    landed: list[LandedFile],
) -> None:
    """Append to the ledger, in one commit, the ``finished`` batches it does not hold yet.

    A bronze row lists the batch's landed files, so that a file landing for it later
    is seen (:func:`name_late_files`).
    """
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
        return
    schema = "layer string, batch_id string, finished_at timestamp, files array<string>"
    frame = spark.createDataFrame(new, schema)
    frame.write.format("delta").mode("append").option("mergeSchema", "true").save(
        ledger_uri(settings)
    )
    for layer, b, _, listed in new:
        ledger.finished.setdefault(layer, set()).add(b)
        if listed is not None:
            ledger.files.setdefault(b, set()).update(listed)


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


@dataclass
class BronzeResult:
    """What bronze appended: rows per table, and the batches' landed lines.

    ``landed`` is set when bronze now holds exactly those lines for the batches (no
    table held any of them before).
    """

    rows: dict[str, int]
    landed: DataFrame | None


def build_bronze(
    spark: SparkSession, platform: Platform, landed: list[LandedFile], todo: list[str]
) -> BronzeResult:
    """Append the landed lines of ``todo`` (and the stores list) to bronze.

    When no bronze table held any of ``todo`` before, the lines appended are exactly
    bronze's lines of ``todo`` (the stores list, when it was appended again, carries
    the first batch of ``todo``; otherwise an earlier batch): silver then takes them
    from here instead of reading bronze back.
    """
    from functools import reduce

    settings = platform.settings
    files = [f for f in landed if f.feed != "stores" and f.batch_id in todo]
    files += [replace(f, batch_id=todo[0]) for f in landed if f.feed == "stores"]
    uris = {feed: table(f"bronze.{feed}").uri(settings) for feed in FEEDS}
    results = append_bronze(spark, platform.aws.s3(), uris, files)
    frames = [r.landed for r in results if r.landed is not None]
    whole = bool(frames) and all(r.fresh for r in results)
    return BronzeResult(
        {r.table: r.rows for r in results},
        reduce(lambda a, b: a.unionByName(b), frames) if whole else None,
    )


@observe_run("lakehouse", "build", summarize_build, time_progress=True)
def build_lakehouse(
    spark: SparkSession,
    platform: Platform,
    *,
    layers: tuple[str, ...] = LAYERS,
    batches: list[str] | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build ``layers`` for ``batches`` (default: every landed batch a layer has not finished).

    Each table update is one atomic Delta commit (none when nothing changes),
    idempotent per batch set, so a failed or killed build leaves every table at a
    committed version and a rerun completes it. The ledger is read once; the batches
    of every layer that finished are recorded in it with one commit at the end (also
    when a later layer fails). Every existing table is then (re-)registered in Glue
    (:func:`register_tables`).
    """
    from goldmine.landing import settled_files

    settings = platform.settings
    say = progress or (lambda _msg: None)
    s3 = platform.aws.s3()
    landed, judged = settled_files(s3, settings.buckets.landing, settings.quiet_seconds, say=say)
    # Every settled landed byte, not only the pending batches': the tables grow with them.
    landed_bytes = sum(f.size or 0 for f in landed)
    with sized_execution(spark, landed_bytes, settings.spark_shuffle_partitions):
        ledger = read_ledger(spark, settings)
        landed, late = name_late_files(landed, ledger)
        try:
            todo = pending_batches(landed, ledger.finished, layers, batches)
        except ValueError as error:
            raise ValueError(f"{error} in {settings.buckets.landing}") from None
        summary = _build_layers(spark, platform, landed, ledger, todo, say)
    summary.waiting = {b: f"not settled: {why}" for b, why in judged.unsettled.items()}
    summary.late = {b: uri for b, uri in late.items() if b in todo.get("bronze", [])}
    say("registering tables in Glue")
    summary.registered = register_tables(platform)
    return summary


def _build_layers(
    spark: SparkSession,
    platform: Platform,
    landed: list[LandedFile],
    ledger: Ledger,
    todo: dict[str, list[str]],
    say: Progress,
) -> BuildSummary:
    """Build bronze, silver and gold for their ``todo`` batches; record what finished."""
    settings = platform.settings
    summary = BuildSummary(batches=todo)
    finished: dict[str, list[str]] = {}
    try:
        bronze = None
        if todo.get("bronze"):
            say("bronze: append landed lines")
            bronze = build_bronze(spark, platform, landed, todo["bronze"])
            summary.written.update(bronze.rows)
            finished["bronze"] = todo["bronze"]
        silver = None
        if todo.get("silver"):
            say("silver: clean and MERGE")
            same = bronze is not None and todo.get("bronze") == todo["silver"]
            silver = build_silver(
                spark, settings, todo["silver"], progress=say,
                landed=bronze.landed if same and bronze else None,
            )  # fmt: skip
            summary.add_silver(silver)
            finished["silver"] = todo["silver"]
        if todo.get("gold"):
            say("gold: recompute touched keys and MERGE")
            touched = silver.touched if silver and todo.get("silver") == todo["gold"] else None
            for name, rows in build_gold(spark, settings, todo["gold"], touched).items():
                summary.written[f"gold.{name}"] = rows
            finished["gold"] = todo["gold"]
    finally:
        record_finished(spark, settings, ledger, finished, landed)
    return summary
