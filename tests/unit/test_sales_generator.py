"""The sales source generator: determinism, layout, manifests and every dirt kind D1-D14.

The file checks re-derive each fact from the landed bytes (not from the manifest),
then compare with what the manifest claims.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from goldmine.sales import (
    DIRT_KINDS,
    BatchManifest,
    DirectorySink,
    DirtRates,
    GeneratorConfig,
    S3Sink,
    generate_sales,
)

CUSTOMERS_COLUMNS = [
    "customer_id", "email", "first_name", "last_name", "country", "city", "segment", "updated_at",
]  # fmt: skip
PRODUCTS_COLUMNS = [
    "product_id", "sku", "name", "category", "subcategory", "list_price", "currency", "active",
    "updated_at",
]  # fmt: skip
STORES_COLUMNS = ["store_id", "name", "channel", "region", "country", "opened_on"]
REQUIRED = ("order_id", "customer_id", "store_id", "order_ts")


def _tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[BatchManifest]]:
    root = tmp_path_factory.mktemp("landing")
    manifests = generate_sales(DirectorySink(root), GeneratorConfig(days=7, scale=0.05, seed=42))
    return root, manifests


@pytest.fixture(scope="module")
def orders(landed: tuple[Path, list[BatchManifest]]) -> list[dict[str, Any]]:
    """Every parseable order line in landing order, with its batch, key and line."""
    root, manifests = landed
    rows: list[dict[str, Any]] = []
    for batch_index, m in enumerate(manifests):
        key = next(f.key for f in m.files if f.feed == "orders")
        for line, text in enumerate((root / key).read_text().splitlines(), start=1):
            try:
                record = json.loads(text, parse_float=Decimal)
            except ValueError:
                continue
            rows.append({"batch": batch_index, "key": key, "line": line, "text": text,
                         "ingest_date": m.ingest_date, "record": record})  # fmt: skip
    return rows


def _csv_rows(root: Path, m: BatchManifest, feed: str) -> tuple[list[str], list[list[str]]]:
    key = next(f.key for f in m.files if f.feed == feed)
    with (root / key).open(newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _order_ts(record: dict[str, Any]) -> dt.datetime:
    ts = record["order_ts"]
    if isinstance(ts, int):
        return dt.datetime.fromtimestamp(ts / 1000, dt.UTC)
    return dt.datetime.fromisoformat(ts).astimezone(dt.UTC)


# --- determinism and manifests -------------------------------------------------------------


def test_same_seed_same_bytes_and_other_seed_other_bytes(tmp_path: Path) -> None:
    config = GeneratorConfig(days=3, scale=0.03, seed=7)
    generate_sales(DirectorySink(tmp_path / "a"), config)
    generate_sales(DirectorySink(tmp_path / "b"), config)
    generate_sales(DirectorySink(tmp_path / "c"), config.model_copy(update={"seed": 8}))
    a, b, c = (_tree_digest(tmp_path / n) for n in "abc")
    assert len(a) == 3 * 5 + 1  # 4 feeds + manifest per batch, stores once
    assert a == b
    assert a.keys() == c.keys()
    assert all(a[k] != c[k] for k in a if "orders" in k or "customers" in k)


def test_layout_and_manifest_describe_the_files(landed: tuple[Path, list[BatchManifest]]) -> None:
    root, manifests = landed
    assert [m.batch_id for m in manifests] == [f"202501{d:02d}" for d in range(6, 13)]
    for i, m in enumerate(manifests):
        d = m.ingest_date.isoformat()
        expected = {
            f"sales/orders/ingest_date={d}/orders-{m.batch_id}.jsonl",
            f"crm/customers/ingest_date={d}/customers-{m.batch_id}.csv",
            f"catalog/products/ingest_date={d}/products-{m.batch_id}.csv",
            f"finance/fx_rates/ingest_date={d}/fx-{m.batch_id}.csv",
        } | ({"stores/stores.csv"} if i == 0 else set())
        assert {f.key for f in m.files} == expected
        for f in m.files:
            data = (root / f.key).read_bytes()
            assert f.bytes == len(data)
            assert f.sha256 == hashlib.sha256(data).hexdigest()
            header = 0 if f.feed == "orders" else 1
            assert f.records == data.count(b"\n") - header
        on_disk = BatchManifest.model_validate_json(
            (root / f"_manifests/manifest-{m.batch_id}.json").read_bytes()
        )
        assert on_disk == m
        assert m.bad_record_count == len(m.bad_records)
        assert m.duplicate_count == len(m.duplicates)
        assert m.out_of_order_count == len(m.out_of_order)
    header, stores = _csv_rows(root, manifests[0], "stores")
    assert header == STORES_COLUMNS
    assert {s[2] for s in stores} == {"store", "web"}


def test_every_dirt_kind_is_counted(landed: tuple[Path, list[BatchManifest]]) -> None:
    _, manifests = landed
    totals = Counter[str]()
    for m in manifests:
        totals.update(m.dirt_counts)
    assert {k for k in DIRT_KINDS if totals[k] > 0} == set(DIRT_KINDS)


def test_order_lines_per_day_at_scale_one(tmp_path: Path) -> None:
    (m,) = generate_sales(DirectorySink(tmp_path), GeneratorConfig(days=1, scale=1))
    assert 8_000 <= m.order_lines <= 12_000


def test_s3_sink_lands_the_same_keys(tmp_path: Path) -> None:
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="landing")
        config = GeneratorConfig(days=1, scale=0.02)
        (m,) = generate_sales(S3Sink(s3, "landing"), config, keep_details=False)
        landed = BatchManifest.model_validate_json(
            s3.get_object(Bucket="landing", Key="_manifests/manifest-20250106.json")["Body"].read()
        )
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="landing")["Contents"]}
        body = s3.get_object(Bucket="landing", Key=m.files[-1].key)["Body"].read()
    assert keys == {f.key for f in m.files} | {"_manifests/manifest-20250106.json"}
    assert hashlib.sha256(body).hexdigest() == m.files[-1].sha256
    assert m.bad_records == [] and m.bad_record_count == len(landed.bad_records) > 0


# --- money ---------------------------------------------------------------------------------


def test_money_is_exact_decimal_text(
    landed: tuple[Path, list[BatchManifest]], orders: list[dict[str, Any]]
) -> None:
    root, manifests = landed
    for row in orders:
        for item in row["record"].get("items", []):
            assert isinstance(item["quantity"], int)
            for name in ("unit_price", "discount"):
                if name in item:
                    value = Decimal(item[name])
                    assert value.as_tuple().exponent >= -2, row["text"]
    for m in manifests:
        header, rates = _csv_rows(root, m, "fx_rates")
        assert header == ["rate_date", "currency", "usd_per_unit"]
        for _, currency, rate in rates:
            assert currency in {"EUR", "GBP"}
            assert Decimal(rate).as_tuple().exponent >= -6


# --- dirt, checked in the files ------------------------------------------------------------


def test_d1_duplicates_within_and_across_batches(
    landed: tuple[Path, list[BatchManifest]], orders: list[dict[str, Any]]
) -> None:
    _, manifests = landed
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    found: set[tuple[str, int]] = set()
    within = across = 0
    for row in orders:
        r = row["record"]
        if "order_id" not in r or r["order_id"] is None:
            continue
        ident = (r["order_id"], r["updated_at"])
        if ident in seen:
            first = seen[ident]
            assert first["text"] == row["text"]
            found.add((row["key"], row["line"]))
            within += first["batch"] == row["batch"]
            across += first["batch"] != row["batch"]
        else:
            seen[ident] = row
    claimed = {(d.key, d.line) for m in manifests for d in m.duplicates}
    assert found == claimed
    assert within > 0 and across > 0


def test_d2_status_updates_and_shipped_before_placed(
    landed: tuple[Path, list[BatchManifest]], orders: list[dict[str, Any]]
) -> None:
    _, manifests = landed
    history: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in orders:
        if row["record"].get("order_id"):
            history[row["record"]["order_id"]].append(row)
    statuses = {r["record"]["status"] for rows in history.values() for r in rows}
    assert statuses == {"placed", "shipped", "delivered", "returned", "cancelled"}
    out_of_order: dict[str, tuple[int, int]] = {}
    for order_id, rows in history.items():
        first_placed = (
            next(r for r in rows if r["record"]["status"] == "placed")
            if any(r["record"]["status"] == "placed" for r in rows)
            else None
        )
        if first_placed is None:
            continue
        earlier = [r for r in rows if (r["batch"], r["line"]) < (first_placed["batch"],
                                                                 first_placed["line"])]  # fmt: skip
        if any(r["record"]["status"] == "shipped" for r in earlier):
            newest = max(rows, key=lambda r: r["record"]["updated_at"])
            assert newest["record"]["status"] == "shipped"
            out_of_order[order_id] = (earlier[0]["batch"], first_placed["batch"])
    assert any(a < b for a, b in out_of_order.values()), "no cross-batch case"
    assert any(a == b for a, b in out_of_order.values()), "no within-batch case"
    assert set(out_of_order) == {o.order_id for m in manifests for o in m.out_of_order}


def test_d3_late_and_d9_epoch_and_d13_promo(
    landed: tuple[Path, list[BatchManifest]], orders: list[dict[str, Any]]
) -> None:
    _, manifests = landed
    promo_day = manifests[3].ingest_date
    late = epoch = 0
    for row in orders:
        r = row["record"]
        if r.get("order_ts") is None:
            continue
        epoch += isinstance(r["order_ts"], int)
        late += r["status"] == "placed" and _order_ts(r).date() < row["ingest_date"]
        if row["ingest_date"] < promo_day:
            assert "promo_code" not in r
    assert late > 0 and epoch > 0
    assert any("promo_code" in row["record"] for row in orders)


def test_d8_customers_arriving_later_or_never(
    landed: tuple[Path, list[BatchManifest]], orders: list[dict[str, Any]]
) -> None:
    root, manifests = landed
    arrival: dict[str, int] = {}
    for i, m in enumerate(manifests):
        header, rows = _csv_rows(root, m, "customers")
        for row in rows:
            if len(row) == len(header):
                arrival.setdefault(row[0], i)
    later = never = 0
    for row in orders:
        cid = row["record"].get("customer_id")
        if cid is None:
            continue
        if cid not in arrival:
            never += 1
        elif arrival[cid] > row["batch"]:
            later += 1
    assert later > 0 and never > 0


def test_d10_currencies_and_fx_gaps(
    landed: tuple[Path, list[BatchManifest]], orders: list[dict[str, Any]]
) -> None:
    root, manifests = landed
    dates: dict[str, set[dt.date]] = defaultdict(set)
    for m in manifests:
        for rate_date, currency, _ in _csv_rows(root, m, "fx_rates")[1]:
            dates[currency].add(dt.date.fromisoformat(rate_date))
    assert {row["record"]["currency"] for row in orders if "currency" in row["record"]} == {
        "USD", "EUR", "GBP",
    }  # fmt: skip
    ingest_dates = {m.ingest_date for m in manifests}
    assert ingest_dates - dates["EUR"], "no missing EUR date"
    no_rate = [
        row for row in orders
        if row["record"].get("currency") == "GBP" and row["record"].get("order_ts") is not None
        and _order_ts(row["record"]).date() < min(dates["GBP"])
    ]  # fmt: skip
    assert no_rate


def test_d11_d12_d14_in_dimension_files(landed: tuple[Path, list[BatchManifest]]) -> None:
    root, manifests = landed
    messy = 0
    cities: dict[str, list[str]] = defaultdict(list)
    extra_headers: set[str] = set()
    for m in manifests:
        for feed, columns in (("customers", CUSTOMERS_COLUMNS), ("products", PRODUCTS_COLUMNS)):
            header, rows = _csv_rows(root, m, feed)
            assert header[: len(columns)] == columns
            extra_headers.update(header[len(columns) :])
            if feed == "customers":
                for row in rows:
                    if len(row) == len(header):
                        messy += row[1] != row[1].strip().lower()
                        cities[row[0]].append(row[5])
    assert messy > 0
    assert extra_headers >= {"loyalty_tier", "supplier_code"}
    movers = [c for c, seen in cities.items() if len(seen) >= 3 and seen[0] != seen[1] != seen[2]]
    assert movers


# --- expected quarantine, re-derived independently ------------------------------------------


def _reasons_of(record: Any, fx_first: dict[str, dt.date], products: set[str]) -> list[Any]:
    if not isinstance(record, dict):
        return [(None, "unparseable")]
    for name in REQUIRED:
        if record.get(name) is None:
            return [(None, f"missing_{name}")]
    order_date = _order_ts(record).date()
    currency = record["currency"]
    no_fx = currency != "USD" and (currency not in fx_first or order_date < fx_first[currency])
    out = []
    for item in record["items"]:
        discount = Decimal(item.get("discount", 0))
        if item["quantity"] <= 0:
            reason = "invalid_quantity"
        elif Decimal(item["unit_price"]) < 0:
            reason = "invalid_price"
        elif not Decimal(0) <= discount <= Decimal(1):
            reason = "invalid_discount"
        elif item["product_id"] not in products:
            reason = "unknown_product"
        elif no_fx:
            reason = "missing_fx_rate"
        else:
            continue
        out.append((item["line_no"], reason))
    return out


def test_manifest_bad_records_are_exactly_the_bad_records(
    landed: tuple[Path, list[BatchManifest]],
) -> None:
    root, manifests = landed
    products: set[str] = set()
    fx_first: dict[str, dt.date] = {}
    for m in manifests:
        header, rows = _csv_rows(root, m, "products")
        products.update(r[0] for r in rows if len(r) == len(header))
        for rate_date, currency, _ in _csv_rows(root, m, "fx_rates")[1]:
            day = dt.date.fromisoformat(rate_date)
            fx_first[currency] = min(day, fx_first.get(currency, day))
    derived: set[tuple[str, int, int | None, str]] = set()
    for m in manifests:
        for f in m.files:
            lines = (root / f.key).read_text().splitlines()
            if f.feed == "orders":
                for n, text in enumerate(lines, start=1):
                    try:
                        record = json.loads(text)
                    except ValueError:
                        record = None
                    for line_no, reason in _reasons_of(record, fx_first, products):
                        derived.add((f.key, n, line_no, reason))
            elif f.feed in ("customers", "products"):
                width = len(lines[0].split(","))
                for n, row in enumerate(csv.reader(lines), start=1):
                    if len(row) != width:
                        derived.add((f.key, n, None, "unparseable"))
    claimed = [(b.key, b.line, b.line_no, b.reason) for m in manifests for b in m.bad_records]
    assert len(claimed) == len(set(claimed))
    assert set(claimed) == derived
    reasons = {r for *_, r in claimed}
    assert reasons == {
        "unparseable", "missing_order_id", "missing_customer_id", "missing_store_id",
        "missing_order_ts", "invalid_quantity", "invalid_price", "invalid_discount",
        "unknown_product", "missing_fx_rate",
    }  # fmt: skip


def test_zero_rates_switch_dirt_off(tmp_path: Path) -> None:
    clean = DirtRates(**dict.fromkeys(DirtRates.model_fields, 0.0))
    manifests = generate_sales(
        DirectorySink(tmp_path), GeneratorConfig(days=3, scale=0.03, dirt=clean)
    )
    assert all(m.bad_records == [] and m.duplicates == [] for m in manifests)
    assert all(set(m.dirt_counts.values()) == {0} for m in manifests)
    for m in manifests:
        key = next(f.key for f in m.files if f.feed == "orders")
        for text in (tmp_path / key).read_text().splitlines():
            record = json.loads(text)
            assert record["currency"] == "USD" and isinstance(record["order_ts"], str)
