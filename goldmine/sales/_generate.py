"""Generate the landing feeds, one batch per business day, streaming to local files.

Memory stays bounded whatever the size: records are written one by one; across
batches only a bounded window of recent orders (for status updates, D2), a bounded
sample of recent lines (for cross-batch duplicates, D1) and the dimension state
(current product prices, changed customers and products) are kept.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import random
import shutil
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from goldmine.sales._config import GeneratorConfig
from goldmine.sales._dimensions import (
    CITIES,
    CUSTOMERS_HEADER,
    EXTRA_COLUMNS,
    EXTRA_VALUES,
    FX_HEADER,
    PRODUCTS_HEADER,
    SEGMENTS,
    STORES_HEADER,
    Customer,
    Product,
    Store,
    build_customer,
    build_product,
    build_stores,
    change_product,
    customer_id,
    customer_row,
    format_micros,
    fx_rate_micros,
    messy_email,
    never_customer_id,
    unknown_product_id,
)
from goldmine.sales._manifest import (
    DIRT_KINDS,
    BatchManifest,
    DuplicateRecord,
    Feed,
    FileEntry,
    OutOfOrderRecord,
    Reason,
    manifest_key,
)
from goldmine.sales._orders import (
    NEXT_STATUS,
    REQUIRED_FIELDS,
    Item,
    Order,
    expected_reasons,
    iso_timestamp,
)
from goldmine.sales._sink import LandingSink

#: ``progress(batches_done, total_batches, order_lines_so_far)``.
ProgressCallback = Callable[[int, int, int], None]

#: Orders kept open for later status updates (D2), across batches.
WINDOW_SIZE = 20_000
#: Lines kept per batch as originals of duplicates in the next batch (D1).
CROSS_SAMPLE_SIZE = 1_000
#: Days of EUR history the first fx batch carries (covers late orders, D3).
FX_HISTORY_DAYS = 7
#: Maximum lateness of a late order in days (D3); below FX_HISTORY_DAYS.
MAX_LATE_DAYS = 5
PROGRESS_EVERY = 100_000

PROMO_CODES: tuple[str, ...] = ("WINTER10", "NEWYEAR25", "FREESHIP", "VIP15", "FLASH5")
DISCOUNTS: tuple[int, ...] = (0, 0, 5, 10, 10, 15, 20, 25, 50)
ITEM_COUNTS: tuple[int, ...] = (1, 1, 1, 1, 2, 2, 2, 3, 3, 4)
FX_RATE_TO_CURRENCY: dict[str, int] = {"USD": 100, "EUR": 92, "GBP": 79}

# Slot kinds of an orders batch plan.
(NEW, UPDATE, DUP_IN, DUP_CROSS, BAD_JSON, MISS_ID, MISS_CUST, MISS_STORE, MISS_TS, OOO_IN,
 OOO_CROSS, F_LATE, F_EPOCH, F_EUR, F_GBP, F_FUTURE, F_NEVER, F_QTY, F_PRICE, F_DISC,
 F_UNKNOWN, F_PROMO) = range(22)  # fmt: skip
_MISSING_SLOTS = {MISS_ID: "order_id", MISS_CUST: "customer_id", MISS_STORE: "store_id",
                  MISS_TS: "order_ts"}  # fmt: skip
_GARBAGE_LINES = ("<html><body>502 Bad Gateway</body></html>", "#EXPORT INTERRUPTED#", "\\N")


def batch_id_for(ingest_date: dt.date) -> str:
    """Return the batch id of an ingest date: ``YYYYMMDD`` (``20250106``)."""
    return ingest_date.strftime("%Y%m%d")


def _count(rate: float, base: int) -> int:
    """Instances of a dirt kind: ``rate * base`` rounded, at least one when rate > 0."""
    return 0 if rate <= 0 else max(1, round(rate * base))


def _epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


@dataclass
class _LineRef:
    text: str
    key: str
    line: int
    order_id: str
    updated_at: str


@dataclass
class _Stale:
    """A ``placed`` record held back to land after its ``shipped`` record (D2)."""

    placed: Order
    shipped: Order
    key: str
    line: int


@dataclass
class _State:
    """Bounded state carried from one batch to the next."""

    window: list[Order] = field(default_factory=list)
    cross_sample: list[_LineRef] = field(default_factory=list)
    carried_stale: list[_Stale] = field(default_factory=list)
    customers: dict[int, Customer] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    prices: list[int] = field(default_factory=list)
    lines_so_far: int = 0


@dataclass(frozen=True)
class _Sizes:
    customers0: int
    customers_per_day: int
    products0: int
    products_per_day: int

    @classmethod
    def of(cls, config: GeneratorConfig) -> _Sizes:
        s = config.scale
        return cls(
            customers0=max(20, round(2_000 * s)),
            customers_per_day=max(1, round(100 * s)),
            products0=max(20, round(500 * s)),
            products_per_day=max(1, round(10 * s)),
        )

    def customers_known(self, day: int) -> int:
        return self.customers0 + day * self.customers_per_day

    def products_known(self, day: int) -> int:
        return self.products0 + day * self.products_per_day


class _Batch:
    """Bookkeeping of one batch: files, dirt counts and expected outcomes."""

    def __init__(self, config: GeneratorConfig, day: int, tmp: Path) -> None:
        self.config = config
        self.day = day
        self.ingest_date = config.ingest_date(day)
        self.batch_id = batch_id_for(self.ingest_date)
        self.tmp = tmp
        self.files: list[tuple[str, Feed, Path, int]] = []
        self.counts: dict[str, int] = dict.fromkeys(DIRT_KINDS, 0)
        # Bad records can be many (every GBP line of the first day): streamed to disk.
        self.bad_path = tmp / "_bad_records.jsonl"
        self.bad_fh = self.bad_path.open("w", encoding="utf-8", buffering=1 << 20)
        self.bad_count = 0
        self.duplicates: list[DuplicateRecord] = []
        self.out_of_order: list[OutOfOrderRecord] = []

    def add_bad(
        self, feed: Feed, key: str, line: int, order_id: str | None, line_no: int | None,
        reason: Reason,
    ) -> None:  # fmt: skip
        """Record one expected quarantine (the fields of :class:`BadRecord`, in order)."""
        if self.bad_count:
            self.bad_fh.write(",\n")
        record = {"feed": feed, "key": key, "line": line, "order_id": order_id,
                  "line_no": line_no, "reason": reason}  # fmt: skip
        self.bad_fh.write(json.dumps(record, separators=(",", ":")))
        self.bad_count += 1

    def key(self, prefix: str, name: str) -> str:
        return f"{prefix}/ingest_date={self.ingest_date.isoformat()}/{name}-{self.batch_id}"

    def open(self, key: str) -> tuple[Path, TextIO]:
        path = self.tmp / key.replace("/", "__")
        return path, path.open("w", encoding="utf-8", newline="", buffering=1 << 20)

    def land(self, sink: LandingSink, keep_details: bool) -> BatchManifest:
        """Land every file, then the manifest (streamed: its bad records may be many)."""
        entries: list[FileEntry] = []
        for key, feed, path, records in self.files:
            digest = hashlib.sha256()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(chunk)
            entries.append(
                FileEntry(key=key, feed=feed, records=records, bytes=path.stat().st_size,
                          sha256=digest.hexdigest())
            )  # fmt: skip
            sink.put_file(key, path)
        self.bad_fh.close()
        head = BatchManifest(
            batch_id=self.batch_id,
            ingest_date=self.ingest_date,
            seed=self.config.seed,
            scale=self.config.scale,
            files=entries,
            dirt_counts=self.counts,
            bad_record_count=self.bad_count,
            duplicate_count=len(self.duplicates),
            out_of_order_count=len(self.out_of_order),
            duplicates=self.duplicates,
            out_of_order=self.out_of_order,
        )
        before, marker, after = head.model_dump_json().partition('"bad_records":[]')
        assert marker, "manifest layout changed"
        path = self.tmp / "_manifest.json"
        with path.open("w", encoding="utf-8") as out, self.bad_path.open(encoding="utf-8") as bad:
            out.write(before + '"bad_records":[\n')
            shutil.copyfileobj(bad, out, 1 << 20)
            out.write("\n]" + after + "\n")
        sink.put_file(manifest_key(self.batch_id), path)
        if keep_details:
            return BatchManifest.model_validate_json(path.read_bytes())
        return head.without_details()


def generate_sales(
    sink: LandingSink,
    config: GeneratorConfig,
    progress: ProgressCallback | None = None,
    *,
    keep_details: bool = True,
) -> list[BatchManifest]:
    """Generate ``config.days`` batches of the sales source and land them in ``sink``.

    Each batch lands its files (orders, customers, products, fx rates; the stores
    list with the first batch) and then ``_manifests/manifest-<batch_id>.json``.
    Output is byte-identical for the same config. Reason precedence of the
    expected quarantine outcomes is documented in :mod:`goldmine.sales._orders`.

    Parameters
    ----------
    sink
        Where files land (:class:`DirectorySink`, :class:`S3Sink`).
    config
        Days, scale, seed, start date and dirt rates.
    progress
        Called as ``progress(batches_done, total_batches, order_lines_so_far)``
        during and after every batch.
    keep_details
        Keep the per-record lists (``bad_records``, ``duplicates``,
        ``out_of_order``) in the returned manifests. Pass ``False`` for big runs:
        memory then stays bounded by one batch; the landed manifests keep the lists.

    Returns
    -------
    list of BatchManifest
        One per batch, in ingest order (also landed as JSON).

    Examples
    --------
    >>> generate_sales(DirectorySink(Path("landing")), GeneratorConfig(days=7, scale=0.05))
    """
    stores = build_stores()
    sizes = _Sizes.of(config)
    state = _State()
    fx_first = fx_first_rate_dates(config)
    manifests: list[BatchManifest] = []
    for day in range(config.days):
        with tempfile.TemporaryDirectory(prefix="goldmine-sales-") as tmp:
            batch = _Batch(config, day, Path(tmp))
            if day == 0:
                _write_stores(batch, stores)
            _write_customers(batch, state, sizes)
            _write_products(batch, state, sizes)
            _write_fx(batch)
            _OrdersWriter(batch, state, sizes, stores, fx_first, progress).write()
            manifests.append(batch.land(sink, keep_details))
        if progress is not None:
            progress(day + 1, config.days, state.lines_so_far)
    return manifests


# --- dimensions ----------------------------------------------------------------------------


def _csv_writer(fh: TextIO) -> Any:
    return csv.writer(fh, lineterminator="\n")


def _write_stores(batch: _Batch, stores: tuple[Store, ...]) -> None:
    key = "stores/stores.csv"
    path, fh = batch.open(key)
    with fh:
        writer = _csv_writer(fh)
        writer.writerow(STORES_HEADER)
        for store in stores:
            writer.writerow(store.row())
    batch.files.append((key, "stores", path, len(stores)))


def _forced_day(config: GeneratorConfig, day: int) -> int:
    return min(day, config.days - 1)


def _twice_mover_days(days: int) -> tuple[int, ...]:
    """Days on which customer ``C00000001`` moves city (D12: three versions)."""
    if days >= 4:
        return (1, 3)
    if days == 3:
        return (1, 2)
    return ()


def _write_csv_feed(
    batch: _Batch,
    feed: Feed,
    key: str,
    header: tuple[str, ...],
    rows: Iterator[list[str]],
    n_rows: int,
    rng: random.Random,
    forced_extra: bool,
) -> None:
    """Stream rows to a CSV file, adding D4 broken rows and maybe a D14 extra column."""
    cfg = batch.config.dirt
    extra = cfg.d14_extra_column > 0 and (forced_extra or rng.random() < cfg.d14_extra_column)
    n_bad = _count(cfg.d4_unparseable, n_rows)
    # Positions: a broken row follows data row i (0: right after the header).
    bad_after = {rng.randrange(n_rows + 1) for _ in range(n_bad)}
    path, fh = batch.open(key)
    line = 1
    with fh:
        writer = _csv_writer(fh)
        writer.writerow([*header, EXTRA_COLUMNS[feed]] if extra else header)

        def broken(template: list[str]) -> None:
            nonlocal line
            writer.writerow(template[:-2])
            line += 1
            batch.add_bad(feed, key, line, None, None, "unparseable")
            batch.counts["D4"] += 1

        if 0 in bad_after:
            broken(["x"] * len(header))
        for i, row in enumerate(rows, start=1):
            if extra:
                row = [*row, EXTRA_VALUES[(i * 7) % len(EXTRA_VALUES)]]
            writer.writerow(row)
            line += 1
            if i in bad_after:
                broken(row)
    if extra:
        batch.counts["D14"] += 1
    batch.files.append((key, feed, path, line - 1))


def _write_customers(batch: _Batch, state: _State, sizes: _Sizes) -> None:
    config, day = batch.config, batch.day
    seed, rates = config.seed, config.dirt
    rng = random.Random(f"{seed}/customers/{day}")
    day_start = _epoch(batch.ingest_date)
    versions: list[tuple[Customer, int]] = []  # (version, updated_at) of changed customers
    if day == 0:
        first, last = 0, sizes.customers0
    else:
        first, last = sizes.customers_known(day - 1), sizes.customers_known(day)
        known = first
        movers = _count(rates.d12_customer_change, known) if known > 1 else 0
        changed = sorted(rng.sample(range(1, known), min(movers, known - 1)))
        if rates.d12_customer_change > 0 and day in _twice_mover_days(config.days):
            changed.insert(0, 0)
        for index in changed:
            current = state.customers.get(index) or build_customer(seed, index, config.start_date)
            if index == 0 or rng.random() < 0.5:
                city = rng.choice([c for c in CITIES[current.country] if c != current.city])
                new = replace(current, city=city)
            else:
                segment = rng.choice([s for s in SEGMENTS if s != current.segment])
                new = replace(current, segment=segment)
            state.customers[index] = new
            versions.append((new, day_start + rng.randrange(86_400)))
        batch.counts["D12"] += len(versions)

    def rows() -> Iterator[list[str]]:
        n = 0
        for customer, updated in versions:
            yield _customer_line(customer, updated, n, rng, rates.d11_messy_email, batch)
            n += 1
        for index in range(first, last):
            customer = build_customer(seed, index, config.start_date)
            if day == 0:
                updated = _epoch(customer.created) + index % 86_400
            else:
                updated = day_start + rng.randrange(86_400)
            yield _customer_line(customer, updated, n, rng, rates.d11_messy_email, batch)
            n += 1

    key = batch.key("crm/customers", "customers") + ".csv"
    forced = day == _forced_day(config, 1)
    _write_csv_feed(batch, "customers", key, CUSTOMERS_HEADER, rows(),
                    len(versions) + last - first, rng, forced)  # fmt: skip


def _customer_line(
    customer: Customer, updated: int, n: int, rng: random.Random, rate: float, batch: _Batch
) -> list[str]:
    email = customer.email
    if rate > 0 and (n == 0 or rng.random() < rate):
        email = messy_email(email, rng)
        batch.counts["D11"] += 1
    return customer_row(customer, email, iso_timestamp(updated))


def _write_products(batch: _Batch, state: _State, sizes: _Sizes) -> None:
    config, day = batch.config, batch.day
    rng = random.Random(f"{config.seed}/products/{day}")
    day_start = _epoch(batch.ingest_date)
    versions: list[tuple[Product, int]] = []
    if day == 0:
        first, last = 0, sizes.products0
        state.prices = []
    else:
        first, last = sizes.products_known(day - 1), sizes.products_known(day)
        n_changes = min(first, max(1, round(0.01 * first)))
        for index in sorted(rng.sample(range(first), n_changes)):
            current = state.products.get(index) or build_product(config.seed, index)
            new = change_product(current, rng)
            state.products[index] = new
            state.prices[index] = new.list_price_cents
            versions.append((new, day_start + rng.randrange(86_400)))

    def rows() -> Iterator[list[str]]:
        for product, updated in versions:
            yield product.row(iso_timestamp(updated))
        for index in range(first, last):
            product = build_product(config.seed, index)
            state.prices.append(product.list_price_cents)
            if day == 0:
                updated = day_start - 86_400 * 30 + index % 86_400
            else:
                updated = day_start + rng.randrange(86_400)
            yield product.row(iso_timestamp(updated))

    key = batch.key("catalog/products", "products") + ".csv"
    forced = day == _forced_day(config, 2)
    _write_csv_feed(batch, "products", key, PRODUCTS_HEADER, rows(),
                    len(versions) + last - first, rng, forced)  # fmt: skip


# --- fx rates ------------------------------------------------------------------------------


def _fx_gap(config: GeneratorConfig, currency: str, rate_date: dt.date) -> bool:
    """Whether the rate of ``currency`` on ``rate_date`` is missing from the fx feed."""
    start = config.start_date
    first = fx_first_rate_dates(config)[currency]
    if rate_date == first or config.dirt.d10_fx_gap <= 0:
        return False
    forced = {"EUR": start + dt.timedelta(days=2), "GBP": start + dt.timedelta(days=3)}
    if rate_date == forced[currency]:
        return True
    rng = random.Random(f"{config.seed}/fxgap/{currency}/{rate_date.isoformat()}")
    return rng.random() < config.dirt.d10_fx_gap


def fx_first_rate_dates(config: GeneratorConfig) -> dict[str, dt.date | None]:
    """Return per currency the earliest ``rate_date`` any fx batch of ``config`` carries.

    EUR rates start ``FX_HISTORY_DAYS`` before the start date (the first batch
    carries that history); GBP rates start on the second batch's ingest date, so
    GBP orders dated earlier have no rate at all (``missing_fx_rate``, D10).
    """
    start = config.start_date
    return {
        "EUR": start - dt.timedelta(days=FX_HISTORY_DAYS),
        "GBP": start + dt.timedelta(days=1) if config.days > 1 else None,
    }


def _write_fx(batch: _Batch) -> None:
    config, day = batch.config, batch.day
    wanted: list[tuple[dt.date, str]] = []
    if day == 0:
        for back in range(FX_HISTORY_DAYS, -1, -1):
            wanted.append((batch.ingest_date - dt.timedelta(days=back), "EUR"))
    else:
        wanted = [(batch.ingest_date, "EUR"), (batch.ingest_date, "GBP")]
    key = batch.key("finance/fx_rates", "fx") + ".csv"
    path, fh = batch.open(key)
    records = 0
    with fh:
        writer = _csv_writer(fh)
        writer.writerow(FX_HEADER)
        for rate_date, currency in wanted:
            if _fx_gap(config, currency, rate_date):
                batch.counts["D10"] += 1
                continue
            micros = fx_rate_micros(config.seed, currency, rate_date)
            writer.writerow([rate_date.isoformat(), currency, format_micros(micros)])
            records += 1
    batch.files.append((key, "fx_rates", path, records))


# --- orders --------------------------------------------------------------------------------


class _OrdersWriter:
    """Writes one orders file: new orders, updates and every kind of order dirt."""

    def __init__(
        self,
        batch: _Batch,
        state: _State,
        sizes: _Sizes,
        stores: tuple[Store, ...],
        fx_first: dict[str, dt.date | None],
        progress: ProgressCallback | None,
    ) -> None:
        self.batch = batch
        self.state = state
        self.config = batch.config
        self.rates = batch.config.dirt
        self.fx_first = fx_first
        self.progress = progress
        self.rng = random.Random(f"{self.config.seed}/orders/{batch.day}")
        self.key = batch.key("sales/orders", "orders") + ".jsonl"
        self.day_start = _epoch(batch.ingest_date)
        self.day_end = self.day_start + 86_399
        self.known_customers = sizes.customers_known(batch.day)
        self.final_customers = sizes.customers_known(self.config.days - 1)
        self.promo_active = batch.day + 1 >= self.config.promo_from_day
        self.stores_by_currency = {
            cur: tuple(s for s in stores if cur in s.currencies) for cur in ("USD", "EUR", "GBP")
        }
        self.seq = 0
        self.line = 0
        self.recent: deque[_LineRef] = deque(maxlen=256)
        self.sample: list[_LineRef] = []
        self.sample_seen = 0
        self.stale_in: list[_Stale] = []
        self.fh: TextIO | None = None

    # -- plan ------------------------------------------------------------------------------

    def _plan(self) -> bytearray:
        r, n, day, last = self.rates, self.config.lines_per_day, self.batch.day, self.config.days
        plan = bytearray()
        plan += bytes([UPDATE]) * _count(r.d2_update, n)
        dups = _count(r.d1_duplicate, n)
        cross = 0 if day == 0 or dups == 0 else max(1, dups // 2)
        plan += bytes([DUP_CROSS]) * cross + bytes([DUP_IN]) * max(dups - cross, 1 if dups else 0)
        plan += bytes([BAD_JSON]) * _count(r.d4_unparseable, n)
        missing = _count(r.d5_missing, n)
        if missing:
            slots = (MISS_ID, MISS_CUST, MISS_STORE, MISS_TS)
            plan += bytes(slots[i % 4] for i in range(max(4, missing)))
        ooo = _count(r.d2_out_of_order, n)
        if ooo:
            ooo_cross = max(1, ooo // 2) if day < last - 1 else 0
            plan += bytes([OOO_CROSS]) * ooo_cross + bytes([OOO_IN]) * max(1, ooo - ooo_cross)
        forced = [
            (r.d3_late, F_LATE), (r.d9_epoch_ts, F_EPOCH), (r.d10_foreign_currency, F_EUR),
            (r.d10_foreign_currency, F_GBP), (r.d6_invalid_item, F_QTY),
            (r.d6_invalid_item, F_PRICE), (r.d6_invalid_item, F_DISC),
            (r.d7_unknown_product, F_UNKNOWN), (r.d8_unknown_customer, F_NEVER),
            (r.d8_unknown_customer if day < last - 1 else 0.0, F_FUTURE),
            (r.d13_promo if self.promo_active else 0.0, F_PROMO),
        ]  # fmt: skip
        plan += bytes(slot for rate, slot in forced if rate > 0)
        plan += bytes([NEW]) * max(0, n - len(plan) - len(self.state.carried_stale))
        self.rng.shuffle(plan)
        return plan

    # -- emitting --------------------------------------------------------------------------

    def _emit(self, text: str) -> int:
        assert self.fh is not None
        self.fh.write(text)
        self.fh.write("\n")
        self.line += 1
        self.state.lines_so_far += 1
        if self.progress is not None and self.state.lines_so_far % PROGRESS_EVERY == 0:
            self.progress(self.batch.day, self.config.days, self.state.lines_so_far)
        return self.line

    def _emit_order(self, order: Order, *, dup_source: bool = True) -> int:
        text = order.to_json()
        line = self._emit(text)
        reasons = expected_reasons(order, self.fx_first)
        if reasons:
            oid = None if order.missing == "order_id" else order.order_id
            for line_no, reason in reasons:
                self.batch.add_bad("orders", self.key, line, oid, line_no, reason)
        elif dup_source:
            ref = _LineRef(text, self.key, line, order.order_id, order.updated_at_text)
            self.recent.append(ref)
            self.sample_seen += 1
            if len(self.sample) < CROSS_SAMPLE_SIZE:
                self.sample.append(ref)
            else:
                j = self.rng.randrange(self.sample_seen)
                if j < CROSS_SAMPLE_SIZE:
                    self.sample[j] = ref
        return line

    def _emit_duplicate(self, original: _LineRef) -> None:
        line = self._emit(original.text)
        self.batch.duplicates.append(
            DuplicateRecord(key=self.key, line=line, order_id=original.order_id,
                            updated_at=original.updated_at, original_key=original.key,
                            original_line=original.line)
        )  # fmt: skip
        self.batch.counts["D1"] += 1

    def _emit_stale(self, stale: _Stale) -> None:
        line = self._emit_order(stale.placed, dup_source=False)
        self.batch.out_of_order.append(
            OutOfOrderRecord(
                order_id=stale.placed.order_id, stale_key=self.key, stale_line=line,
                stale_status=stale.placed.status,
                stale_updated_at=stale.placed.updated_at_text, current_key=stale.key,
                current_line=stale.line, current_status=stale.shipped.status,
                current_updated_at=stale.shipped.updated_at_text,
            )
        )  # fmt: skip
        self.batch.counts["D2"] += 1

    # -- building --------------------------------------------------------------------------

    def _new_order(self, slot: int = NEW, *, clean: bool = False) -> Order:
        rng, r = self.rng, self.rates
        self.seq += 1
        order_id = f"O{self.batch.batch_id}-{self.seq:07d}"
        if slot == F_EUR:
            currency = "EUR"
        elif slot == F_GBP:
            currency = "GBP"
        elif not clean and rng.random() < r.d10_foreign_currency:
            currency = "EUR" if rng.random() < 2 / 3 else "GBP"
        else:
            currency = "USD"
        if currency != "USD":
            self.batch.counts["D10"] += 1
        stores = self.stores_by_currency[currency]
        store = stores[int(rng.random() * len(stores))]
        if slot == F_FUTURE or (
            slot == NEW and rng.random() < r.d8_unknown_customer
            and self.known_customers < self.final_customers and rng.random() < 0.7
        ):  # fmt: skip
            cust = customer_id(rng.randrange(self.known_customers, self.final_customers))
            self.batch.counts["D8"] += 1
        elif slot == F_NEVER or (slot == NEW and rng.random() < r.d8_unknown_customer):
            cust = never_customer_id(rng.randrange(100_000))
            self.batch.counts["D8"] += 1
        else:
            cust = customer_id(int(rng.random() * self.known_customers))
        if slot == F_LATE or (not clean and rng.random() < r.d3_late):
            ts = self.day_start - 86_400 * rng.randint(1, MAX_LATE_DAYS) + rng.randrange(86_400)
            self.batch.counts["D3"] += 1
        else:
            ts = self.day_start + int(rng.random() * (86_400 - 4 * 3600))
        epoch = slot == F_EPOCH or (not clean and rng.random() < r.d9_epoch_ts)
        if epoch:
            self.batch.counts["D9"] += 1
        promo = None
        if self.promo_active and (slot == F_PROMO or (not clean and rng.random() < r.d13_promo)):
            promo = PROMO_CODES[int(rng.random() * len(PROMO_CODES))]
            self.batch.counts["D13"] += 1
        items = tuple(
            self._item(n, currency, slot if n == 1 else NEW, clean)
            for n in range(1, ITEM_COUNTS[int(rng.random() * len(ITEM_COUNTS))] + 1)
        )
        return Order(order_id, cust, store.store_id, ts, store.utc_offset_minutes, epoch,
                     "placed", currency, ts, items, promo)  # fmt: skip

    def _item(self, line_no: int, currency: str, slot: int, clean: bool) -> Item:
        rng, r, prices = self.rng, self.rates, self.state.prices
        product = int(rng.random() * len(prices))
        price = prices[product] * FX_RATE_TO_CURRENCY[currency] // 100
        quantity = 1 if rng.random() < 0.7 else rng.randint(2, 5)
        discount = None if rng.random() < 0.5 else DISCOUNTS[int(rng.random() * len(DISCOUNTS))]
        pid = f"P{product + 1:06d}"
        if slot == NEW and not clean and rng.random() < r.d6_invalid_item:
            slot = (F_QTY, F_PRICE, F_DISC)[rng.randrange(3)]
        if slot == F_QTY:
            quantity = -rng.randint(0, 3)
        elif slot == F_PRICE:
            price = -max(1, price)
        elif slot == F_DISC:
            discount = rng.choice((-10, 101, 150, 200))
        if slot in (F_QTY, F_PRICE, F_DISC):
            self.batch.counts["D6"] += 1
        if slot == F_UNKNOWN or (slot == NEW and not clean and rng.random() < r.d7_unknown_product):
            pid = unknown_product_id(rng.randrange(100_000))
            self.batch.counts["D7"] += 1
        return Item(line_no, pid, quantity, price, discount)

    def _add_to_window(self, order: Order) -> None:
        window = self.state.window
        if len(window) < WINDOW_SIZE:
            window.append(order)
        else:
            window[int(self.rng.random() * WINDOW_SIZE)] = order

    def _update(self) -> bool:
        window, rng = self.state.window, self.rng
        if not window:
            return False
        i = int(rng.random() * len(window))
        order = window[i]
        lo = max(order.updated_at + 60, self.day_start)
        if lo > self.day_end:
            return False
        choices = NEXT_STATUS[order.status]
        x, status = rng.random(), choices[-1][0]
        for candidate, weight in choices:
            if x < weight:
                status = candidate
                break
            x -= weight
        new = replace(order, status=status, updated_at=lo + rng.randrange(self.day_end - lo + 1))
        self._emit_order(new)
        self.batch.counts["D2"] += 1
        if status in ("cancelled", "returned") or (status == "delivered" and rng.random() > 0.15):
            window[i] = window[-1]
            window.pop()
        else:
            window[i] = new
        return True

    def _out_of_order(self) -> _Stale:
        placed = self._new_order(clean=True)
        shipped_at = placed.updated_at + 600 + self.rng.randrange(3 * 3600)
        shipped = replace(placed, status="shipped", updated_at=shipped_at)
        line = self._emit_order(shipped, dup_source=False)
        return _Stale(placed, shipped, self.key, line)

    def _bad_json(self) -> None:
        rng = self.rng
        if rng.random() < 0.75:
            text = self._new_order().to_json()
            text = text[: rng.randint(10, len(text) - 2)]
        else:
            text = _GARBAGE_LINES[rng.randrange(len(_GARBAGE_LINES))]
        try:
            json.loads(text)
            text += "{"  # never valid: keeps the promise of D4 whatever the cut
        except ValueError:
            pass
        line = self._emit(text)
        self.batch.add_bad("orders", self.key, line, None, None, "unparseable")
        self.batch.counts["D4"] += 1

    # -- the batch -------------------------------------------------------------------------

    def write(self) -> None:
        state, batch = self.state, self.batch
        plan = self._plan()
        path, self.fh = batch.open(self.key)
        owed_dups = owed_updates = 0
        stale_cross: list[_Stale] = []
        with self.fh:
            for stale in state.carried_stale:
                self._emit_stale(stale)
            for slot in plan:
                if slot == NEW or F_LATE <= slot <= F_PROMO:
                    order = self._new_order(slot)
                    self._emit_order(order)
                    self._add_to_window(order)
                elif slot == UPDATE:
                    if not self._update():
                        owed_updates += 1
                elif slot == DUP_CROSS and state.cross_sample:
                    self._emit_duplicate(
                        state.cross_sample[int(self.rng.random() * len(state.cross_sample))]
                    )
                elif slot in (DUP_IN, DUP_CROSS):
                    if self.recent:
                        self._emit_duplicate(self.recent[int(self.rng.random() * len(self.recent))])
                    else:
                        owed_dups += 1
                elif slot == BAD_JSON:
                    self._bad_json()
                elif slot in _MISSING_SLOTS:
                    field_name = _MISSING_SLOTS[slot]
                    assert field_name in REQUIRED_FIELDS
                    order = replace(self._new_order(), missing=field_name,
                                    missing_as_null=self.rng.random() < 0.5)  # fmt: skip
                    self._emit_order(order)
                    batch.counts["D5"] += 1
                elif slot == OOO_IN:
                    self.stale_in.append(self._out_of_order())
                elif slot == OOO_CROSS:
                    stale_cross.append(self._out_of_order())
            for _ in range(owed_updates):
                self._update()
            for _ in range(owed_dups):
                if self.recent:
                    self._emit_duplicate(self.recent[int(self.rng.random() * len(self.recent))])
            for stale in self.stale_in:
                self._emit_stale(stale)
        state.carried_stale = stale_cross
        state.cross_sample = self.sample
        batch.files.append((self.key, "orders", path, self.line))
