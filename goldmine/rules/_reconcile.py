"""Reconciliation: records read = accepted + quarantined + duplicates dropped."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from goldmine.rules._model import BatchCounts, FeedResult, ObservedCounts, ReconciliationError
from goldmine.spark import observed_metrics, union_by_name

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

log = logging.getLogger(__name__)


def observe_batches(
    frame: DataFrame,
    batches: Sequence[str],
    kind: Literal["read", "duplicates"],
    where: Column | None = None,
) -> tuple[DataFrame, ObservedCounts]:
    """Observe ``frame``'s rows per batch (those ``where`` selects) as a reconciliation figure.

    Returns ``frame`` with a ``pyspark.sql.Observation`` attached, to be read instead
    of ``frame`` by the build, and the :class:`ObservedCounts` to put in the
    :class:`FeedResult`. The rows are counted as the build's actions read them (the
    first one that completes makes the figures): no pass of its own. ``where``:
    null counts as false; ``None`` counts every row.
    """
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    selected = F.lit(True) if where is None else F.coalesce(where, F.lit(False))
    observation = Observation(f"goldmine_{kind}")
    metrics = [
        F.count(F.when(selected & (F.col("batch_id") == batch), 1)).alias(f"n{i}")
        for i, batch in enumerate(batches)
    ]
    counted = frame if where is None else frame.filter(selected)
    return frame.observe(observation, *metrics), ObservedCounts(
        kind, observation, tuple(batches), counted
    )


def count_records(results: Sequence[FeedResult]) -> list[BatchCounts]:
    """Count every feed's records per batch in one Spark job; never raises.

    Per batch and feed: lines read, accepted records, quarantined records (distinct
    source lines: an order record's item-level quarantine rows are not records) and
    duplicates dropped. Returned even when they do not balance, so a refused run can
    record its figures; :func:`check_reconciliation` decides.

    A figure a result observed (``FeedResult.observed``) is taken from its
    observation, made by the same job: that figure costs no pass over the data. When
    the observation is missing (nothing read the frame) or a batch of that feed does
    not balance with it (an action that stopped early made it from part of the
    frame), the observed figures of the feed are counted again from their frames
    (one more job) and those counts are returned.

    Returns
    -------
    list of BatchCounts
        Sorted by ``(feed, batch_id)``.
    """
    from pyspark.sql import functions as F

    # Every figure is a row per record (``n`` = 1; the lines read come counted per
    # batch), all summed in one aggregation: one shuffle for the whole job instead of
    # one per figure. Quarantined records are distinct source lines (``key``).
    def tally(frame: DataFrame, feed: str, kind: str, n: Column | None = None,
              key: Column | None = None) -> DataFrame:  # fmt: skip
        return frame.select(
            "batch_id",
            F.lit(feed).alias("feed"),
            F.lit(kind).alias("kind"),
            (F.lit(1) if n is None else n).cast("long").alias("n"),
            (F.lit(None) if key is None else key).cast("string").alias("key"),
        )

    def collect(parts: list[DataFrame]) -> None:
        union = union_by_name(parts)
        counted = union.groupBy("feed", "kind", "batch_id").agg(
            F.sum("n").alias("n"), F.count_distinct("key").alias("keys")
        )
        for row in counted.collect():
            n = row["keys"] if row["kind"] == "quarantined" else row["n"]
            figures.setdefault((row["feed"], row["batch_id"]), {})[row["kind"]] = int(n)

    parts = []
    for r in results:
        observed = {o.kind for o in r.observed}
        if "read" not in observed:
            parts.append(tally(r.read, r.feed, "read", n=F.col("read")))
        parts.append(tally(r.accepted, r.feed, "accepted"))
        line = F.concat_ws(":", "source_file", F.col("line_number").cast("string"))
        parts.append(tally(r.quarantine, r.feed, "quarantined", key=line))
        if "duplicates" not in observed:
            parts.append(tally(r.duplicates, r.feed, "duplicates"))
    if not parts:
        return []
    figures: dict[tuple[str, str], dict[str, int]] = {}
    collect(parts)
    recount = []
    for r in results:
        if r.observed and not _fill_observed(r, figures):
            log.info("reconciliation %s: observed figures missing or unbalanced, counting", r.feed)
            for o in r.observed:
                for (feed, _batch), f in figures.items():
                    if feed == r.feed:
                        f.pop(o.kind, None)
                recount.append(tally(o.frame, r.feed, o.kind))
    if recount:
        collect(recount)
    return [_batch_counts(key, f) for key, f in sorted(figures.items()) if f]


def _batch_counts(key: tuple[str, str], figures: dict[str, int]) -> BatchCounts:
    """Return the :class:`BatchCounts` of one ``(feed, batch_id)``; a missing figure is 0."""
    feed, batch_id = key
    return BatchCounts(
        batch_id=batch_id,
        feed=feed,  # type: ignore[arg-type]
        read=figures.get("read", 0),
        accepted=figures.get("accepted", 0),
        quarantined=figures.get("quarantined", 0),
        duplicates=figures.get("duplicates", 0),
    )


def _fill_observed(result: FeedResult, figures: dict[tuple[str, str], dict[str, int]]) -> bool:
    """Put ``result``'s observed figures in ``figures``; False if missing or unbalanced."""
    for o in result.observed:
        metrics = observed_metrics(o.observation)
        if metrics is None:
            return False
        for i, batch in enumerate(o.batches):
            n = int(metrics.get(f"n{i}") or 0)
            if n or (result.feed, batch) in figures:  # a batch without the feed: no figures
                figures.setdefault((result.feed, batch), {})[o.kind] = n
    return all(
        _batch_counts(key, f).balanced for key, f in figures.items() if key[0] == result.feed
    )


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
