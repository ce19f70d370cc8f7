"""The bronze step of a lakehouse build: append the batches' landed lines."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from goldmine.rules import LandedFile
from goldmine.spark import union_by_name
from lakehouse._tables import table
from lakehouse.bronze._append import append_bronze

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform
    from goldmine.read_delta import DeltaLogReader

FEEDS: tuple[str, ...] = ("stores", "fx_rates", "products", "customers", "orders")


@dataclass
class BronzeResult:
    """What bronze appended: rows per table, and the batches' landed lines.

    ``landed`` is set when bronze now holds exactly those lines for the batches (no
    table held any of them before); its parts were then kept on local disk by the
    appends' jobs (``kept``, released by the plan).
    """

    rows: dict[str, int]
    landed: DataFrame | None
    parts: tuple[DataFrame, ...] = ()

    def kept(self) -> list[DataFrame]:
        """Return the landed lines the appends kept (each feed's)."""
        return list(self.parts)


def build_bronze(
    spark: SparkSession,
    platform: Platform,
    landed: list[LandedFile],
    bronze_batches: list[str],
    delta_log: DeltaLogReader | None = None,
) -> BronzeResult:
    """Append the landed lines of ``bronze_batches`` (and the stores list) to bronze.

    When no bronze table held any of the batches before, the lines appended are
    exactly bronze's lines of them (the stores list, when it was appended again,
    carries the first batch; otherwise an earlier batch): silver then takes them from
    here instead of reading bronze back. ``delta_log`` reads what the tables hold
    without Spark (ADR 0041).
    """
    settings = platform.settings
    todo = bronze_batches
    files = [f for f in landed if f.feed != "stores" and f.batch_id in todo]
    files += [replace(f, batch_id=todo[0]) for f in landed if f.feed == "stores"]
    uris = {feed: table(f"bronze.{feed}").uri(settings) for feed in FEEDS}
    results = append_bronze(spark, platform.aws.s3(), uris, files, log=delta_log, keep=True)
    frames = [r.landed for r in results if r.landed is not None]
    whole = bool(frames) and all(r.fresh for r in results)
    return BronzeResult(
        {r.table: r.rows for r in results},
        union_by_name(frames) if whole else None,
        tuple(r.landed for r in results if r.fresh and r.landed is not None),  # kept
    )
