"""Build silver from bronze for a set of batches: clean with the shared rules, MERGE."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.plan import Plan, Step, run_plan
from goldmine.read_delta import read_delta_table
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
from goldmine.spark import empty_frame, run_in_own_sessions, union_by_name
from goldmine.validation import CheckedFrame, ValidationReport, record_splits, report_splits
from lakehouse._delta import append_new_batches, is_table
from lakehouse._tables import table
from lakehouse.silver._merge import merge_newest, merge_replace_rows
from lakehouse.silver._merge_scd2 import merge_scd2

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.read_delta import DeltaLogReader
    from lakehouse.bronze import BronzeResult

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
        return empty_frame(spark, LANDED_SCHEMA)
    landed = frames[0]
    for frame in frames[1:]:
        landed = landed.unionByName(frame)
    return landed


@dataclass
class Feeds:
    """The batches' feeds cleaned by the shared rules, and what their splits judged."""

    stores: FeedResult
    fx: FeedResult
    products: FeedResult
    customers: FeedResult
    orders: FeedResult
    accepted: DataFrame
    checked: list[CheckedFrame]
    #: The dimension lines (one partition) and the parsed orders the feeds derive from.
    dimensions: DataFrame
    parsed: DataFrame

    @property
    def results(self) -> tuple[FeedResult, ...]:
        """Return the five feeds' results, dimensions first."""
        return (self.stores, self.fx, self.products, self.customers, self.orders)

    def kept(self) -> list[DataFrame]:
        """Return the frames several steps read (each before the frames derived from it).

        The dimension feeds are small and read by several steps: kept in memory, in
        one partition (their many small steps then run one task each, not one per
        bronze file); their accepted records and rejects are counted by the
        reconciliation, then read by their MERGE and the quarantine. The parsed orders
        are kept on local disk by :func:`clean_feeds`. The accepted orders are kept
        for the SCD2 ids, the versions and the orders.
        """
        dims = (self.stores, self.fx, self.products, self.customers)
        feeds = [f for d in dims for f in (d.accepted, d.quarantine)]
        return [self.dimensions, self.parsed, *feeds, self.accepted]


@dataclass
class Priced:
    """The accepted orders' items validated and priced: lines, every reject, checks."""

    valid: DataFrame
    quarantine: DataFrame
    checked: list[CheckedFrame]
    #: The priced items the rules kept (:func:`persist_priced_items`), if they did.
    priced: DataFrame | None = None

    def kept(self) -> list[DataFrame | None]:
        """Return the priced items: read by the item rejects and by the order lines."""
        return [self.priced]


def bronze_lines(
    spark: SparkSession,
    settings: Settings,
    silver_batches: list[str],
    bronze: BronzeResult | None = None,
    bronze_batches: list[str] | None = None,
) -> DataFrame:
    """Return bronze's lines of the batches, kept on local disk for the cleaning.

    When the bronze step of the same build appended exactly those lines (``bronze``
    of ``bronze_batches`` equal to these batches, no table holding any before), they
    are taken from it, where its appends kept them; otherwise they are read from
    bronze (:func:`read_bronze`) and kept here. Either way bronze is read once (its
    tables planned and their files listed once) and the landed files are not read
    again.
    """
    from pyspark import StorageLevel

    if bronze is not None and bronze.landed is not None and bronze_batches == silver_batches:
        return bronze.landed.select(*_LANDED_COLUMNS)
    lines = read_bronze(spark, settings, silver_batches)
    return lines.select(*_LANDED_COLUMNS).persist(StorageLevel.DISK_ONLY)


def _kept_here(lines: DataFrame) -> list[DataFrame]:
    """Return the lines :func:`bronze_lines` kept itself (bronze keeps those it read)."""
    return [lines] if lines.is_cached else []


def clean_feeds(
    spark: SparkSession, settings: Settings, silver_batches: list[str], bronze_lines: DataFrame
) -> Feeds:
    """Clean every feed of the batches' lines with the shared rules.

    The orders are parsed once and kept on local disk (the page cache serves them
    back): their JSON is read by the reconciliation, SCD2, order versions, lines,
    quarantine and the report, and at 10 M lines the parsed orders (items included)
    outgrow a 4 GiB driver heap, where an in-memory cache ran out of memory. They are
    kept partitioned by the duplicate-version key: every removal of duplicates (D1)
    downstream is then a sort within these partitions, not another shuffle. What else
    several steps read is kept by the plan (:meth:`Feeds.kept`).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    landed = bronze_lines
    # One partition, made by a shuffle: a coalesce would read every landed line (orders
    # too) in that one task.
    dimensions = landed.filter(F.col("feed") != "orders").repartition(1)
    parsed = parse_orders(landed).repartition("order_id", "updated_at")
    parsed = parsed.persist(StorageLevel.DISK_ONLY)
    stores, fx, products, customers = (
        clean(dimensions)
        for clean in (clean_stores, clean_fx_rates, clean_products, clean_customers)
    )
    known = None
    versions = _uri(settings, "order_versions")
    if is_table(spark, versions):
        # A local checkpoint (lazy): the feeds the plan keeps then read no table this
        # build writes; merge_orders' append would otherwise re-cache them (Spark
        # re-caches the cached plans that read a table it writes; ADR 0047).
        known = (
            spark.read.format("delta").load(versions)
            .filter(~F.col("batch_id").isin(silver_batches))
            .localCheckpoint(eager=False)
        )  # fmt: skip
    with record_splits() as checked:
        orders = clean_orders(landed, known_orders=known, parsed=parsed, batches=silver_batches)
    # Kept (by the plan) before the reconciliation counts it. The reconciliation is the
    # first action on the orders and reads accepted orders and rejects whole: the lines
    # read and the duplicates are observed in that job, so the only read of the parse
    # validation adds here is the rejects' (kept for the quarantine and the report).
    return Feeds(stores, fx, products, customers, orders, orders.accepted, checked,
                 dimensions, parsed)  # fmt: skip


def reconcile(clean_feeds: Feeds) -> SilverCounts:
    """Reconcile every feed per batch (:func:`reconcile_all`); return the figures."""
    counts = SilverCounts()
    for c in reconcile_all(clean_feeds.results):
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


def _uri(settings: Settings, name: str) -> str:
    return table(f"silver.{name}").uri(settings)


def merge_prices(
    spark: SparkSession, settings: Settings, silver_batches: list[str], clean_feeds: Feeds
) -> None:
    """Apply fx rates and products (newest wins), at once: the tables pricing reads.

    Two MERGEs, each on a Spark session of its own (its idempotent-DML settings are its
    own: ADR 0035).
    """
    run_in_own_sessions(
        spark, _newest_wins(settings, silver_batches, clean_feeds, ("fx_rates", "products"))
    )


def merge_dimensions(
    spark: SparkSession, settings: Settings, silver_batches: list[str], clean_feeds: Feeds
) -> None:
    """Apply stores (newest wins) and customers (SCD2), at once, each on its own session."""
    merges = _newest_wins(settings, silver_batches, clean_feeds, ("stores",))
    merges["customers"] = functools.partial(
        merge_scd2, uri=_uri(settings, "customers"), records=clean_feeds.customers.accepted,
        order_customers=clean_feeds.accepted.select("customer_id"),
        app_id=set_id("silver", "customers", silver_batches),
    )  # fmt: skip
    run_in_own_sessions(spark, merges)


def _newest_wins(
    settings: Settings, silver_batches: list[str], clean_feeds: Feeds, names: tuple[str, ...]
) -> dict[str, Callable[[SparkSession], object]]:
    """Return the MERGE of each of ``names`` (:data:`NEWEST_WINS`), to run on a session."""
    merges: dict[str, Callable[[SparkSession], object]] = {}
    for name in names:
        feed, keys, order_by = NEWEST_WINS[name]
        merges[name] = functools.partial(
            merge_newest, uri=_uri(settings, name), source=getattr(clean_feeds, feed).accepted,
            keys=keys, order_by=order_by, app_id=set_id("silver", name, silver_batches),
        )  # fmt: skip
    return merges


def touched(clean_feeds: Feeds) -> dict[str, list]:
    """Return what the batches' accepted records touch (gold's scope, :func:`touched_by`)."""
    feeds = clean_feeds
    return touched_by(feeds.accepted, feeds.products.accepted, feeds.customers.accepted)


def merge_orders(
    spark: SparkSession,
    settings: Settings,
    silver_batches: list[str],
    clean_feeds: Feeds,
    delta_log: DeltaLogReader | None = None,
) -> None:
    """Append the batches' order versions; MERGE the current version of each order.

    Two tables, at once, each on a Spark session of its own (ADR 0035). ``delta_log``
    reads which batches the versions hold without Spark (ADR 0041).
    """
    accepted = clean_feeds.accepted
    versions = accepted.select("order_id", "updated_at", "batch_id", "source_file", "line_number")
    writes: dict[str, Callable[[SparkSession], object]] = {
        "order_versions": functools.partial(
            append_new_batches, uri=_uri(settings, "order_versions"), frame=versions,
            batches=silver_batches, log=delta_log,
        ),
        "orders": functools.partial(
            merge_newest, uri=_uri(settings, "orders"), source=resolve_current_orders(accepted),
            keys=("order_id",), order_by="updated_at",
            app_id=set_id("silver", "orders", silver_batches),
        ),
    }  # fmt: skip
    run_in_own_sessions(spark, writes)


def price_items(
    spark: SparkSession,
    settings: Settings,
    clean_feeds: Feeds,
    delta_log: DeltaLogReader | None = None,
) -> Priced:
    """Validate and price the accepted orders' items; return lines, quarantine, checks.

    The quarantine holds every feed's rejects and the item rejects. The products and
    rates, when small, are read in the driver (``delta_log``, ADR 0044).
    """
    from pyspark.sql import functions as F

    feeds = clean_feeds
    all_products = read_delta_table(spark, _uri(settings, "products"), delta_log)
    all_fx = read_delta_table(spark, _uri(settings, "fx_rates"), delta_log)
    assert feeds.orders.items is not None  # clean_orders always returns the items
    kept: list[DataFrame] = []

    def keep(items: DataFrame) -> DataFrame:
        kept.append(persist_priced_items(items))
        return kept[-1]

    with record_splits() as checked:
        valid, quarantine = validate_items(
            feeds.orders.items, all_products, all_fx, feeds.accepted, keep=keep
        )
    quarantine = union_by_name([quarantine, *(r.quarantine for r in feeds.results)])
    quarantine = quarantine.withColumn("line_number", F.col("line_number").cast("long"))
    return Priced(valid, quarantine, checked, kept[0] if kept else None)


def merge_lines(
    spark: SparkSession,
    settings: Settings,
    silver_batches: list[str],
    clean_feeds: Feeds,
    price_items: Priced,
) -> None:
    """Replace the lines of every order whose current version the batches brought."""
    current = (
        spark.read.format("delta")
        .load(_uri(settings, "orders"))
        .join(
            clean_feeds.accepted.select("order_id", "updated_at").distinct(),
            ["order_id", "updated_at"],
        )
    )
    merge_replace_rows(
        spark, _uri(settings, "order_lines"), select_current_lines(current, price_items.valid),
        current.select("order_id"), group_keys=("order_id",), row_keys=("order_id", "line_no"),
        app_id=set_id("silver", "order_lines", silver_batches),
    )  # fmt: skip


def append_quarantine(
    spark: SparkSession,
    settings: Settings,
    silver_batches: list[str],
    price_items: Priced,
    delta_log: DeltaLogReader | None = None,
) -> int:
    """Append the batches' rejects to the quarantine table; return the item rejects.

    One partition per batch: the table (partitioned by batch) gets one file per batch,
    written by as many tasks, instead of one per batch from every task of every feed.
    Item rejects are the rows with a ``line_no``, observed by the append's job, the
    first action that reads the item split's rejects and a whole one, so the split's
    observation, on the rejects' branch, counts every item. When every batch is there
    already (a replay) nothing is appended and they are counted.
    """
    from pyspark.sql import functions as F

    rejects = price_items.quarantine.repartition("batch_id")
    items = F.col("line_no").isNotNull()
    appended = append_new_batches(
        spark, _uri(settings, "quarantine"), rejects, partition_by=("batch_id",),
        batches=silver_batches, log=delta_log, items=items,
    )  # fmt: skip
    return appended["items"] if appended else rejects.filter(items).count()


def report_validation(
    settings: Settings,
    silver_batches: list[str],
    clean_feeds: Feeds,
    price_items: Priced,
    say: Callable[[str], None] | None = None,
) -> tuple[ValidationReport, ...]:
    """Report with great-expectations on what the splits judged (orders, order items).

    The result JSON is saved under :func:`validation_prefix`; one line per report goes
    to the log and to ``say``.
    """
    checked = [*clean_feeds.checked, *price_items.checked]
    reports = report_splits(checked, validation_prefix(settings, silver_batches))
    for report in reports:
        log.info("validation %s -> %s", report.summary(), report.result_path)
        if say is not None:
            say(f"silver validation: {report.summary()}")
    return reports


#: Silver: clean the batches from bronze with the shared rules and MERGE them into every
#: silver table, each one atomic commit (or none when the same batches were applied
#: already); every statement is idempotent by content too, so a rerun after a crash
#: completes what is missing and changes nothing else. Last, great-expectations reports
#: on what the rules' ``split`` judged.
SILVER_PLAN = Plan(
    "silver",
    (
        Step("bronze_lines", bronze_lines, persist=_kept_here),
        Step("clean_feeds", clean_feeds, persist=Feeds.kept),
        Step("reconcile", reconcile),
        # The reconciliation's job is the first to read the cleaned feeds (it observes
        # the lines read and the duplicates): what reads them starts after it.
        Step("merge_prices", merge_prices, after=("reconcile",)),
        Step("merge_dimensions", merge_dimensions, after=("reconcile",)),
        Step("touched", touched, after=("reconcile",)),
        Step("merge_orders", merge_orders, after=("reconcile",)),
        # Prices from the products and rates tables merge_prices wrote (not waiting for
        # the customers' SCD2 MERGE, the longest: gold, which reads it, waits for all).
        Step("price_items", price_items, persist=Priced.kept, after=("merge_prices",)),
        # The current orders from the table merge_orders wrote.
        Step("merge_lines", merge_lines, after=("merge_orders",)),
        Step("append_quarantine", append_quarantine, after=()),
        # What the item split observed, in the jobs of the lines and the quarantine.
        Step("report_validation", report_validation, after=("merge_lines", "append_quarantine")),
    ),
)


def silver_counts(outputs: Mapping[str, Any]) -> SilverCounts:
    """Return what silver did, from the outputs of its steps (:data:`SILVER_PLAN`)."""
    return dataclasses.replace(
        outputs["reconcile"],
        touched=outputs["touched"],
        quarantined_items=outputs["append_quarantine"],
        validation=outputs["report_validation"],
    )


def build_silver(
    spark: SparkSession,
    settings: Settings,
    batches: list[str],
    progress: Callable[[str], None] | None = None,
) -> SilverCounts:
    """Clean ``batches`` from bronze and MERGE them into every silver table (:data:`SILVER_PLAN`).

    ``progress`` gets each step's name as it starts, and a line per validation report.
    """
    say = progress or (lambda _step: None)
    done = run_plan(
        SILVER_PLAN,
        progress=lambda step, _done, _total: say(step),
        spark=spark,
        settings=settings,
        silver_batches=batches,
        say=say,
    )
    return silver_counts(done.outputs)


def persist_priced_items(items: DataFrame) -> DataFrame:
    """Keep the priced items on local disk: the item rejects and the order lines read them.

    The orders' whole chain (parse read, removal of duplicates, explode, product and fx
    lookups) then runs once for both, where each would run it (the lines' MERGE more
    than once: it asks ``isEmpty`` first). ``validate_items`` keeps the order line of
    rejected items only, so the copy is about the size of the lines. The plan releases
    them (:meth:`Priced.kept`).
    """
    from pyspark import StorageLevel

    return items.persist(StorageLevel.DISK_ONLY)


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
