"""The steps of a lake build, each a function of what it needs (see ``LAKE_PLAN``).

A step takes the run (:class:`LakeRun`: session, S3 client, tables, batches) and the
outputs of earlier steps by name, and returns what it produced. Nothing here is
published before the ``publish`` step; every frame read more than once is returned
by a step the plan persists.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.spark import empty_frame, local_frame, run_concurrently, union_by_name
from lake._tables import LakeTable, partition_values, read_staged, stage
from lake.raw import INGEST_DATE_PART

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.rules import FeedResult, LandedFile
    from goldmine.validation import CheckedFrame, ValidationReport

log = logging.getLogger(__name__)
_DIMENSIONS = ("customers", "products", "stores", "fx_rates")
_SNAPSHOTS = ("customers", "products", "fx_rates", "stores")
#: Runs whose landed files add up to at most this are small: their outputs (the new
#: batches plus the partitions and dimensions they touch) are written by one task each.
SMALL_RUN_MAX_BYTES = 64 * 2**20


@dataclass(frozen=True)
class FeedCounts:
    """Records of one feed over the run's batches: read = accepted + quarantined + duplicates."""

    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class LakeRun:
    """What every step of one build run reads: session, storage, tables, batches."""

    spark: SparkSession
    s3: Any
    cur: dict[str, LakeTable]
    ana: dict[str, LakeTable]
    run_id: str
    batch_ids: tuple[str, ...]
    #: The date of the dimension snapshots this run writes: its newest ingest date, or
    #: the newest snapshot already written when that is later (snapshots never go back).
    snapshot_date: dt.date
    validation_uri: str = ""
    #: A small run (its landed bytes known and at most :data:`SMALL_RUN_MAX_BYTES`)
    #: writes each staged table with one task (:func:`lake._tables.stage`).
    small: bool = False

    def read(self, table: LakeTable, empty: DataFrame) -> DataFrame:
        """Read a whole table, or ``empty`` when it has no data."""
        from lake._tables import read_table

        return read_table(self.spark, self.s3, table, empty)

    def history(self, table: LakeTable, empty: DataFrame) -> DataFrame:
        """Read a table partitioned by batch, without this run's own batches.

        A run that failed half-way may have published some of them, and a batch that
        grew (a file landed after it was built) is built again whole: they are
        rewritten by this run and must not count as earlier state.
        """
        from pyspark.sql import functions as F

        frame = self.read(table, empty)
        return frame.filter(~F.col("batch_id").isin(list(self.batch_ids)))

    def latest_snapshot(self, table: LakeTable, empty: DataFrame) -> DataFrame:
        """Read the newest snapshot up to this run's (``empty`` when none).

        The run's own snapshot date is included: another batch of the same ingest date
        may have written it (resolving current records again is idempotent).
        """
        from lake._tables import read_partitions

        mine = self.snapshot_date.isoformat()
        values = [v for v in partition_values(self.s3, table) if v <= mine]
        if not values:
            return empty
        return read_partitions(self.spark, self.s3, table, [values[-1]], empty)


@dataclass(frozen=True)
class Cleaned:
    """Every feed of the run cleaned: accepted records, quarantine, duplicates."""

    orders: FeedResult
    dims: dict[str, FeedResult]
    checked: tuple[CheckedFrame, ...]
    #: The parsed orders every orders output derives from, kept on local disk.
    parsed: DataFrame | None = None

    def kept(self) -> list[DataFrame | None]:
        """Return the frames later steps read more than once (each before those it feeds)."""
        o = self.orders
        dims = [f for d in self.dims.values() for f in (d.accepted, d.quarantine)]
        return [self.parsed, o.accepted, o.items, o.quarantine, o.duplicates, *dims]


@dataclass(frozen=True)
class Dimensions:
    """The current products, fx rates and stores, and the products before this run."""

    products: DataFrame
    products_prev: DataFrame
    fx_rates: DataFrame
    stores: DataFrame

    def kept(self) -> list[DataFrame]:
        """Return the frames later steps read more than once."""
        return [self.products, self.fx_rates]


@dataclass(frozen=True)
class Lines:
    """The run's priced order lines and the items quarantined on the way."""

    lines: DataFrame
    quarantine: DataFrame
    checked: tuple[CheckedFrame, ...]

    def kept(self) -> list[DataFrame]:
        """Return the frames later steps read more than once."""
        return [self.lines, self.quarantine]


@dataclass(frozen=True)
class Orders:
    """The orders this run changes, their rewritten partitions and the dates they touch."""

    changed: DataFrame
    before: DataFrame
    orders_out: DataFrame
    lines_out: DataFrame
    touched_dates: list[str]


@dataclass(frozen=True)
class Staged:
    """Every curated output written to staging, and the partitions each one replaces."""

    outputs: dict[str, DataFrame]
    staged: dict[str, DataFrame]
    touched: dict[str, set[str]]


@dataclass(frozen=True)
class Published:
    """What publishing did: the keys per table, the partitions rewritten, the schemas."""

    keys: dict[str, list[str]]
    touched: dict[str, set[str]]
    schemas: dict[str, DataFrame]


@dataclass(frozen=True)
class QuarantineCounts:
    """Quarantined records per batch and reason, and quarantined items per batch."""

    reasons: dict[str, dict[str, int]] = field(default_factory=dict)
    items_by_batch: dict[str, int] = field(default_factory=dict)


def read_landed(run: LakeRun, files: list[LandedFile]) -> DataFrame:
    """Read every landed line of the run's files once."""
    from goldmine import rules

    return rules.read_landed(run.spark, files, s3_client=run.s3)


def clean_feeds(run: LakeRun, read_landed: DataFrame) -> Cleaned:
    """Clean every feed; orders are judged against the versions already curated."""
    from pyspark import StorageLevel

    from goldmine import rules
    from goldmine.validation import record_splits

    versions = run.cur["order_versions"]
    known = None
    if partition_values(run.s3, versions):
        schema = "order_id string, updated_at timestamp, batch_id string"
        known = run.history(versions, empty_frame(run.spark, schema)).drop("batch_id")
    # The orders' JSON is parsed once, kept on local disk (as the lakehouse does): the
    # reconciliation, the versions, the lines and the quarantine each parsed it again
    # (1 M lines: 163 -> 147 s). Not repartitioned, unlike the lakehouse's: that shuffle
    # cost the lake what it saved.
    parsed = rules.parse_orders(read_landed).persist(StorageLevel.DISK_ONLY)
    with record_splits() as checked:
        orders = rules.clean_orders(read_landed, known, parsed=parsed)
    dims = {
        "customers": rules.clean_customers(read_landed),
        "products": rules.clean_products(read_landed),
        "stores": rules.clean_stores(read_landed),
        "fx_rates": rules.clean_fx_rates(read_landed),
    }
    return Cleaned(orders, dims, tuple(checked), parsed)


def reconcile(
    run: LakeRun, files: list[LandedFile], clean_feeds: Cleaned
) -> dict[str, dict[str, FeedCounts]]:
    """Count each batch's records per feed; stop before writing anything if one is off.

    Raises
    ------
    goldmine.rules.ReconciliationError
        When read != accepted + quarantined + duplicates for a batch.
    """
    from goldmine import rules

    batch_counts: dict[str, dict[str, FeedCounts]] = {b: {} for b in run.batch_ids}
    for landed_file in files:  # a feed with an empty file still shows, with zeros
        batch_counts[landed_file.batch_id].setdefault(landed_file.feed, FeedCounts())
    counts = rules.count_records([clean_feeds.orders, *clean_feeds.dims.values()])
    rules.check_reconciliation(counts)
    for c in counts:
        if c.batch_id in batch_counts:
            batch_counts[c.batch_id][c.feed] = FeedCounts(
                c.read, c.accepted, c.quarantined, c.duplicates
            )
    return batch_counts


def curate_dimensions(run: LakeRun, clean_feeds: Cleaned) -> Dimensions:
    """Resolve current products and fx rates (last snapshot + new records), newest stores."""
    from pyspark.sql import functions as F

    from goldmine import rules

    dims, cur = clean_feeds.dims, run.cur
    products_prev = run.latest_snapshot(cur["products"], dims["products"].accepted.limit(0))
    products = rules.resolve_current_products(products_prev.unionByName(dims["products"].accepted))
    fx_prev = run.latest_snapshot(cur["fx_rates"], dims["fx_rates"].accepted.limit(0))
    fx_new = fx_prev.unionByName(dims["fx_rates"].accepted)
    fx_rates = _last_landed(fx_new, ["rate_date", "currency"])
    stores_new = dims["stores"].accepted
    newest_stores = stores_new.agg(F.max(F.struct("ingest_date", "batch_id"))).first()
    if newest_stores is not None and newest_stores[0] is not None:
        stores = stores_new.filter(F.col("batch_id") == newest_stores[0]["batch_id"])
    else:
        stores = run.latest_snapshot(cur["stores"], stores_new.limit(0))
    return Dimensions(products, products_prev, fx_rates, stores)


def price_lines(clean_feeds: Cleaned, curate_dimensions: Dimensions) -> Lines:
    """Price the run's order items; quarantine the items that cannot be priced."""
    from goldmine import rules
    from goldmine.validation import record_splits

    items = clean_feeds.orders.items
    assert items is not None  # clean_orders always returns the items
    dims = curate_dimensions
    with record_splits() as checked:
        lines, quarantine = rules.validate_items(items, dims.products, dims.fx_rates)
    return Lines(lines, quarantine, tuple(checked))


def change_orders(run: LakeRun, clean_feeds: Cleaned) -> DataFrame:
    """Resolve the current version of every order this run changes, newest wins (D2)."""
    from pyspark.sql import functions as F

    from goldmine import rules

    accepted = clean_feeds.orders.accepted
    affected = accepted.select("order_id").distinct()
    prior = run.history(run.cur["order_versions"], accepted.limit(0)).join(
        affected, "order_id", "left_semi"
    )
    current = rules.resolve_current_orders(prior.unionByName(accepted))
    return current.filter(F.col("batch_id").isin(list(run.batch_ids)))


def curate_orders(run: LakeRun, change_orders: DataFrame, price_lines: Lines) -> Orders:
    """Rewrite the orders and order lines partitions the changed orders touch."""
    from goldmine import rules

    changed, cur = change_orders, run.cur
    changed_ids = changed.select("order_id")
    changed_lines = rules.select_current_lines(changed, price_lines.lines)
    before = run.read(cur["orders"], changed.limit(0)).join(changed_ids, "order_id", "left_semi")
    dates = changed.select("order_date").unionByName(before.select("order_date")).distinct()
    touched = sorted({r[0].isoformat() for r in dates.collect()})
    orders_out = _rewrite(run, cur["orders"], touched, changed, changed_ids)
    lines_out = _rewrite(run, cur["order_lines"], touched, changed_lines, changed_ids)
    return Orders(changed, before, orders_out, lines_out, touched)


def curate_customers(run: LakeRun, clean_feeds: Cleaned) -> DataFrame:
    """Build the customer dimension (SCD2) from every customer record and order so far."""
    from goldmine import rules

    cur, accepted = run.cur, clean_feeds.orders.accepted
    customers = clean_feeds.dims["customers"].accepted
    records_prev = run.history(cur["customer_records"], customers.limit(0))
    order_customers = (
        run.history(cur["order_versions"], accepted.limit(0))
        .select("customer_id")
        .unionByName(accepted.select("customer_id"))
    )
    return rules.build_customer_scd2(records_prev.unionByName(customers), order_customers)


def stage_curated(
    run: LakeRun,
    clean_feeds: Cleaned,
    curate_dimensions: Dimensions,
    price_lines: Lines,
    curate_orders: Orders,
    curate_customers: DataFrame,
) -> Staged:
    """Write every curated output to the run's staging prefix."""
    from pyspark.sql import functions as F

    orders, dims = clean_feeds.orders, curate_dimensions
    quarantine = union_by_name(
        [
            orders.quarantine,
            price_lines.quarantine,
            *(r.quarantine for r in clean_feeds.dims.values()),
        ]
    )
    snapshot = F.lit(run.snapshot_date)
    # The ingest date of a quarantined or dropped record: its file's ``ingest_date=``.
    day = F.regexp_extract("source_file", INGEST_DATE_PART, 1)
    with_day = F.to_date(F.when(day != "", day))
    outputs: dict[str, DataFrame] = {
        "order_versions": orders.accepted,
        "orders": curate_orders.orders_out,
        "order_lines": curate_orders.lines_out,
        "customer_records": clean_feeds.dims["customers"].accepted,
        "customers": curate_customers.withColumn("snapshot_date", snapshot),
        "products": dims.products.withColumn("snapshot_date", snapshot),
        "fx_rates": dims.fx_rates.withColumn("snapshot_date", snapshot),
        "stores": dims.stores.withColumn("snapshot_date", snapshot),
        "quarantine": quarantine.withColumn("ingest_date", with_day),
        "duplicates": orders.duplicates.withColumn("ingest_date", with_day),
    }
    _stage_all({name: (frame, run.cur[name]) for name, frame in outputs.items()}, run)
    staged = {
        name: read_staged(run.spark, run.s3, run.cur[name], run.run_id, outputs[name])
        for name in ("order_lines", "products", "customers")
    }
    batches = set(run.batch_ids)
    dates = set(curate_orders.touched_dates)
    touched: dict[str, set[str]] = {
        "order_versions": batches,
        "customer_records": batches,
        "quarantine": batches,
        "duplicates": batches,
        "orders": dates,
        "order_lines": dates,
        **{n: {run.snapshot_date.isoformat()} for n in _SNAPSHOTS},
    }
    return Staged(outputs, staged, touched)


def stage_analytics(
    run: LakeRun,
    clean_feeds: Cleaned,
    curate_dimensions: Dimensions,
    curate_orders: Orders,
    stage_curated: Staged,
) -> dict[str, tuple[DataFrame, set[str]]]:
    """Recompute the gold rows the run changes and stage them; return them with their partitions."""
    from pyspark.sql import functions as F

    from goldmine import rules

    staged, orders = stage_curated.staged, curate_orders
    touched_dates = orders.touched_dates
    # The order lines as they will be after publishing: untouched dates + staged ones.
    all_lines = run.read(run.cur["order_lines"], staged["order_lines"].limit(0))
    effective = all_lines.filter(
        ~F.col("order_date").isin([dt.date.fromisoformat(d) for d in touched_dates])
    ).unionByName(staged["order_lines"])
    recategorized = (
        staged["products"]
        .select("product_id", "category")
        .join(
            curate_dimensions.products_prev.select("product_id", "category"),
            ["product_id", "category"],
            "left_anti",
        )
        .select("product_id")
    )
    moved = effective.join(recategorized, "product_id", "left_semi").select("order_date")
    moved_dates = {r[0].isoformat() for r in moved.distinct().collect()}
    sales_dates = sorted(set(touched_dates) | moved_dates)
    months = sorted({d[:8] + "01" for d in sales_dates})
    customers = (
        orders.changed.select("customer_id")
        .unionByName(orders.before.select("customer_id"))
        .unionByName(clean_feeds.dims["customers"].accepted.select("customer_id"))
        .distinct()
    )
    customer_ids = sorted({r[0] for r in customers.collect() if r[0] is not None})
    daily = rules.daily_sales(
        effective, staged["products"], order_dates=[dt.date.fromisoformat(d) for d in sales_dates]
    )
    monthly = rules.product_monthly(effective, months=[dt.date.fromisoformat(m) for m in months])
    lifetime_new = rules.customer_lifetime(
        effective, staged["customers"], customer_ids=customer_ids
    )
    ids_frame = local_frame(run.spark, [(c,) for c in customer_ids], "customer_id string")
    lifetime = (
        run.read(run.ana["customer_lifetime"], lifetime_new.limit(0))
        .join(ids_frame, "customer_id", "left_anti")
        .unionByName(lifetime_new)
    )
    tables = {
        "daily_sales": (daily, set(sales_dates)),
        "product_monthly": (monthly, set(months)),
        "customer_lifetime": (lifetime, set()),
    }
    _stage_all({name: (frame, run.ana[name]) for name, (frame, _) in tables.items()}, run)
    return tables


def report_validation(
    run: LakeRun, clean_feeds: Cleaned, price_lines: Lines
) -> tuple[ValidationReport, ...]:
    """Run great-expectations on what ``split`` judged and save the JSON.

    Runs before publishing: the judged frames read files that publishing replaces.
    """
    from goldmine.validation import report_splits

    if not run.validation_uri:
        return ()
    reports = report_splits([*clean_feeds.checked, *price_lines.checked], run.validation_uri)
    for report in reports:
        log.info("validation %s -> %s", report.summary(), report.result_path)
    return reports


def publish_tables(
    run: LakeRun,
    stage_curated: Staged,
    stage_analytics: dict[str, tuple[DataFrame, set[str]]],
) -> Published:
    """Swap every table's touched partitions for the staged ones."""
    from lake._tables import publish

    schemas = dict(stage_curated.outputs)
    touched = dict(stage_curated.touched)
    for name, (frame, partitions) in stage_analytics.items():
        schemas[name], touched[name] = frame, partitions
    keys = {
        name: publish(run.s3, run.cur.get(name) or run.ana[name], run.run_id, touched[name])
        for name in schemas
    }
    return Published(keys, touched, schemas)


def count_quarantine(stage_curated: Staged) -> QuarantineCounts:
    """Quarantined records per batch and reason, and quarantined items per batch.

    One aggregation: rows per batch, reason and level (an item's row has a line number).
    """
    from pyspark.sql import functions as F

    quarantine = stage_curated.outputs["quarantine"]
    item = F.col("line_no").isNotNull().alias("item")
    counted = quarantine.groupBy("batch_id", "reason", item).count().collect()
    reasons: dict[str, dict[str, int]] = {}
    items: dict[str, int] = {}
    for r in counted:
        by_reason = reasons.setdefault(r["batch_id"], {})
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + int(r["count"])
        if r["item"]:
            items[r["batch_id"]] = items.get(r["batch_id"], 0) + int(r["count"])
    return QuarantineCounts(reasons, items)


def _stage_all(outputs: dict[str, tuple[DataFrame, LakeTable]], run: LakeRun) -> None:
    """Write each frame to its table's staging prefix, several at once (ADR 0028).

    The writes are independent (each reads persisted or published data and writes its
    own prefix, private to the run); a failed one raises once the others ended, and
    nothing is published before every table is staged.
    """
    run_concurrently(
        {
            name: functools.partial(stage, frame, table, run.run_id, one_task=run.small)
            for name, (frame, table) in outputs.items()
        }
    )


def _rewrite(
    run: LakeRun, table: LakeTable, dates: list[str], replacement: DataFrame, ids: DataFrame
) -> DataFrame:
    """Return the touched partitions' rows without ``ids``, plus ``replacement``."""
    from lake._tables import read_partitions

    kept = read_partitions(run.spark, run.s3, table, dates, replacement.limit(0))
    return kept.join(ids, "order_id", "left_anti").unionByName(replacement)


def _last_landed(frame: DataFrame, keys: list[str]) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy(*keys).orderBy(
        F.col("ingest_date").desc_nulls_last(),
        F.col("batch_id").desc(),
        F.col("line_number").desc(),
    )
    return frame.withColumn("_r", F.row_number().over(order)).filter("_r = 1").drop("_r")
