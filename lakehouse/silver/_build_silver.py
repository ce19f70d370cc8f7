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
from goldmine.validation import ValidationReport, record_splits, report_splits
from lakehouse._delta import append_new_batches, is_table
from lakehouse._tables import table
from lakehouse.silver._merge import merge_newest, merge_replace_rows
from lakehouse.silver._merge_scd2 import merge_scd2

if TYPE_CHECKING:
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


def build_silver(
    spark: SparkSession,
    settings: Settings,
    batches: list[str],
    progress: Callable[[str], None] | None = None,
) -> SilverCounts:
    """Clean ``batches`` from bronze and MERGE them into every silver table.

    Order: stores, fx rates, products, customers (SCD2), order versions, orders,
    order lines, quarantine. Each table is one atomic commit (or none when the
    same batches were already applied); every statement is idempotent by content
    too, so a rerun after a crash completes what is missing and changes nothing else.
    Last, great-expectations reports on what the rules' ``split`` judged (orders,
    order items): result JSON under :func:`validation_prefix`, one line each in
    ``SilverCounts.validation``, the log and the progress callback.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    say = progress or (lambda _step: None)
    uri = {n: table(f"silver.{n}").uri(settings) for n in (
        "stores", "fx_rates", "products", "customers", "order_versions", "orders",
        "order_lines", "quarantine",
    )}  # fmt: skip
    landed = read_bronze(spark, settings, batches)
    # The dimension feeds are small and read by several steps: cached, in one partition
    # (their many small steps then run one task each, not one per bronze file). The orders are
    # parsed once and kept on local disk (the page cache serves them back): their JSON
    # is read by the reconciliation, SCD2, order versions, lines, quarantine and the
    # report, and at 10 M lines the parsed orders (items included) outgrow a 4 GiB
    # driver heap, where an in-memory cache ran out of memory.
    dimensions = landed.filter(F.col("feed") != "orders").coalesce(1).cache()
    # Kept partitioned by the duplicate-version key: every removal of duplicates (D1)
    # downstream (accepted, duplicates, items, their rejects) is then a sort within
    # these partitions, not another shuffle of the whole orders with their JSON.
    parsed = (
        parse_orders(landed).repartition("order_id", "updated_at").persist(StorageLevel.DISK_ONLY)
    )
    counts = SilverCounts()
    stores, fx, products, customers = (
        _kept(clean(dimensions))
        for clean in (clean_stores, clean_fx_rates, clean_products, clean_customers)
    )
    known = None
    if is_table(spark, uri["order_versions"]):
        known = (
            spark.read.format("delta").load(uri["order_versions"])
            .filter(~F.col("batch_id").isin(batches))
        )  # fmt: skip
    with record_splits() as checked_orders:
        orders = clean_orders(landed, known_orders=known, parsed=parsed, batches=batches)
    results = (stores, fx, products, customers, orders)
    # Cached before the reconciliation counts it, for the SCD2 ids, versions and orders.
    # The reconciliation is the first action on the orders and reads accepted orders and
    # rejects whole: the lines read and the duplicates are observed in that job
    # (``batches`` above), so the only read of the parse validation adds here is the
    # rejects' (persisted for the quarantine and the report).
    accepted = orders.accepted.cache()
    say("silver: reconcile")
    for c in reconcile_all(results):
        counts.read += c.read
        counts.accepted += c.accepted
        counts.quarantined += c.quarantined
        counts.duplicates += c.duplicates
        a = counts.per_feed.get(c.feed, (0, 0, 0, 0))
        counts.per_feed[c.feed] = (
            a[0] + c.read, a[1] + c.accepted, a[2] + c.quarantined, a[3] + c.duplicates,
        )  # fmt: skip

    say("silver.stores")
    merge_newest(
        spark, uri["stores"], stores.accepted, keys=("store_id",),
        order_by="struct(batch_id, line_number)", app_id=set_id("silver", "stores", batches),
    )  # fmt: skip
    say("silver.fx_rates")
    merge_newest(
        spark, uri["fx_rates"], fx.accepted, keys=("rate_date", "currency"),
        order_by="struct(ingest_date, batch_id, line_number)",
        app_id=set_id("silver", "fx_rates", batches),
    )  # fmt: skip
    say("silver.products")
    merge_newest(
        spark, uri["products"], products.accepted, keys=("product_id",),
        order_by="struct(updated_at, ingest_date, batch_id, line_number)",
        app_id=set_id("silver", "products", batches),
    )  # fmt: skip
    say("silver.customers (SCD2)")
    merge_scd2(
        spark, uri["customers"], customers.accepted, accepted.select("customer_id"),
        app_id=set_id("silver", "customers", batches),
    )  # fmt: skip

    counts.touched = touched_by(accepted, products.accepted, customers.accepted)
    say("silver.order_versions")
    append_new_batches(
        spark, uri["order_versions"],
        accepted.select("order_id", "updated_at", "batch_id", "source_file", "line_number"),
        app_id=set_id("silver", "order_versions", batches), batches=batches,
    )  # fmt: skip
    say("silver.orders")
    merge_newest(
        spark, uri["orders"], resolve_current_orders(accepted), keys=("order_id",),
        order_by="updated_at", app_id=set_id("silver", "orders", batches),
    )  # fmt: skip

    all_products = spark.read.format("delta").load(uri["products"])
    all_fx = spark.read.format("delta").load(uri["fx_rates"])
    assert orders.items is not None  # clean_orders always returns the items
    priced: list[DataFrame] = []

    def keep(items: DataFrame) -> DataFrame:
        priced.append(persist_priced_items(items))
        return priced[-1]

    with record_splits() as checked_items:
        valid, item_quarantine = validate_items(
            orders.items, all_products, all_fx, accepted, keep=keep
        )
    quarantine = item_quarantine
    for result in results:
        quarantine = quarantine.unionByName(result.quarantine)
    # One partition per batch: the table (partitioned by batch) gets one file per batch,
    # written by as many tasks, instead of one per batch from every task of every feed.
    quarantine = (
        quarantine.withColumn("line_number", F.col("line_number").cast("long"))
        .repartition("batch_id")
        .cache()
    )
    # Item rejects are the rows with a line_no, counted while the cache is built: the
    # first action that reads the item split (it keeps the priced items too), and a
    # whole one, so the split's observation, on the rejects' branch, counts every item.
    counts.quarantined_items = quarantine.filter(F.col("line_no").isNotNull()).count()
    silver_orders = spark.read.format("delta").load(uri["orders"])
    # The batches' versions that are current now: their lines replace the order's lines.
    current = silver_orders.join(
        accepted.select("order_id", "updated_at").distinct(), ["order_id", "updated_at"]
    )
    lines = select_current_lines(current, valid)
    say("silver.order_lines")
    merge_replace_rows(
        spark, uri["order_lines"], lines, current.select("order_id"),
        group_keys=("order_id",), row_keys=("order_id", "line_no"),
        app_id=set_id("silver", "order_lines", batches),
    )  # fmt: skip

    say("silver.quarantine")
    append_new_batches(
        spark, uri["quarantine"], quarantine, app_id=set_id("silver", "quarantine", batches),
        partition_by=("batch_id",), batches=batches,
    )  # fmt: skip
    say("silver: validation report (great-expectations)")
    counts.validation = report_splits(
        [*checked_orders, *checked_items], validation_prefix(settings, batches)
    )
    for report in counts.validation:
        log.info("validation %s -> %s", report.summary(), report.result_path)
        say(f"silver validation: {report.summary()}")
    dimensions.unpersist()
    for dimension in (stores, fx, products, customers):
        dimension.accepted.unpersist()
        dimension.quarantine.unpersist()
    parsed.unpersist()
    accepted.unpersist()
    for items in priced:
        items.unpersist()
    quarantine.unpersist()
    return counts


def persist_priced_items(items: DataFrame) -> DataFrame:
    """Keep the priced items on local disk: the item rejects and the order lines read them.

    The orders' whole chain (parse read, removal of duplicates, explode, product and fx
    lookups) then runs once for both, where each would run it (the lines' MERGE more
    than once: it asks ``isEmpty`` first). ``validate_items`` keeps the order line of
    rejected items only, so the copy is about the size of the lines.
    """
    from pyspark import StorageLevel

    return items.persist(StorageLevel.DISK_ONLY)


def _kept(result: FeedResult) -> FeedResult:
    """Return a dimension feed's ``result`` with its accepted records and rejects cached.

    The reconciliation counts them, then their MERGE and the quarantine table read them
    again; a dimension feed is small.
    """
    return dataclasses.replace(
        result, accepted=result.accepted.cache(), quarantine=result.quarantine.cache()
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
