"""Build silver from bronze for a set of batches: clean with the shared rules, MERGE."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from goldmine.rules import (
    LANDED_SCHEMA,
    BatchCounts,
    FeedResult,
    check_reconciliation,
    clean_customers,
    clean_fx_rates,
    clean_orders,
    clean_products,
    clean_stores,
    count_records,
    parse_orders,
    resolve_current_orders,
    select_current_lines,
    validate_items,
)
from goldmine.settings import Settings
from goldmine.validation import CheckedFrame, ValidationReport, record_splits, report_splits
from lakehouse._delta import append_new_batches, is_table
from lakehouse._tables import table
from lakehouse.silver._merge import merge_newest, merge_replace_rows
from lakehouse.silver._merge_scd2 import merge_scd2

if TYPE_CHECKING:
    from pyspark import StorageLevel
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)
_LANDED_COLUMNS = [c.split()[0] for c in LANDED_SCHEMA.split(", ")]


@dataclass
class SilverCounts:
    """Records read / accepted / quarantined / duplicates of the batches, per feed."""

    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    quarantined_items: int = 0
    per_feed: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)
    #: What the batches touched (gold's incremental scope): ``order_dates``,
    #: ``customer_ids``, ``product_ids``.
    touched: dict[str, list] = field(default_factory=dict)
    #: The great-expectations reports, one per rule set ``split`` applied (``orders``,
    #: ``order_items``); result JSON under :func:`validation_prefix`.
    validation: tuple[ValidationReport, ...] = ()


def set_id(layer: str, name: str, batches: list[str]) -> str:
    """Return the idempotency id of one table's update for a set of batches."""
    digest = hashlib.sha1(",".join(sorted(batches)).encode()).hexdigest()[:16]
    return f"goldmine-lakehouse:{layer}:{name}:{digest}"


def validation_prefix(settings: Settings, batches: list[str]) -> str:
    """Where silver saves a batch set's validation result JSON, next to the build ledger.

    ``s3://<lakehouse>/_system/validation/<first batch>-<last batch>/<suite>.json``
    (the ledger is the Delta table ``_system/ledger``); a rerun overwrites it.
    """
    ordered = sorted(batches)
    return f"s3://{settings.buckets.lakehouse}/_system/validation/{ordered[0]}-{ordered[-1]}"


def read_bronze(spark: SparkSession, settings: Settings, batches: list[str]) -> DataFrame:
    """Return the bronze lines of ``batches`` (all feeds) in ``read_landed``'s shape."""
    from pyspark.sql import functions as F

    frames = []
    for feed in ("stores", "fx_rates", "products", "customers", "orders"):
        uri = table(f"bronze.{feed}").uri(settings)
        if is_table(spark, uri):
            frame = spark.read.format("delta").load(uri).filter(F.col("batch_id").isin(batches))
            frames.append(frame.select(*_LANDED_COLUMNS))
    if not frames:
        return spark.createDataFrame([], LANDED_SCHEMA)
    landed = frames[0]
    for frame in frames[1:]:
        landed = landed.unionByName(frame)
    return landed


@dataclass
class _Kept:
    """The frames a silver build persisted; :meth:`release` unpersists them all."""

    frames: list[DataFrame] = field(default_factory=list)

    def __call__(self, frame: DataFrame, level: StorageLevel | None = None) -> DataFrame:
        """Persist ``frame`` (memory, or ``level``) until :meth:`release`; return it."""
        kept = frame.cache() if level is None else frame.persist(level)
        self.frames.append(kept)
        return kept

    def release(self) -> None:
        """Unpersist every frame kept."""
        for frame in self.frames:
            frame.unpersist()
        self.frames.clear()


@dataclass
class _Feeds:
    """The batches' feeds cleaned by the shared rules, and what their splits judged."""

    stores: FeedResult
    fx: FeedResult
    products: FeedResult
    customers: FeedResult
    orders: FeedResult
    accepted: DataFrame
    checked: list[CheckedFrame]

    @property
    def results(self) -> tuple[FeedResult, ...]:
        """Return the five feeds' results, dimensions first."""
        return (self.stores, self.fx, self.products, self.customers, self.orders)


def build_silver(
    spark: SparkSession,
    settings: Settings,
    batches: list[str],
    progress: Callable[[str], None] | None = None,
    landed: DataFrame | None = None,
) -> SilverCounts:
    """Clean ``batches`` from bronze and MERGE them into every silver table.

    ``landed``: bronze's lines of ``batches`` when the caller has them (the bronze
    step that appended exactly them); ``None``: read from bronze (:func:`read_bronze`).

    Order: stores, fx rates, products, customers (SCD2), order versions, orders,
    order lines, quarantine. Each table is one atomic commit (or none when the
    same batches were already applied); every statement is idempotent by content
    too, so a rerun after a crash completes what is missing and changes nothing else.
    Last, great-expectations reports on what the rules' ``split`` judged (orders,
    order items): result JSON under :func:`validation_prefix`, one line each in
    ``SilverCounts.validation``, the log and the progress callback.
    """
    say = progress or (lambda _step: None)
    uri = {n: table(f"silver.{n}").uri(settings) for n in SILVER_TABLES}
    silver = _Silver(spark, uri, batches, say)
    kept = _Kept()
    try:
        if landed is None:
            landed = read_bronze(spark, settings, batches)
        feeds = clean_feeds(spark, uri, landed, batches, kept)
        say("silver: reconcile")
        counts = reconcile_feeds(feeds)
        merge_dimensions(silver, feeds)
        counts.touched = touched_by(feeds.accepted, feeds.products.accepted,
                                    feeds.customers.accepted)  # fmt: skip
        merge_orders(silver, feeds)
        valid, quarantine, checked_items = price_items(spark, uri, feeds, kept)
        say("silver.order_lines")
        merge_lines(silver, feeds.accepted, valid)
        say("silver.quarantine")
        counts.quarantined_items = append_quarantine(silver, quarantine)
        say("silver: validation report (great-expectations)")
        counts.validation = report_validation(
            [*feeds.checked, *checked_items], validation_prefix(settings, batches), say
        )
    finally:
        kept.release()
    return counts


SILVER_TABLES = ("stores", "fx_rates", "products", "customers", "order_versions", "orders",
                 "order_lines", "quarantine")  # fmt: skip


def clean_feeds(
    spark: SparkSession, uri: dict[str, str], landed: DataFrame, batches: list[str], kept: _Kept
) -> _Feeds:
    """Clean every feed of ``landed`` with the shared rules; keep what several steps read.

    The dimension feeds are small and read by several steps: cached, in one partition
    (their many small steps then run one task each, not one per bronze file). The
    orders are parsed once and kept on local disk (the page cache serves them back):
    their JSON is read by the reconciliation, SCD2, order versions, lines, quarantine
    and the report, and at 10 M lines the parsed orders (items included) outgrow a
    4 GiB driver heap, where an in-memory cache ran out of memory. They are kept
    partitioned by the duplicate-version key: every removal of duplicates (D1)
    downstream is then a sort within these partitions, not another shuffle.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    # Bronze is read once (its tables are planned and their files listed once).
    landed = kept(landed.select(*_LANDED_COLUMNS), StorageLevel.DISK_ONLY)
    dimensions = kept(landed.filter(F.col("feed") != "orders").coalesce(1))
    parsed = kept(
        parse_orders(landed).repartition("order_id", "updated_at"), StorageLevel.DISK_ONLY
    )
    stores, fx, products, customers = (
        _kept(clean(dimensions), kept)
        for clean in (clean_stores, clean_fx_rates, clean_products, clean_customers)
    )
    known = None
    if is_table(spark, uri["order_versions"]):
        known = (
            spark.read.format("delta").load(uri["order_versions"])
            .filter(~F.col("batch_id").isin(batches))
        )  # fmt: skip
    with record_splits() as checked:
        orders = clean_orders(landed, known_orders=known, parsed=parsed, batches=batches)
    # Cached before the reconciliation counts it, for the SCD2 ids, versions and orders.
    # The reconciliation is the first action on the orders and reads accepted orders and
    # rejects whole: the lines read and the duplicates are observed in that job, so the
    # only read of the parse validation adds here is the rejects' (persisted for the
    # quarantine and the report).
    accepted = kept(orders.accepted)
    return _Feeds(stores, fx, products, customers, orders, accepted, checked)


def reconcile_feeds(feeds: _Feeds) -> SilverCounts:
    """Reconcile every feed per batch (:func:`reconcile_all`); return the figures."""
    counts = SilverCounts()
    for c in reconcile_all(feeds.results):
        counts.read += c.read
        counts.accepted += c.accepted
        counts.quarantined += c.quarantined
        counts.duplicates += c.duplicates
        a = counts.per_feed.get(c.feed, (0, 0, 0, 0))
        counts.per_feed[c.feed] = (
            a[0] + c.read, a[1] + c.accepted, a[2] + c.quarantined, a[3] + c.duplicates,
        )  # fmt: skip
    return counts


#: The dimensions upserted newest-wins: silver table -> (feed, keys, "newest" order).
NEWEST_WINS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "stores": ("stores", ("store_id",), "struct(batch_id, line_number)"),
    "fx_rates": ("fx", ("rate_date", "currency"), "struct(ingest_date, batch_id, line_number)"),
    "products": ("products", ("product_id",),
                 "struct(updated_at, ingest_date, batch_id, line_number)"),
}  # fmt: skip


@dataclass(frozen=True)
class _Silver:
    """Where one silver build writes: the session, table locations, batches, progress."""

    spark: SparkSession
    uri: dict[str, str]
    batches: list[str]
    say: Callable[[str], None]

    def app_id(self, name: str) -> str:
        """Return the idempotency id of table ``name``'s update for these batches."""
        return set_id("silver", name, self.batches)


def merge_dimensions(silver: _Silver, feeds: _Feeds) -> None:
    """Apply stores, fx rates, products (newest wins) and customers (SCD2)."""
    for name, (feed, keys, order_by) in NEWEST_WINS.items():
        silver.say(f"silver.{name}")
        records = getattr(feeds, feed).accepted
        merge_newest(silver.spark, silver.uri[name], records, keys=keys, order_by=order_by,
                     app_id=silver.app_id(name))  # fmt: skip
    silver.say("silver.customers (SCD2)")
    merge_scd2(
        silver.spark, silver.uri["customers"], feeds.customers.accepted,
        feeds.accepted.select("customer_id"), app_id=silver.app_id("customers"),
    )  # fmt: skip


def merge_orders(silver: _Silver, feeds: _Feeds) -> None:
    """Append the batches' order versions; MERGE the current version of each order."""
    silver.say("silver.order_versions")
    append_new_batches(
        silver.spark, silver.uri["order_versions"],
        feeds.accepted.select("order_id", "updated_at", "batch_id", "source_file", "line_number"),
        app_id=silver.app_id("order_versions"), batches=silver.batches,
    )  # fmt: skip
    silver.say("silver.orders")
    merge_newest(
        silver.spark, silver.uri["orders"], resolve_current_orders(feeds.accepted),
        keys=("order_id",), order_by="updated_at", app_id=silver.app_id("orders"),
    )  # fmt: skip


def price_items(
    spark: SparkSession, uri: dict[str, str], feeds: _Feeds, kept: _Kept
) -> tuple[DataFrame, DataFrame, list[CheckedFrame]]:
    """Validate and price the accepted orders' items; return lines, quarantine, checks.

    The quarantine holds every feed's rejects and the item rejects.
    """
    from pyspark.sql import functions as F

    all_products = spark.read.format("delta").load(uri["products"])
    all_fx = spark.read.format("delta").load(uri["fx_rates"])
    assert feeds.orders.items is not None  # clean_orders always returns the items
    with record_splits() as checked:
        valid, quarantine = validate_items(
            feeds.orders.items, all_products, all_fx, feeds.accepted,
            keep=lambda items: kept_priced(items, kept),
        )  # fmt: skip
    for result in feeds.results:
        quarantine = quarantine.unionByName(result.quarantine)
    quarantine = quarantine.withColumn("line_number", F.col("line_number").cast("long"))
    return valid, quarantine, checked


def append_quarantine(silver: _Silver, quarantine: DataFrame) -> int:
    """Append the batches' rejects to the quarantine table; return the item rejects.

    One partition per batch: the table (partitioned by batch) gets one file per batch,
    written by as many tasks, instead of one per batch from every task of every feed.
    Item rejects are the rows with a ``line_no``, observed by the append's job, the
    first action that reads the item split's rejects and a whole one, so the split's
    observation, on the rejects' branch, counts every item. When every batch is there
    already (a replay) nothing is appended and they are counted.
    """
    from pyspark.sql import functions as F

    rejects = quarantine.repartition("batch_id")
    items = F.col("line_no").isNotNull()
    appended = append_new_batches(
        silver.spark, silver.uri["quarantine"], rejects, app_id=silver.app_id("quarantine"),
        partition_by=("batch_id",), batches=silver.batches, items=items,
    )  # fmt: skip
    return appended["items"] if appended else rejects.filter(items).count()


def merge_lines(silver: _Silver, accepted: DataFrame, valid: DataFrame) -> None:
    """Replace the lines of every order whose current version the batches brought."""
    current = (
        silver.spark.read.format("delta")
        .load(silver.uri["orders"])
        .join(accepted.select("order_id", "updated_at").distinct(), ["order_id", "updated_at"])
    )
    merge_replace_rows(
        silver.spark, silver.uri["order_lines"], select_current_lines(current, valid),
        current.select("order_id"), group_keys=("order_id",), row_keys=("order_id", "line_no"),
        app_id=silver.app_id("order_lines"),
    )  # fmt: skip


def report_validation(
    checked: list[CheckedFrame], prefix: str, say: Callable[[str], None]
) -> tuple[ValidationReport, ...]:
    """Report with great-expectations on what the splits judged; save the JSON at ``prefix``."""
    reports = report_splits(checked, prefix)
    for report in reports:
        log.info("validation %s -> %s", report.summary(), report.result_path)
        say(f"silver validation: {report.summary()}")
    return reports


def kept_priced(items: DataFrame, kept: _Kept) -> DataFrame:
    """Keep the priced items (:func:`persist_priced_items`) until the build releases them."""
    priced = persist_priced_items(items)
    kept.frames.append(priced)
    return priced


def persist_priced_items(items: DataFrame) -> DataFrame:
    """Keep the priced items on local disk: the item rejects and the order lines read them.

    The orders' whole chain (parse read, removal of duplicates, explode, product and fx
    lookups) then runs once for both, where each would run it (the lines' MERGE more
    than once: it asks ``isEmpty`` first). ``validate_items`` keeps the order line of
    rejected items only, so the copy is about the size of the lines.
    """
    from pyspark import StorageLevel

    return items.persist(StorageLevel.DISK_ONLY)


def _kept(result: FeedResult, kept: _Kept) -> FeedResult:
    """Return a dimension feed's ``result`` with its accepted records and rejects cached.

    The reconciliation counts them, then their MERGE and the quarantine table read them
    again; a dimension feed is small.
    """
    return dataclasses.replace(
        result, accepted=kept(result.accepted), quarantine=kept(result.quarantine)
    )


def touched_by(orders: DataFrame, products: DataFrame, customers: DataFrame) -> dict[str, list]:
    """Return the order dates, customers and products that accepted records touch.

    Every accepted version counts (a status change reaches its order's date), as do
    changed products (their category moves revenue on every date they sold) and
    changed customers (segment, country).
    """
    from pyspark.sql import functions as F

    keys = (
        orders.select(F.lit("order_date").alias("k"), F.col("order_date").cast("string").alias("v"))
        .unionByName(
            orders.select(F.lit("customer_id").alias("k"), F.col("customer_id").alias("v"))
        )
        .unionByName(
            customers.select(F.lit("customer_id").alias("k"), F.col("customer_id").alias("v"))
        )
        .unionByName(
            products.select(F.lit("product_id").alias("k"), F.col("product_id").alias("v"))
        )
        .filter(F.col("v").isNotNull())
        .distinct()
        .collect()
    )
    found: dict[str, set] = {"order_dates": set(), "customer_ids": set(), "product_ids": set()}
    names = {
        "order_date": "order_dates",
        "customer_id": "customer_ids",
        "product_id": "product_ids",
    }
    for row in keys:
        found[names[row["k"]]].add(row["v"])
    return {k: sorted(v) for k, v in found.items()}


def reconcile_all(results: tuple[FeedResult, ...]) -> list[BatchCounts]:
    """Count every feed's records per batch in one Spark job and check they balance.

    Raises
    ------
    goldmine.rules.ReconciliationError
        When a batch has read != accepted + quarantined + duplicates.
    """
    counts = count_records(results)
    check_reconciliation(counts)
    return counts
