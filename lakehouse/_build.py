"""Run the lakehouse build: bronze -> silver -> gold for the pending (or given) batches."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from goldmine.rules import list_landed_files
from lakehouse._catalog import register_tables
from lakehouse._delta import is_table
from lakehouse._tables import LAYERS, table
from lakehouse.bronze import append_bronze
from lakehouse.gold import build_gold
from lakehouse.silver import build_silver

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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

    def lines(self) -> list[str]:
        """Return the summary as printable lines."""
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


def finished_batches(spark: SparkSession, settings: Settings, layer: str) -> set[str]:
    """Return the batches a layer has finished (recorded after all its tables committed)."""
    uri = ledger_uri(settings)
    if not is_table(spark, uri):
        return set()
    rows = spark.read.format("delta").load(uri).filter(f"layer = '{layer}'").collect()
    return {r["batch_id"] for r in rows}


def _record(spark: SparkSession, settings: Settings, layer: str, batches: list[str]) -> None:
    done = finished_batches(spark, settings, layer)
    new = [b for b in batches if b not in done]
    if not new:
        return
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    frame = spark.createDataFrame(
        [(layer, b, now) for b in new], "layer string, batch_id string, finished_at timestamp"
    )
    frame.write.format("delta").mode("append").save(ledger_uri(settings))


def build_lakehouse(
    spark: SparkSession,
    platform: Platform,
    *,
    layers: tuple[str, ...] = LAYERS,
    batches: list[str] | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Build ``layers`` for ``batches`` (default: every landed batch a layer has not finished).

    Each table update is one atomic Delta commit, idempotent per batch set, so a
    failed or killed build leaves every table at a committed version and a rerun
    completes it; a batch is recorded in the ledger only after its layer finished.
    Every existing table is then (re-)registered in Glue (:func:`register_tables`).
    """
    settings = platform.settings
    say = progress or (lambda _msg: None)
    # Delta rebuilds table state with 50 tasks by default: far too many for small
    # local sessions; follow the session's shuffle partitions instead.
    spark.conf.set(
        "spark.databricks.delta.snapshotPartitions", str(settings.spark_shuffle_partitions)
    )
    summary = BuildSummary()
    touched: dict[str, list] | None = None
    s3 = platform.aws.s3()
    landed = list_landed_files(s3, settings.buckets.landing)
    all_batches = sorted({f.batch_id for f in landed if f.feed != "stores"})
    wanted = sorted(batches) if batches else all_batches
    unknown = [b for b in wanted if b not in all_batches]
    if unknown:
        raise ValueError(f"batch {', '.join(unknown)} not landed in {settings.buckets.landing}")
    for layer in LAYERS:
        if layer not in layers:
            continue
        todo = (
            wanted
            if batches
            else [b for b in wanted if b not in finished_batches(spark, settings, layer)]
        )
        summary.batches[layer] = todo
        if not todo:
            continue
        if layer == "bronze":
            say("bronze: append landed lines")
            files = [f for f in landed if f.feed != "stores" and f.batch_id in todo]
            files += [replace(f, batch_id=todo[0]) for f in landed if f.feed == "stores"]
            uris = {feed: table(f"bronze.{feed}").uri(settings) for feed in FEEDS}
            for result in append_bronze(spark, s3, uris, files):
                summary.written[result.table] = result.rows
        elif layer == "silver":
            say("silver: clean and MERGE")
            counts = build_silver(spark, settings, todo, progress=say)
            touched = counts.touched
            summary.read += counts.read
            summary.quarantined += counts.quarantined
            summary.quarantined_items += counts.quarantined_items
            summary.duplicates += counts.duplicates
            summary.written["silver (records accepted)"] = counts.accepted
        else:
            say("gold: recompute touched keys and MERGE")
            same = summary.batches.get("silver") == todo
            for name, rows in build_gold(spark, settings, todo, touched if same else None).items():
                summary.written[f"gold.{name}"] = rows
        _record(spark, settings, layer, todo)
    say("registering tables in Glue")
    summary.registered = register_tables(platform)
    return summary
