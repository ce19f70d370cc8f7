"""What a product build receives: Spark, the platform, its input products, its feeds.

A build cleans its feeds with :meth:`BuildContext.clean_feed` (the shared
``goldmine.rules``) and hands item-level rejects to :meth:`BuildContext.quarantine_items`,
so the context keeps every record the build could not use: the publisher reconciles
them (read = accepted + quarantined + duplicates) and keeps the quarantine in the
domain (:func:`mesh.reconcile_sources`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform
    from goldmine.rules import FeedResult, LandedFile
    from mesh._feed_state import FeedState


@dataclass
class BuildContext:
    """Inputs of one product build, and what the build rejected.

    Attributes
    ----------
    spark
        The Spark session.
    platform
        The environment (settings and clients).
    inputs
        Input products read through their published contracts, ``{product id: df}``.
    landed
        The domain's own landed source files, per feed.
    cleaned
        The feeds cleaned with :meth:`clean_feed`, ``{feed: FeedResult}``: accepted
        records, record-level quarantine, duplicates dropped and records read, of the
        files this build read (with a :attr:`state`: the new files only).
    item_quarantine
        Item-level rejects handed in with :meth:`quarantine_items`.
    s3
        The S3 client to read the landed files with (``None``: a new one from
        ``platform``); the publisher passes the one it uses for the whole publish.
    lines
        The landed lines of each feed, once read (:meth:`read_feeds`): the publisher
        reads them before the build and keeps them persisted while the publish runs
        (they are read by the build, the reconciliation and the quarantine).
    kept
        Frames the build asked to keep (:meth:`keep`): the publisher persists them
        with the product once the build returns, until the publish ends.
    state
        What the newest publication kept of its cleaned ``orders`` (ADR 0039;
        :mod:`mesh._feed_state`): when given, only the landed files it does not hold
        are read and cleaned, and :meth:`clean_feed` returns the kept records and
        items with the new ones. ``None``: every landed file is read.
    carried_quarantine
        Record-level rejects of the kept files (from the newest publication's
        quarantine), which the publisher keeps with this build's.
    """

    spark: SparkSession
    platform: Platform
    inputs: dict[str, DataFrame] = field(default_factory=dict)
    landed: dict[str, list[LandedFile]] = field(default_factory=dict)
    cleaned: dict[str, FeedResult] = field(default_factory=dict)
    item_quarantine: list[DataFrame] = field(default_factory=list)
    s3: Any = None
    lines: dict[str, DataFrame] = field(default_factory=dict)
    kept: list[DataFrame] = field(default_factory=list)
    state: FeedState | None = None
    carried_quarantine: list[DataFrame] = field(default_factory=list)
    _whole: dict[str, FeedResult] = field(default_factory=dict, init=False, repr=False)

    @property
    def as_of(self) -> dt.date | None:
        """Return the newest ingest date of the landed files (``None`` without feeds)."""
        dates = [f.ingest_date for files in self.landed.values() for f in files if f.ingest_date]
        return max(dates) if dates else None

    def read_feed(self, feed: str) -> DataFrame:
        """Return the landed lines of one of the domain's feeds (``goldmine.rules``).

        Raw lines: a build should use :meth:`clean_feed`, which keeps what the rules
        reject; the publisher refuses a product whose source feeds were not cleaned so.
        Lines read before (:meth:`read_feeds`) are not read again; with a
        :attr:`state`, the files it holds are not read.
        """
        from goldmine.rules import read_landed

        if feed in self.lines:
            return self.lines[feed]
        s3 = self.s3 if self.s3 is not None else self.platform.aws.s3()
        files = self.landed[feed]
        if self.state is not None:
            files = self.state.new_files(files)
        return read_landed(self.spark, files, s3_client=s3)

    def read_feeds(self) -> dict[str, DataFrame]:
        """Read the landed lines of every feed of :attr:`landed` into :attr:`lines`; return them."""
        for feed in self.landed:
            self.lines[feed] = self.read_feed(feed)
        return self.lines

    def clean_feed(self, feed: str) -> FeedResult:
        """Clean one of the domain's feeds with the shared rules and keep what they reject.

        Every landed batch of the feed is cleaned at once (``orders``: the first landed
        record of a D1 key is kept, later copies are duplicates). The result's
        quarantine, duplicates and records read stay in the context for the publisher;
        cleaning the same feed again returns the same result (counted once). With a
        :attr:`state`, the new files are cleaned against the kept records, and the
        result's ``accepted`` and ``items`` are the kept ones and the new ones.

        Parameters
        ----------
        feed
            ``orders``, ``customers``, ``products``, ``stores`` or ``fx_rates``; one of
            the contract's ``sourceFeeds``.

        Returns
        -------
        goldmine.rules.FeedResult
            The output of ``goldmine.rules.clean_<feed>``.
        """
        if feed in self.cleaned:
            return self._whole.get(feed, self.cleaned[feed])
        from goldmine import rules

        cleaners: dict[str, Callable[[DataFrame], FeedResult]] = {
            "orders": self._clean_orders,
            "customers": rules.clean_customers,
            "products": rules.clean_products,
            "stores": rules.clean_stores,
            "fx_rates": rules.clean_fx_rates,
        }
        if feed not in cleaners:
            raise ValueError(f"unknown feed {feed!r}: expected one of {', '.join(cleaners)}")
        if feed not in self.landed:
            raise ValueError(
                f"feed {feed!r} is not in the contract's sourceFeeds ({', '.join(self.landed)})"
            )
        result = cleaners[feed](self.read_feed(feed))
        self.cleaned[feed] = result
        return self._whole.get(feed, result)

    def _clean_orders(self, lines: DataFrame) -> FeedResult:
        """``goldmine.rules.clean_orders`` of JSON parsed once, kept on local disk.

        Every output of ``clean_orders`` (accepted records and their items, rejects,
        duplicates, lines read) derives from the parse; each parsed the JSON again (as
        in the lake, ``lake._build_steps.clean_feeds``). The parse is kept first among
        :attr:`kept`, so the frames kept after it read its copy; the publisher releases
        it with them. It is kept partitioned by the duplicate-version key (as the
        lakehouse's, ``lakehouse.silver.clean_feeds``): each product's removal of
        duplicates (D1) is then a sort within those partitions, not a shuffle of every
        parsed line per product.
        """
        from pyspark import StorageLevel

        from goldmine.rules import clean_orders, parse_orders
        from mesh._feed_state import read_state

        parsed = parse_orders(lines).repartition("order_id", "updated_at")
        parsed = parsed.persist(StorageLevel.DISK_ONLY)
        self.kept.append(parsed)
        if self.state is None:
            return clean_orders(lines, parsed=parsed)
        kept = read_state(self.spark, self.state)
        new = clean_orders(lines, known_orders=kept["orders"], parsed=parsed)
        assert new.items is not None  # clean_orders always returns the items
        self._whole["orders"] = dataclasses.replace(
            new,
            accepted=kept["orders"].unionByName(new.accepted),
            items=kept["items"].unionByName(new.items),
        )
        return new

    def keep(self, frame: DataFrame) -> DataFrame:
        """Ask the publisher to keep ``frame`` persisted while the publish runs; return it.

        For a frame both the product and its quarantine read (``sales.orders``: the
        priced items, ``goldmine.rules.validate_items(keep=...)``): computed once, not
        once per output (its lookups broadcast and its inputs' files listed again).
        Nothing runs here: the frame is persisted when the build returns, before any
        of its outputs is computed.
        """
        self.kept.append(frame)
        return frame

    def quarantine_items(self, quarantine: DataFrame) -> None:
        """Keep item-level rejects (the quarantine of ``goldmine.rules.validate_items``).

        Items are not records: their order record is accepted, so they go to the
        quarantine table but not into the reconciliation's ``quarantined``.
        """
        self.item_quarantine.append(quarantine)


#: A product build: the context in, the product DataFrame (contract columns) out.
Build = Callable[[BuildContext], "DataFrame"]
#: Extra per-call settings a caller may pass to a build (tests, reruns).
BuildOptions = dict[str, Any]
