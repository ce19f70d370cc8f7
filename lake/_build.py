"""``build``: raw batches -> curated zone -> analytics zone, incrementally and idempotently.

One run takes every raw batch in the date range that has no build ledger yet, cleans
it with :mod:`goldmine.rules`, merges it with the curated state (order versions,
dimension snapshots), stages every output, then publishes only the partitions the
batches touched and writes one build ledger per batch. A run that fails before
publishing leaves every table as it was; a rerun of built batches is a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lake._ledger import LEDGER_PREFIX, list_ledgers, write_ledger
from lake._status import BUILD_STEP
from lake._tables import (
    STAGING_PREFIX,
    LakeTable,
    delete_prefix,
    partition_values,
    read_staged,
    stage,
)
from lake.analytics.tables import analytics_tables
from lake.curated.tables import curated_tables
from lake.raw import INGEST_STEP

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform
    from goldmine.validation import CheckedFrame, ValidationReport

log = logging.getLogger(__name__)
#: ``progress(step, done, total)``.
BuildProgress = Callable[[str, int, int], None]
_STEPS = ("clean", "curate", "stage curated", "analytics", "publish", "catalog")


@dataclass(frozen=True)
class FeedCounts:
    """Records of one feed over the run's batches: read = accepted + quarantined + duplicates."""

    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0


@dataclass(frozen=True)
class BuildResult:
    """What one build run did.

    Attributes
    ----------
    batches
        Batch ids built by this run (empty: nothing to do).
    counts
        Per feed: records read, accepted, quarantined, duplicates dropped.
    quarantined_items
        Order items quarantined (D6, D7, D10), besides the record-level counts.
    rows_written
        Rows published per table (of the partitions rewritten).
    touched
        Partition values rewritten per table.
    rejected_files
        Files that are not UTF-8 text, with the reason: every line of such a file is
        quarantined ``unparseable`` with its bytes (``goldmine.rules``, ADR 0018).
    validation
        The great-expectations reports of the run, one per rule set ``split`` applied
        (``orders``, ``order_items``); each result JSON is under
        :func:`validation_prefix`.
    """

    batches: tuple[str, ...]
    counts: dict[str, FeedCounts] = field(default_factory=dict)
    quarantined_items: int = 0
    rows_written: dict[str, int] = field(default_factory=dict)
    touched: dict[str, tuple[str, ...]] = field(default_factory=dict)
    rejected_files: tuple[str, ...] = ()
    validation: tuple[ValidationReport, ...] = ()

    def summary(self) -> str:
        """Return a one-paragraph summary for logs."""
        if not self.batches:
            return "nothing to build: every raw batch in range is built already"
        parts = [
            f"{feed}: read {c.read}, accepted {c.accepted}, quarantined {c.quarantined}, "
            f"duplicates {c.duplicates}"
            for feed, c in sorted(self.counts.items())
        ]
        written = ", ".join(f"{t} {n}" for t, n in sorted(self.rows_written.items()))
        return (
            f"built {', '.join(self.batches)}; "
            + "; ".join(parts)
            + f"; quarantined items {self.quarantined_items}; rows written: {written}"
            + "".join(f"; rejected {r}" for r in self.rejected_files)
            + "".join(f"; validation {r.summary()}" for r in self.validation)
        )


def validation_prefix(curated_bucket: str, run_id: str) -> str:
    """Where a build run saves its validation result JSON, next to the build ledgers.

    ``s3://<curated>/_ledger/validation/<run_id>/<suite>.json`` (``run_id`` =
    ``<first batch>-<last batch>``); a rerun of the same batches overwrites it.
    """
    return f"s3://{curated_bucket}/{LEDGER_PREFIX}validation/{run_id}"


def pending_batches(
    s3: Any,
    raw_bucket: str,
    curated_bucket: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Return the ingest ledgers of raw batches in range without a build ledger."""
    built = {e["batch_id"] for e in list_ledgers(s3, curated_bucket, BUILD_STEP)}
    pending = []
    for entry in list_ledgers(s3, raw_bucket, INGEST_STEP):
        day = dt.date.fromisoformat(entry["ingest_date"])
        if (date_from and day < date_from) or (date_to and day > date_to):
            continue
        if entry["batch_id"] not in built:
            pending.append(entry)
    return pending


def build(
    platform: Platform,
    spark: SparkSession,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    progress: BuildProgress | None = None,
) -> BuildResult:
    """Build the curated and analytics zones from the raw batches not built yet.

    Parameters
    ----------
    platform
        The environment (``goldmine.platform.connect``).
    spark
        The session (``goldmine.spark.build_session``).
    date_from, date_to
        Only raw batches with ``ingest_date`` in this range (inclusive).
    progress
        Called at each step.

    Returns
    -------
    BuildResult
        Counts per feed, rows written, partitions touched; empty when nothing to do.

    Raises
    ------
    goldmine.rules.ReconciliationError
        When read != accepted + quarantined + duplicates for a batch (nothing written).
    """
    from goldmine.rules import LandedFile

    buckets = platform.settings.buckets
    s3 = platform.aws.s3()
    pending = pending_batches(s3, buckets.raw, buckets.curated, date_from, date_to)
    if not pending:
        return BuildResult(batches=())
    batch_ids = tuple(e["batch_id"] for e in pending)
    files, rejected = [], []
    for entry in pending:
        for f in entry["files"]:
            uri = f"s3://{buckets.raw}/{f['raw_key']}"
            if f.get("problem"):  # read all the same: every line quarantined (ADR 0018)
                rejected.append(
                    {"batch_id": entry["batch_id"], "file": uri, "problem": f["problem"]}
                )
            day = dt.date.fromisoformat(entry["ingest_date"])
            files.append(LandedFile(uri, f["feed"], entry["batch_id"], day, f.get("bytes")))
    run_id = f"{batch_ids[0]}-{batch_ids[-1]}"
    step = _Stepper(progress)
    cur = curated_tables(buckets.curated)
    ana = analytics_tables(buckets.analytics)
    try:
        validation_uri = validation_prefix(buckets.curated, run_id)
        work = _Run(spark, s3, cur, ana, run_id, batch_ids, step, validation_uri)
        outcome = work.run(files)
    finally:
        delete_prefix(s3, buckets.curated, f"{STAGING_PREFIX}{run_id}/")
        delete_prefix(s3, buckets.analytics, f"{STAGING_PREFIX}{run_id}/")
    step("catalog")
    from lake._register import register_lake_catalog

    register_lake_catalog(platform, outcome.schemas, outcome.touched_all)
    for entry in pending:
        batch_id = entry["batch_id"]
        write_ledger(
            s3,
            buckets.curated,
            BUILD_STEP,
            batch_id,
            {
                "batch_id": batch_id,
                "ingest_date": entry["ingest_date"],
                "counts": {
                    feed: vars(c) for feed, c in sorted(outcome.batch_counts[batch_id].items())
                },
                "quarantine_by_reason": outcome.reasons.get(batch_id, {}),
                "quarantined_items": outcome.items_by_batch.get(batch_id, 0),
                "rejected_files": [r for r in rejected if r["batch_id"] == batch_id],
            },
        )
    totals: dict[str, FeedCounts] = {}
    for per_feed in outcome.batch_counts.values():
        for feed, c in per_feed.items():
            t = totals.get(feed, FeedCounts())
            totals[feed] = FeedCounts(
                t.read + c.read,
                t.accepted + c.accepted,
                t.quarantined + c.quarantined,
                t.duplicates + c.duplicates,
            )
    return BuildResult(
        batches=batch_ids,
        counts=totals,
        quarantined_items=sum(outcome.items_by_batch.values()),
        rows_written=_rows_published(platform, outcome.published),
        touched={k: tuple(sorted(v)) for k, v in outcome.touched_all.items()},
        rejected_files=tuple(f"{r['file']}: {r['problem']}" for r in rejected),
        validation=outcome.validation,
    )


class _Stepper:
    def __init__(self, progress: BuildProgress | None) -> None:
        self.progress = progress
        self.done = 0

    def __call__(self, name: str) -> None:
        if self.progress is not None:
            self.progress(name, self.done, len(_STEPS))
        self.done += 1


@dataclass
class _Outcome:
    batch_counts: dict[str, dict[str, FeedCounts]]
    reasons: dict[str, dict[str, int]]
    items_by_batch: dict[str, int]
    published: dict[str, list[str]]
    touched_all: dict[str, set[str]]
    schemas: dict[str, DataFrame]
    validation: tuple[ValidationReport, ...] = ()


class _Run:
    """One build run: clean -> merge with curated state -> stage -> publish."""

    def __init__(
        self,
        spark: SparkSession,
        s3: Any,
        cur: dict[str, LakeTable],
        ana: dict[str, LakeTable],
        run_id: str,
        batch_ids: tuple[str, ...],
        step: _Stepper,
        validation_uri: str = "",
    ) -> None:
        self.spark, self.s3, self.cur, self.ana = spark, s3, cur, ana
        self.run_id, self.batch_ids, self.step = run_id, batch_ids, step
        self.cached: list[DataFrame] = []
        #: What ``split`` judged in this run (reported with great-expectations).
        self.checked: list[CheckedFrame] = []
        self.validation_uri = validation_uri

    def read(self, table: LakeTable, empty: DataFrame) -> DataFrame:
        from lake._tables import read_table

        return read_table(self.spark, self.s3, table, empty)

    def _cache(self, *frames: DataFrame | None) -> None:
        """Cache frames read more than once; they are unpersisted at the end of the run."""
        for frame in frames:
            if frame is not None:
                self.cached.append(frame.cache())

    def history(self, table: LakeTable, empty: DataFrame) -> DataFrame:
        """Read a table partitioned by ingest date, without this run's own batches.

        A run that failed half-way may have published some of them; they are
        rewritten by this run and must not count as earlier state.
        """
        from pyspark.sql import functions as F

        days = [dt.datetime.strptime(b, "%Y%m%d").date() for b in self.batch_ids]
        frame = self.read(table, empty.withColumn("ingest_date", F.lit(None).cast("date")))
        return frame.filter(~F.col("ingest_date").isin(days)).select(*empty.columns)

    def latest_snapshot(self, table: LakeTable, empty: DataFrame) -> DataFrame:
        """Read the newest snapshot older than this run's (``empty`` when none)."""
        from lake._tables import read_partitions

        mine = self._snapshot_date().isoformat()
        values = [v for v in partition_values(self.s3, table) if v < mine]
        if not values:
            return empty
        return read_partitions(self.spark, self.s3, table, [values[-1]], empty)

    def run(self, files: list[Any]) -> _Outcome:
        from pyspark.sql import functions as F

        from goldmine import rules
        from goldmine.validation import record_splits

        spark, cur, ana = self.spark, self.cur, self.ana
        self.step("clean")
        landed = rules.read_landed(spark, files, s3_client=self.s3)
        self._cache(landed)
        known_schema = spark.createDataFrame([], "order_id string, updated_at timestamp")
        has_versions = partition_values(self.s3, cur["order_versions"])
        known = self.history(cur["order_versions"], known_schema) if has_versions else None
        with record_splits() as checked:
            orders = rules.clean_orders(landed, known)
        self.checked.extend(checked)
        self._cache(orders.accepted, orders.items, orders.quarantine, orders.duplicates)
        dims = {
            "customers": rules.clean_customers(landed),
            "products": rules.clean_products(landed),
            "stores": rules.clean_stores(landed),
            "fx_rates": rules.clean_fx_rates(landed),
        }
        for result in dims.values():
            self._cache(result.accepted, result.quarantine)
        batch_counts: dict[str, dict[str, FeedCounts]] = {b: {} for b in self.batch_ids}
        for landed_file in files:  # a feed with an empty file still shows, with zeros
            batch_counts[landed_file.batch_id].setdefault(landed_file.feed, FeedCounts())
        counts = rules.count_records([orders, *dims.values()])
        rules.check_reconciliation(counts)  # unbalanced: stop before writing anything
        for c in counts:
            if c.batch_id in batch_counts:
                batch_counts[c.batch_id][c.feed] = FeedCounts(
                    c.read, c.accepted, c.quarantined, c.duplicates
                )

        self.step("curate")
        accepted = orders.accepted  # cached above
        # Dimensions: previous snapshot + new records.
        products_prev = self.latest_snapshot(cur["products"], dims["products"].accepted.limit(0))
        products = rules.resolve_current_products(
            products_prev.unionByName(dims["products"].accepted)
        )
        fx_prev = self.latest_snapshot(cur["fx_rates"], dims["fx_rates"].accepted.limit(0))
        fx_rates = _last_landed(
            fx_prev.unionByName(dims["fx_rates"].accepted), ["rate_date", "currency"]
        )
        self._cache(products, fx_rates)
        stores_new = dims["stores"].accepted
        newest_stores = stores_new.agg(F.max("batch_id")).first()
        if newest_stores is not None and newest_stores[0] is not None:
            stores = stores_new.filter(F.col("batch_id") == newest_stores[0])
        else:
            stores = self.latest_snapshot(cur["stores"], stores_new.limit(0))
        assert orders.items is not None  # clean_orders always returns the items
        with record_splits() as checked:
            lines, item_quarantine = rules.validate_items(orders.items, products, fx_rates)
        self.checked.extend(checked)
        self._cache(lines, item_quarantine)
        # Orders: every version of the orders this run touches, newest wins (D2).
        affected = accepted.select("order_id").distinct()
        prior = self.history(cur["order_versions"], accepted.limit(0)).join(
            affected, "order_id", "left_semi"
        )
        current = rules.resolve_current_orders(prior.unionByName(accepted))
        changed = current.filter(F.col("batch_id").isin(list(self.batch_ids)))
        self._cache(changed)
        changed_ids = changed.select("order_id")
        changed_lines = rules.select_current_lines(changed, lines)
        before = self.read(cur["orders"], changed.limit(0)).join(
            changed_ids, "order_id", "left_semi"
        )
        touched_dates = sorted(
            {
                r[0].isoformat()
                for r in changed.select("order_date")
                .unionByName(before.select("order_date"))
                .distinct()
                .collect()
            }
        )
        orders_out = self._rewrite(cur["orders"], touched_dates, changed, changed_ids)
        lines_out = self._rewrite(cur["order_lines"], touched_dates, changed_lines, changed_ids)
        customer_records_prev = self.history(
            cur["customer_records"], dims["customers"].accepted.limit(0)
        )
        order_customers = (
            self.history(cur["order_versions"], accepted.limit(0))
            .select("customer_id")
            .unionByName(accepted.select("customer_id"))
        )
        scd2 = rules.build_customer_scd2(
            customer_records_prev.unionByName(dims["customers"].accepted), order_customers
        )
        self._cache(scd2)
        quarantine = orders.quarantine.unionByName(item_quarantine)
        for result in dims.values():
            quarantine = quarantine.unionByName(result.quarantine)
        snapshot = self._snapshot_date()
        with_day = F.to_date(F.col("batch_id"), "yyyyMMdd")

        self.step("stage curated")
        staged: dict[str, DataFrame] = {}
        schemas: dict[str, DataFrame] = {}
        outputs: dict[str, DataFrame] = {
            "order_versions": accepted,
            "orders": orders_out,
            "order_lines": lines_out,
            "customer_records": dims["customers"].accepted,
            "customers": scd2.withColumn("snapshot_date", F.lit(snapshot)),
            "products": products.withColumn("snapshot_date", F.lit(snapshot)),
            "fx_rates": fx_rates.withColumn("snapshot_date", F.lit(snapshot)),
            "stores": stores.withColumn("snapshot_date", F.lit(snapshot)),
            "quarantine": quarantine.withColumn("ingest_date", with_day),
            "duplicates": orders.duplicates.withColumn("ingest_date", with_day),
        }
        for name, frame in outputs.items():
            stage(frame, cur[name], self.run_id)
            schemas[name] = frame
        for name in ("order_lines", "products", "customers"):
            staged[name] = read_staged(spark, self.s3, cur[name], self.run_id, outputs[name])
        batch_days = sorted(
            {dt.datetime.strptime(b, "%Y%m%d").date().isoformat() for b in self.batch_ids}
        )
        touched: dict[str, set[str]] = {
            "order_versions": set(batch_days),
            "customer_records": set(batch_days),
            "quarantine": set(batch_days),
            "duplicates": set(batch_days),
            "orders": set(touched_dates),
            "order_lines": set(touched_dates),
            **{n: {snapshot.isoformat()} for n in ("customers", "products", "fx_rates", "stores")},
        }

        self.step("analytics")
        # The order lines as they will be after publishing: untouched dates + staged ones.
        all_lines = self.read(cur["order_lines"], staged["order_lines"].limit(0))
        effective = all_lines.filter(
            ~F.col("order_date").isin([dt.date.fromisoformat(d) for d in touched_dates])
        ).unionByName(staged["order_lines"])
        recategorized = (
            staged["products"]
            .select("product_id", "category")
            .join(
                products_prev.select("product_id", "category"),
                ["product_id", "category"],
                "left_anti",
            )
            .select("product_id")
        )
        moved_dates = {
            r[0].isoformat()
            for r in effective.join(recategorized, "product_id", "left_semi")
            .select("order_date")
            .distinct()
            .collect()
        }
        sales_dates = sorted(set(touched_dates) | moved_dates)
        months = sorted({d[:8] + "01" for d in sales_dates})
        customer_ids = sorted(
            {
                r[0]
                for r in changed.select("customer_id")
                .unionByName(before.select("customer_id"))
                .unionByName(dims["customers"].accepted.select("customer_id"))
                .distinct()
                .collect()
                if r[0] is not None
            }
        )
        daily = rules.daily_sales(
            effective,
            staged["products"],
            order_dates=[dt.date.fromisoformat(d) for d in sales_dates],
        )
        monthly = rules.product_monthly(
            effective, months=[dt.date.fromisoformat(m) for m in months]
        )
        lifetime_new = rules.customer_lifetime(
            effective, staged["customers"], customer_ids=customer_ids
        )
        ids_frame = spark.createDataFrame([(c,) for c in customer_ids], "customer_id string")
        lifetime = (
            self.read(ana["customer_lifetime"], lifetime_new.limit(0))
            .join(ids_frame, "customer_id", "left_anti")
            .unionByName(lifetime_new)
        )
        for name, frame in (
            ("daily_sales", daily),
            ("product_monthly", monthly),
            ("customer_lifetime", lifetime),
        ):
            stage(frame, ana[name], self.run_id)
            schemas[name] = frame
        touched["daily_sales"] = set(sales_dates)
        touched["product_monthly"] = set(months)
        touched["customer_lifetime"] = set()

        # Reported before publishing: the judged frames read files that publishing replaces.
        validation = self._report()

        self.step("publish")
        from lake._tables import publish

        published = {}
        for name in schemas:
            table = cur.get(name) or ana[name]
            published[name] = publish(self.s3, table, self.run_id, touched[name])
        quarantine_out = outputs["quarantine"]
        reasons = _count_reasons(quarantine_out)
        items_by_batch = {
            r["batch_id"]: int(r["n"])
            for r in quarantine_out.filter(F.col("line_no").isNotNull())
            .groupBy("batch_id")
            .agg(F.count(F.lit(1)).alias("n"))
            .collect()
        }
        for frame in self.cached:
            frame.unpersist()
        return _Outcome(
            batch_counts, reasons, items_by_batch, published, touched, schemas, validation
        )

    def _report(self) -> tuple[ValidationReport, ...]:
        """Run great-expectations on what ``split`` judged; save the JSON; log one line each."""
        from goldmine.validation import report_splits

        if not self.validation_uri:
            return ()
        reports = report_splits(self.checked, self.validation_uri)
        for report in reports:
            log.info("validation %s -> %s", report.summary(), report.result_path)
        return reports

    def _rewrite(
        self, table: LakeTable, dates: list[str], replacement: DataFrame, ids: DataFrame
    ) -> DataFrame:
        """Return the touched partitions' rows without ``ids``, plus ``replacement``."""
        from lake._tables import read_partitions

        kept = read_partitions(self.spark, self.s3, table, dates, replacement.limit(0))
        return kept.join(ids, "order_id", "left_anti").unionByName(replacement)

    def _snapshot_date(self) -> dt.date:
        return max(dt.datetime.strptime(b, "%Y%m%d").date() for b in self.batch_ids)


def _rows_published(platform: Platform, published: dict[str, list[str]]) -> dict[str, int]:
    """Rows per table in the files just published (from their Parquet footers)."""
    from lake._parquet import arrow_filesystem, read_footers

    filesystem = arrow_filesystem(platform)
    cur = curated_tables(platform.settings.buckets.curated)
    ana = analytics_tables(platform.settings.buckets.analytics)
    rows = {}
    for name, keys in published.items():
        table = cur.get(name) or ana[name]
        rows[name] = sum(f.rows for f in read_footers(filesystem, table.bucket, keys))
    return rows


def _last_landed(frame: DataFrame, keys: list[str]) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy(*keys).orderBy(
        F.col("ingest_date").desc_nulls_last(),
        F.col("batch_id").desc(),
        F.col("line_number").desc(),
    )
    return frame.withColumn("_r", F.row_number().over(order)).filter("_r = 1").drop("_r")


def _count_reasons(quarantine: DataFrame) -> dict[str, dict[str, int]]:
    from pyspark.sql import functions as F

    counts: dict[str, dict[str, int]] = {}
    for r in quarantine.groupBy("batch_id", "reason").agg(F.count(F.lit(1)).alias("n")).collect():
        counts.setdefault(r["batch_id"], {})[r["reason"]] = int(r["n"])
    return counts
