"""Reconcile a product build's source records and gather what it rejected (DATASET.md 2).

Every record a build reads from its feeds is accepted, quarantined with a reason, or
dropped as a duplicate: per batch and feed, read = accepted + quarantined +
duplicates (``goldmine.rules.check_reconciliation`` decides). The publisher adds the
verdict to the product's checks (a mismatch refuses the publish: nothing is written)
and, on publication, keeps the quarantine (records and items) in the domain's private
``_quarantine/<name>/v<major>/`` Delta table (:func:`mesh.quarantine_location`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.rules import QUARANTINE_COLUMNS, BatchCounts, ReconciliationError, count_records
from goldmine.rules import check_reconciliation as rules_check_reconciliation
from goldmine.spark import empty_frame, union_by_name
from mesh._check_data import Check

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from mesh._build_context import BuildContext

#: Name and kind of the reconciliation check among a publish run's checks.
RECONCILIATION = "reconciliation"
#: Spark types of the quarantine table's columns (:data:`goldmine.rules.QUARANTINE_COLUMNS`).
QUARANTINE_TYPES: dict[str, str] = {
    "feed": "string",
    "batch_id": "string",
    "source_file": "string",
    "line_number": "bigint",
    "order_id": "string",
    "line_no": "int",
    "reason": "string",
    "raw": "string",
}


@dataclass(frozen=True)
class SourceReport:
    """What one product build did with its source records.

    Attributes
    ----------
    counts
        Reconciliation figures per batch and feed (``goldmine.rules.BatchCounts``).
    by_reason
        Quarantine rows (records and items) per reason.
    items
        Item-level quarantine rows (D6, D7, D10): not records, so not in ``counts``.
    location
        The product's quarantine table (``s3://<domain bucket>/_quarantine/<name>/v<major>/``).
    delta_version
        Its Delta version once written (``None``: not written, e.g. a refused run).
    unaccounted
        Source feeds of the contract that the build did not clean with
        ``BuildContext.clean_feed``: their rejects would be lost, so publishing stops.
    """

    counts: tuple[BatchCounts, ...]
    by_reason: dict[str, int] = field(default_factory=dict)
    items: int = 0
    location: str = ""
    delta_version: int | None = None
    unaccounted: tuple[str, ...] = ()

    @property
    def records(self) -> int:
        """Quarantined records (distinct source lines), as counted in the reconciliation."""
        return sum(c.quarantined for c in self.counts)

    def totals(self) -> dict[str, int]:
        """Return read, accepted, quarantined and duplicates over every batch and feed."""
        return {
            "read": sum(c.read for c in self.counts),
            "accepted": sum(c.accepted for c in self.counts),
            "quarantined": self.records,
            "duplicates": sum(c.duplicates for c in self.counts),
        }

    def check(self) -> Check:
        """Return the reconciliation check: fails on any unbalanced batch or unaccounted feed.

        Examples
        --------
        >>> ok = BatchCounts("20250106", "orders", 10, 8, 1, 1)
        >>> SourceReport((ok,)).check().passed
        True
        >>> bad = BatchCounts("20250107", "orders", 10, 8, 1, 0)
        >>> print(SourceReport((ok, bad)).check().detail)
        reconciliation failed, nothing written: orders batch 20250107: read 10 != accepted 8 + quarantined 1 + duplicates 0
        """  # noqa: E501
        problems = []
        if self.unaccounted:
            problems.append(
                f"source feeds {', '.join(self.unaccounted)} were not cleaned with "
                "BuildContext.clean_feed: their rejected records would be lost"
            )
        try:
            rules_check_reconciliation(list(self.counts))
        except ReconciliationError as exc:
            problems.append(str(exc))
        if problems:
            return Check(RECONCILIATION, RECONCILIATION, False, "; ".join(problems))
        t = self.totals()
        batches = len({c.batch_id for c in self.counts})
        feeds = ", ".join(sorted({c.feed for c in self.counts})) or "no records"
        return Check(
            RECONCILIATION,
            RECONCILIATION,
            True,
            f"read {t['read']} = accepted {t['accepted']} + quarantined {t['quarantined']} "
            f"+ duplicates {t['duplicates']} in {batches} batches ({feeds})",
        )

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> SourceReport:
        """Return the report a publication recorded (the inverse of :meth:`as_dict`).

        Examples
        --------
        >>> report = SourceReport((BatchCounts("20250106", "orders", 10, 8, 1, 1),),
        ...                       {"unparseable": 1}, 0, "s3://b/_quarantine/o/v1/", 3)
        >>> SourceReport.from_dict(report.as_dict()) == report
        True
        """
        quarantine, recon = record["quarantine"], record["reconciliation"]
        fields = ("batch_id", "feed", "read", "accepted", "quarantined", "duplicates")
        counts = tuple(BatchCounts(**{k: b[k] for k in fields}) for b in recon["batches"])
        return cls(
            counts,
            dict(quarantine["by_reason"]),
            int(quarantine["items"]),
            str(quarantine["location"]),
            quarantine["delta_version"],
            tuple(recon.get("unaccounted_feeds") or ()),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return the ``quarantine`` and ``reconciliation`` of a publication / run record."""
        return {
            "quarantine": {
                "location": self.location,
                "delta_version": self.delta_version,
                "records": self.records,
                "items": self.items,
                "by_reason": dict(sorted(self.by_reason.items())),
            },
            "reconciliation": {
                "balanced": self.check().passed,
                **self.totals(),
                "batches": [
                    {
                        "batch_id": c.batch_id,
                        "feed": c.feed,
                        "read": c.read,
                        "accepted": c.accepted,
                        "quarantined": c.quarantined,
                        "duplicates": c.duplicates,
                        "balanced": c.balanced,
                    }
                    for c in self.counts
                ],
                "unaccounted_feeds": list(self.unaccounted),
            },
        }


def quarantine_frame(context: BuildContext) -> DataFrame:
    """Return every record and item the build rejected, columns ``QUARANTINE_COLUMNS``.

    Record-level rejects of the batches a kept state holds (carried from the last
    quarantine, ADR 0039) and of the cleaned feeds, then the item-level ones, typed as
    in :data:`QUARANTINE_TYPES` (pure; the quarantine of a build without feeds is empty).
    """
    from pyspark.sql import functions as F

    parts = [
        *context.carried_quarantine,
        *(r.quarantine for r in context.cleaned.values()),
        *context.item_quarantine,
    ]
    typed = [
        part.select(*[F.col(c).cast(QUARANTINE_TYPES[c]).alias(c) for c in QUARANTINE_COLUMNS])
        for part in parts
    ]
    empty = empty_frame(context.spark, ", ".join(f"{c} {t}" for c, t in QUARANTINE_TYPES.items()))
    return union_by_name(typed, first=empty)


def add_counts(*parts: Sequence[BatchCounts]) -> list[BatchCounts]:
    """Return the figures of each batch and feed summed over ``parts``, sorted (pure).

    A kept batch whose file landed later is counted in two publishes.

    Examples
    --------
    >>> kept = [BatchCounts("b1", "orders", 10, 8, 1, 1)]
    >>> add_counts(kept, [BatchCounts("b1", "orders", 2, 2, 0, 0)])
    [BatchCounts(batch_id='b1', feed='orders', read=12, accepted=10, quarantined=1, duplicates=1)]
    """
    summed: dict[tuple[str, str], BatchCounts] = {}
    for c in (c for part in parts for c in part):
        was = summed.get((c.feed, c.batch_id))
        summed[(c.feed, c.batch_id)] = c if was is None else dataclasses.replace(
            was, read=was.read + c.read, accepted=was.accepted + c.accepted,
            quarantined=was.quarantined + c.quarantined, duplicates=was.duplicates + c.duplicates,
        )  # fmt: skip
    return [summed[key] for key in sorted(summed)]


def reconcile_sources(context: BuildContext, quarantine: DataFrame, location: str) -> SourceReport:
    """Reconcile what a build read from its feeds; count its quarantine by reason.

    Parameters
    ----------
    context
        The context the build ran with (its cleaned feeds and item quarantine; with a
        kept state, the batches it holds count as the last publication counted them).
    quarantine
        The build's quarantine (:func:`quarantine_frame`), persisted by the caller: it
        is counted here and written on publication.
    location
        Where the product's quarantine table goes (:func:`mesh.quarantine_location`).

    Returns
    -------
    SourceReport
        The figures; ``check()`` is the verdict. A product built only from other
        products has no source feeds and no quarantine: the publisher does not call
        this for it.
    """
    from pyspark.sql import functions as F

    counts = count_records(list(context.cleaned.values()))
    if context.state is not None:  # the kept files' batches, as the last publication counted them
        counts = add_counts(context.state.counts, counts)
    reasons = quarantine.groupBy("reason", F.col("line_no").isNotNull().alias("item")).agg(
        F.count(F.lit(1)).alias("n")
    )
    by_reason: dict[str, int] = {}
    items = 0
    for row in reasons.collect():
        by_reason[row["reason"]] = by_reason.get(row["reason"], 0) + int(row["n"])
        items += int(row["n"]) if row["item"] else 0
    unaccounted = tuple(sorted(set(context.landed) - set(context.cleaned)))
    return SourceReport(tuple(counts), by_reason, items, location, None, unaccounted)
