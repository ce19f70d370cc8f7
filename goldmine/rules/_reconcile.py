"""Reconciliation: records read = accepted + quarantined + duplicates dropped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from goldmine.rules._model import BatchCounts, FeedResult, ReconciliationError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame


def count_records(results: Sequence[FeedResult]) -> list[BatchCounts]:
    """Count every feed's records per batch in one Spark job; never raises.

    Per batch and feed: lines read, accepted records, quarantined records (distinct
    source lines: an order record's item-level quarantine rows are not records) and
    duplicates dropped. Returned even when they do not balance, so a refused run can
    record its figures; :func:`check_reconciliation` decides.

    Returns
    -------
    list of BatchCounts
        Sorted by ``(feed, batch_id)``.
    """
    from functools import reduce

    from pyspark.sql import functions as F

    def tally(frame: DataFrame, feed: str, kind: str) -> DataFrame:
        counted = frame.groupBy("batch_id").agg(F.count(F.lit(1)).cast("long").alias("n"))
        return counted.select("batch_id", F.lit(feed).alias("feed"), F.lit(kind).alias("kind"), "n")

    parts = []
    for r in results:
        read = r.read.select("batch_id", F.col("read").cast("long").alias("n"))
        parts.append(read.select("batch_id", F.lit(r.feed).alias("feed"),
                                 F.lit("read").alias("kind"), "n"))  # fmt: skip
        parts.append(tally(r.accepted, r.feed, "accepted"))
        lines = r.quarantine.select("batch_id", "source_file", "line_number").distinct()
        parts.append(tally(lines, r.feed, "quarantined"))
        parts.append(tally(r.duplicates, r.feed, "duplicates"))
    if not parts:
        return []
    figures: dict[tuple[str, str], dict[str, int]] = {}
    for row in reduce(lambda a, b: a.unionByName(b), parts).collect():
        figures.setdefault((row["feed"], row["batch_id"]), {})[row["kind"]] = int(row["n"])
    return [
        BatchCounts(
            batch_id=batch_id,
            feed=feed,  # type: ignore[arg-type]
            read=f.get("read", 0),
            accepted=f.get("accepted", 0),
            quarantined=f.get("quarantined", 0),
            duplicates=f.get("duplicates", 0),
        )
        for (feed, batch_id), f in sorted(figures.items())
    ]


def reconcile(result: FeedResult) -> list[BatchCounts]:
    """Count a feed's records per batch (:func:`count_records`) and check they balance.

    Raises
    ------
    ReconciliationError
        When any batch has read != accepted + quarantined + duplicates; the
        message lists every unbalanced batch with its four figures.
    """
    counts = sorted(count_records([result]), key=lambda c: c.batch_id)
    _raise_unbalanced(counts)
    return counts


def check_reconciliation(counts: list[BatchCounts]) -> None:
    """Raise :class:`ReconciliationError` if any of ``counts`` does not balance."""
    _raise_unbalanced(counts)


def _raise_unbalanced(counts: list[BatchCounts]) -> None:
    bad = [c for c in counts if not c.balanced]
    if bad:
        detail = "; ".join(
            f"{c.feed} batch {c.batch_id}: read {c.read} != accepted {c.accepted} + "
            f"quarantined {c.quarantined} + duplicates {c.duplicates}"
            for c in bad
        )
        raise ReconciliationError(f"reconciliation failed, nothing written: {detail}")
