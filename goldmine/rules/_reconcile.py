"""Reconciliation: records read = accepted + quarantined + duplicates dropped."""

from __future__ import annotations

from goldmine.rules._model import BatchCounts, FeedResult, ReconciliationError


def reconcile(result: FeedResult) -> list[BatchCounts]:
    """Count a feed's records per batch and check that they reconcile exactly.

    For orders, a record is a line: item-level quarantines (D6/D7/D10) do not
    reject the record, so ``quarantined`` counts the record-level ones only
    (see :func:`reconcile_items` for items).

    Parameters
    ----------
    result
        The output of a ``clean_*`` function.

    Returns
    -------
    list of BatchCounts
        One per batch, sorted by ``batch_id``.

    Raises
    ------
    ReconciliationError
        When any batch has read != accepted + quarantined + duplicates; the
        message lists every unbalanced batch with its four figures.
    """
    from pyspark.sql import functions as F

    def per_batch(df: object, name: str) -> dict[str, int]:
        rows = df.groupBy("batch_id").agg(F.count(F.lit(1)).alias(name)).collect()  # type: ignore[attr-defined]
        return {r["batch_id"]: int(r[name]) for r in rows}

    read = {r["batch_id"]: int(r["read"]) for r in result.read.collect()}
    accepted = per_batch(result.accepted, "n")
    quarantined = per_batch(
        result.quarantine.select("batch_id", "source_file", "line_number").distinct(), "n"
    )
    duplicates = per_batch(result.duplicates, "n")
    counts = [
        BatchCounts(
            batch_id=b,
            feed=result.feed,
            read=read.get(b, 0),
            accepted=accepted.get(b, 0),
            quarantined=quarantined.get(b, 0),
            duplicates=duplicates.get(b, 0),
        )
        for b in sorted(set(read) | set(accepted) | set(quarantined) | set(duplicates))
    ]
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
