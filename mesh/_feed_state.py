"""The cleaned orders a product keeps between publishes, so a new batch is cleaned alone.

A product built from the ``orders`` feed (``sales.orders``) keeps what the shared rules
made of every batch it cleaned: the accepted order records and their items
(``goldmine.rules.clean_orders``' ``accepted`` and ``items``), in two Delta tables under
the domain's private ``_state/<name>/v<major>/`` (:func:`mesh.state_location`). Its
publication records them (``state``: location, each table's Delta version, the landed
files they hold). The next publish of the same contract then reads and parses only the
files landed since (:func:`previous_state` decides), cleans them against the kept
records (a D1 copy of a kept record is a duplicate of the batch it lands in, as in the
lakehouse's silver), and builds the product from the kept records and the new ones:
the whole product again, from columnar state instead of every landed JSON line, so a
retroactive change (a product landing later makes earlier items valid, D7; a new fx
rate changes earlier conversions, D10; an older version arriving late, D2) is exact by
construction (ADR 0039).

The state knows the files it holds, not only their batches: a file of a kept batch that
lands later is read as new. It is read at the Delta versions the publication recorded:
rows a refused or crashed publish may have written after them are never read, and the
next publish replaces them (its write replaces the rows of the files it cleaned).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mesh._reconcile_sources import SourceReport

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.rules import BatchCounts, FeedResult, LandedFile

#: Feeds whose cleaned records a product keeps (the large, daily one).
STATE_FEEDS = ("orders",)
#: The kept tables, each a Delta table under the state location (:func:`state_frames`).
STATE_TABLES = ("orders", "items")


def state_table(location: str, name: str) -> str:
    """Return the kept table ``name`` under the state ``location`` (:data:`STATE_TABLES`).

    >>> state_table("s3://b/_state/orders/v1/", "items")
    's3://b/_state/orders/v1/items/'
    """
    return f"{location.rstrip('/')}/{name}/"


def keeps_state(feeds: Sequence[str]) -> bool:
    """Return whether a product built from ``feeds`` keeps its cleaned feeds (all kept ones).

    >>> keeps_state(["orders"]), keeps_state(["customers"]), keeps_state([])
    (True, False, False)
    """
    return bool(feeds) and all(feed in STATE_FEEDS for feed in feeds)


@dataclass(frozen=True)
class FeedState:
    """What the newest publication kept of its cleaned ``orders``, and what it counted.

    Attributes
    ----------
    location
        ``s3://<domain bucket>/_state/<name>/v<major>/`` (one table per :data:`STATE_TABLES`).
    versions
        The Delta version of each kept table the publication was built from.
    files
        The landed files (URIs) of the feed whose records the kept tables hold.
    counts
        The publication's reconciliation figures of their batches.
    quarantine
        The publication's quarantine table and its version, whose record-level rejects
        (D4, D5) of those batches are carried into the next quarantine.
    """

    location: str
    versions: Mapping[str, int]
    files: tuple[str, ...]
    counts: tuple[BatchCounts, ...]
    quarantine: tuple[str, int]

    def table(self, name: str) -> str:
        """Return the location of one kept table (``orders`` or ``items``)."""
        return state_table(self.location, name)

    def new_files(self, files: Sequence[LandedFile]) -> list[LandedFile]:
        """Return the files the state does not hold yet (to read and clean)."""
        kept = set(self.files)
        return [f for f in files if f.uri not in kept]


def previous_state(
    publication: Mapping[str, Any] | None,
    contract_sha256: str,
    landed: Mapping[str, Sequence[LandedFile]],
) -> FeedState | None:
    """Return the state a publish can build on, or ``None`` to clean every landed file.

    Built on only when all of these hold: the newest publication of the contract's
    major kept a state; the contract's document is the one it was built with (a
    changed rule or column rebuilds); the product's feeds (the keys of ``landed``) are
    all kept feeds (:func:`keeps_state`); every file the state holds is still landed (a
    landed file never changes, DATASET.md 1; one gone means the landing was rewritten).

    Examples
    --------
    >>> from goldmine.rules import LandedFile
    >>> f = lambda b: LandedFile(f"s3://l/sales/orders/x/{b}.jsonl", "orders", b, None)
    >>> pub = {"state": {"location": "s3://s/_state/orders/v1/",
    ...                  "versions": {"orders": 0, "items": 0}, "files": [f("b1").uri]},
    ...        "input_fingerprint": {"contract": {"sha256": "c"}},
    ...        "reconciliation": {"batches": [{"batch_id": "b1", "feed": "orders", "read": 2,
    ...            "accepted": 2, "quarantined": 0, "duplicates": 0}]},
    ...        "quarantine": {"location": "s3://s/_quarantine/orders/v1/", "delta_version": 0,
    ...                       "items": 0, "by_reason": {}}}
    >>> state = previous_state(pub, "c", {"orders": [f("b1"), f("b2")]})
    >>> [x.batch_id for x in state.new_files([f("b1"), f("b2")])]
    ['b2']
    >>> previous_state(pub, "changed", {"orders": [f("b1")]}) is None
    True
    >>> previous_state(pub, "c", {"orders": [f("b2")]}) is None  # b1 is gone
    True
    """
    if not publication or not publication.get("state") or not keeps_state(list(landed)):
        return None
    recorded = (publication.get("input_fingerprint") or {}).get("contract") or {}
    if recorded.get("sha256") != contract_sha256 or not publication.get("reconciliation"):
        return None
    state, report = publication["state"], SourceReport.from_dict(dict(publication))
    files = tuple(state.get("files") or ())
    landed_files = {f.uri for found in landed.values() for f in found}
    if not set(files) <= landed_files or report.delta_version is None:
        return None
    return FeedState(
        str(state["location"]),
        {name: int(v) for name, v in state["versions"].items()},
        files,
        report.counts,
        (report.location, int(report.delta_version)),
    )


def read_state(spark: SparkSession, state: FeedState) -> dict[str, DataFrame]:
    """Return the kept tables at the versions the publication recorded, ``{name: df}``."""
    return {
        name: spark.read.format("delta")
        .option("versionAsOf", state.versions[name])
        .load(state.table(name))
        for name in STATE_TABLES
    }


def carried_rejects(spark: SparkSession, state: FeedState) -> DataFrame:
    """Return the record-level rejects (D4, D5) of the kept batches, from the last quarantine.

    Item-level rejects are not carried: the build validates every kept item again
    (a later product or rate can make an earlier item valid, D7, D10).
    """
    location, version = state.quarantine
    table = spark.read.format("delta").option("versionAsOf", version).load(location)
    return table.where(table["line_no"].isNull())


def state_frames(cleaned: FeedResult) -> dict[str, DataFrame]:
    """Return what a publish keeps of one cleaned ``orders`` result, ``{table: df}`` (pure)."""
    assert cleaned.items is not None  # clean_orders always returns the items
    return {"orders": cleaned.accepted, "items": cleaned.items}


def replace_files(frame: DataFrame, location: str, files: Sequence[str]) -> None:
    """Replace the rows of ``files`` in the kept table at ``location``: one Delta commit.

    ``replaceWhere`` on ``source_file``: the rows of a publish that crashed or was
    refused after writing those files go with them. (A full build writes the tables
    whole, as the publisher writes every table.)
    """
    quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in sorted(files))
    frame.write.format("delta").mode("overwrite").option(
        "replaceWhere", f"source_file IN ({quoted})"
    ).save(location)
