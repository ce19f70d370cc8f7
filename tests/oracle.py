"""An independent recomputation of gold straight from the landing files (the test oracle).

Every build (lake, lakehouse, mesh) proves its gold tables equal this recomputation to
the cent. It re-implements DATASET.md sections 2-4 in plain Python with
:class:`decimal.Decimal` (exact arithmetic; half-up rounding only at gold) and imports
nothing from the builds or from ``goldmine.rules``: the point is independence.

Usage::

    expected = recompute(read_landing(s3_client, bucket))   # or read_landing_dir(path)
    assert_frames_equal(actual_daily_sales, expected.daily_sales, DAILY_SALES_KEYS)

Policies where DATASET.md is silent (the generator never produces these cases):

- a JSON line that is valid JSON but not an object, whose ``items`` is not a list of
  objects, whose ids are not strings, or whose ``updated_at`` (required to order
  versions) or present ``order_ts`` cannot be read as a timestamp is ``unparseable``;
  a CSV row with the right field count but an unreadable ``updated_at``,
  ``rate_date`` or ``usd_per_unit`` likewise; naive timestamps are taken as UTC;
- a required order field that is absent, ``null`` or ``""`` is missing (D5);
- an item's ``discount`` that is absent or ``null`` is 0; a ``quantity`` that is not
  an integer is ``invalid_quantity``, a ``unit_price`` or ``discount`` that is not a
  number is ``invalid_price`` / ``invalid_discount``;
- D1 compares ``order_id`` and the ``updated_at`` instant; only accepted records can
  be duplicated (a repeat of a quarantined record is quarantined again); the first in
  landing order (ingest date, key, line) is kept;
- an fx rate given twice for one date and currency: the last landed wins; a customer or
  product version tie on ``updated_at``: the last landed wins;
- records read counts physical lines (a CSV header excluded); an order record with
  faulty items is accepted (only its items are quarantined), so reconciliation
  ``read = accepted + quarantined + duplicates`` is per record and
  ``quarantined_items`` counts the item-level quarantine rows separately.
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import decimal
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from tests.oracle_compare import assert_frames_equal
from tests.oracle_landing import LandingFile, read_landing, read_landing_dir

__all__ = [
    "CUSTOMER_LIFETIME_COLUMNS",
    "CUSTOMER_LIFETIME_KEYS",
    "DAILY_SALES_COLUMNS",
    "DAILY_SALES_KEYS",
    "DUPLICATES_COLUMNS",
    "GOLD",
    "ORDERS_COLUMNS",
    "ORDER_LINES_COLUMNS",
    "PRODUCT_MONTHLY_COLUMNS",
    "PRODUCT_MONTHLY_KEYS",
    "QUARANTINE_COLUMNS",
    "RECONCILIATION_COLUMNS",
    "Expected",
    "LandingFile",
    "assert_frames_equal",
    "expected_from_dir",
    "expected_from_s3",
    "read_landing",
    "read_landing_dir",
    "recompute",
]

DAILY_SALES_KEYS = ["order_date", "store_id", "category"]
DAILY_SALES_COLUMNS = [*DAILY_SALES_KEYS, "orders", "units", "revenue_usd", "avg_order_value_usd"]
CUSTOMER_LIFETIME_KEYS = ["customer_id"]
CUSTOMER_LIFETIME_COLUMNS = [
    *CUSTOMER_LIFETIME_KEYS,
    "first_order_date",
    "last_order_date",
    "orders",
    "revenue_usd",
    "segment",
    "country",
]
PRODUCT_MONTHLY_KEYS = ["month", "product_id"]
PRODUCT_MONTHLY_COLUMNS = [
    *PRODUCT_MONTHLY_KEYS,
    "units",
    "revenue_usd",
    "returned_units",
    "return_rate",
]
#: The gold tables of DATASET.md section 4: their columns and their keys.
GOLD = {
    "daily_sales": (DAILY_SALES_COLUMNS, DAILY_SALES_KEYS),
    "customer_lifetime": (CUSTOMER_LIFETIME_COLUMNS, CUSTOMER_LIFETIME_KEYS),
    "product_monthly": (PRODUCT_MONTHLY_COLUMNS, PRODUCT_MONTHLY_KEYS),
}
QUARANTINE_COLUMNS = ["feed", "batch_id", "key", "line", "order_id", "line_no", "reason", "raw"]
RECONCILIATION_COLUMNS = [
    "feed",
    "batch_id",
    "key",
    "read",
    "accepted",
    "quarantined",
    "duplicates",
    "quarantined_items",
]
DUPLICATES_COLUMNS = [
    "batch_id",
    "key",
    "line",
    "order_id",
    "updated_at",
    "original_key",
    "original_line",
]
ORDERS_COLUMNS = [
    "order_id",
    "customer_id",
    "store_id",
    "order_ts",
    "order_date",
    "status",
    "currency",
    "updated_at",
    "promo_code",
    "valid_lines",
    "revenue_counting",
]
ORDER_LINES_COLUMNS = [
    "order_id",
    "line_no",
    "order_date",
    "store_id",
    "customer_id",
    "status",
    "product_id",
    "category",
    "quantity",
    "unit_price",
    "discount",
    "currency",
    "usd_per_unit",
    "amount_usd",
]

REQUIRED_ORDER_FIELDS = ("order_id", "customer_id", "store_id", "order_ts")
REVENUE_STATUSES = frozenset({"placed", "shipped", "delivered"})
PRODUCT_STATUSES = REVENUE_STATUSES | {"returned"}
CSV_REQUIRED: dict[str, tuple[str, ...]] = {
    "customers": ("customer_id", "country", "segment", "updated_at"),
    "products": ("product_id", "category", "updated_at"),
    "stores": ("store_id",),
    "fx_rates": ("rate_date", "currency", "usd_per_unit"),
}
CENT = Decimal("0.01")
BASIS_POINT = Decimal("0.0001")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
#: Exact arithmetic: any inexact sum or product raises instead of rounding silently.
_EXACT = decimal.Context(prec=200, traps=[decimal.Inexact, decimal.InvalidOperation])
_DIVIDE = decimal.Context(prec=60)


class _UnparseableError(Exception):
    """A record that cannot be read (reason ``unparseable``)."""


@dataclass
class Expected:
    """What the builds must produce from the landing files.

    Attributes
    ----------
    daily_sales, customer_lifetime, product_monthly
        The gold tables of DATASET.md section 4, sorted by their keys.
    quarantine
        One row per quarantined record or item (``QUARANTINE_COLUMNS``).
    reconciliation
        One row per landed file (= per batch and feed) (``RECONCILIATION_COLUMNS``).
    duplicates
        One row per order record dropped as a duplicate (D1), with the kept original
        (``DUPLICATES_COLUMNS``).
    orders
        The current version of every order (``ORDERS_COLUMNS``).
    order_lines
        The valid lines of every order's current version, any status, exact USD
        ``amount_usd`` (``ORDER_LINES_COLUMNS``).
    """

    daily_sales: pd.DataFrame
    customer_lifetime: pd.DataFrame
    product_monthly: pd.DataFrame
    quarantine: pd.DataFrame
    reconciliation: pd.DataFrame
    duplicates: pd.DataFrame
    orders: pd.DataFrame
    order_lines: pd.DataFrame


@dataclass
class _Version:
    """A dimension record version (customer or product)."""

    updated_at: dt.datetime
    order: int
    values: dict[str, str | None]


@dataclass
class _Order:
    order_id: str
    customer_id: str
    store_id: str
    order_ts: dt.datetime
    status: Any
    currency: Any
    updated_at: dt.datetime
    promo_code: Any
    items: list[dict[str, Any]]
    key: str
    line: int

    @property
    def order_date(self) -> dt.date:
        return self.order_ts.date()


@dataclass
class _Recon:
    feed: str
    batch_id: str | None
    key: str
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    duplicates: int = 0
    quarantined_items: int = 0


@dataclass
class _State:
    quarantine: list[dict[str, Any]] = field(default_factory=list)
    recon: list[_Recon] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)

    def reject(
        self,
        recon: _Recon,
        file: LandingFile,
        line: int,
        reason: str,
        raw: str,
        order_id: str | None = None,
        line_no: Any = None,
        *,
        item: bool = False,
    ) -> None:
        self.quarantine.append(
            {
                "feed": file.feed,
                "batch_id": file.batch_id,
                "key": file.key,
                "line": line,
                "order_id": order_id,
                "line_no": line_no,
                "reason": reason,
                "raw": raw,
            }
        )
        if item:
            recon.quarantined_items += 1
        else:
            recon.quarantined += 1


# --- parsing --------------------------------------------------------------------------------


def _physical_lines(text: str) -> list[str]:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _csv_records(text: str) -> Iterator[tuple[int, list[str], str]]:
    """Yield ``(first physical line, fields, raw text)`` per CSV record (header included)."""
    lines = _physical_lines(text)
    reader = csv.reader(iter(lines))
    end = 0
    for fields in reader:
        start = end + 1
        end = reader.line_num
        yield start, fields, "\n".join(lines[start - 1 : end])


def _timestamp(value: Any) -> dt.datetime:
    """Read ISO-8601 text (offset optional, UTC if naive) or epoch milliseconds (D9)."""
    if isinstance(value, bool):
        raise _UnparseableError
    if isinstance(value, int | Decimal):
        millis = Decimal(value)
        if not millis.is_finite():
            raise _UnparseableError
        return _EPOCH + dt.timedelta(microseconds=int(millis * 1000))
    if not isinstance(value, str):
        raise _UnparseableError
    try:
        parsed = dt.datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise _UnparseableError from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    number = Decimal(value)
    return number if number.is_finite() else None


def _read_csv(
    file: LandingFile, state: _State
) -> tuple[_Recon, list[tuple[int, dict[str, str], str]]]:
    """Split a CSV file into accepted rows (as dicts) and ``unparseable`` rows (D4, D14)."""
    recon = _Recon(file.feed, file.batch_id, file.key)
    state.recon.append(recon)
    records = _csv_records(file.text)
    header_record = next(records, None)
    if header_record is None:
        return recon, []
    header = header_record[1]
    missing = [c for c in CSV_REQUIRED[file.feed] if c not in header]
    if missing:
        raise ValueError(f"{file.key}: header lacks {missing}")
    rows: list[tuple[int, dict[str, str], str]] = []
    for line, fields, raw in records:
        recon.read += 1
        if len(fields) != len(header):
            state.reject(recon, file, line, "unparseable", raw)
            continue
        rows.append((line, dict(zip(header, fields, strict=True)), raw))
    return recon, rows


# --- dimensions -----------------------------------------------------------------------------


def _read_versions(
    files: list[LandingFile], feed: str, id_column: str, columns: tuple[str, ...], state: _State
) -> dict[str, _Version]:
    """Return the current version per id (newest ``updated_at``; D12, section 3)."""
    current: dict[str, _Version] = {}
    counter = 0
    for file in files:
        if file.feed != feed:
            continue
        recon, rows = _read_csv(file, state)
        for line, row, raw in rows:
            try:
                updated_at = _timestamp(row["updated_at"])
            except _UnparseableError:
                state.reject(recon, file, line, "unparseable", raw)
                continue
            recon.accepted += 1
            counter += 1
            values = {c: (row[c] if row[c] != "" else None) for c in columns}
            version = _Version(updated_at, counter, values)
            old = current.get(row[id_column])
            if old is None or (version.updated_at, version.order) > (old.updated_at, old.order):
                current[row[id_column]] = version
    return current


def _read_stores(files: list[LandingFile], state: _State) -> None:
    for file in files:
        if file.feed == "stores":
            recon, rows = _read_csv(file, state)
            recon.accepted += len(rows)


def _read_fx(files: list[LandingFile], state: _State) -> dict[str, list[tuple[dt.date, Decimal]]]:
    """Return per currency the sorted ``(rate_date, usd_per_unit)`` list (D10)."""
    rates: dict[tuple[str, dt.date], Decimal] = {}
    for file in files:
        if file.feed != "fx_rates":
            continue
        recon, rows = _read_csv(file, state)
        for line, row, raw in rows:
            try:
                rate_date = dt.date.fromisoformat(row["rate_date"].strip())
                rate = Decimal(row["usd_per_unit"])
                if not rate.is_finite():
                    raise ValueError(row["usd_per_unit"])
            except (ValueError, decimal.InvalidOperation):
                state.reject(recon, file, line, "unparseable", raw)
                continue
            recon.accepted += 1
            rates[(row["currency"].strip(), rate_date)] = rate
    by_currency: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for (currency, rate_date), rate in sorted(rates.items()):
        by_currency[currency].append((rate_date, rate))
    return dict(by_currency)


def _fx_rate(
    rates: dict[str, list[tuple[dt.date, Decimal]]], currency: Any, day: dt.date
) -> Decimal | None:
    """Rate of ``day``, else the latest earlier one, else ``None``; USD is exactly 1 (D10)."""
    if currency == "USD":
        return Decimal(1)
    series = rates.get(currency) if isinstance(currency, str) else None
    if not series:
        return None
    index = bisect.bisect_right(series, day, key=lambda pair: pair[0])
    return series[index - 1][1] if index else None


# --- orders ---------------------------------------------------------------------------------


def _parse_order(text: str) -> tuple[str | None, _Order | None, str | None]:
    """Return ``(reason, order, order_id)``: a record-level reason (D4, D5) or the order."""
    try:
        obj = json.loads(text, parse_float=Decimal)
    except ValueError:
        return "unparseable", None, None
    if not isinstance(obj, dict):
        return "unparseable", None, None
    raw_id = obj.get("order_id")
    order_id = raw_id if isinstance(raw_id, str) and raw_id != "" else None
    try:
        items = obj.get("items")
        items = [] if items is None else items
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise _UnparseableError
        for name in ("order_id", "customer_id", "store_id"):
            if obj.get(name) not in (None, "") and not isinstance(obj[name], str):
                raise _UnparseableError
        updated_at = _timestamp(obj.get("updated_at"))
        ts = obj.get("order_ts")
        order_ts = None if ts in (None, "") else _timestamp(ts)
    except _UnparseableError:
        return "unparseable", None, order_id
    for name in REQUIRED_ORDER_FIELDS:
        if obj.get(name) in (None, ""):
            return f"missing_{name}", None, order_id
    assert order_ts is not None and order_id is not None
    order = _Order(
        order_id=order_id,
        customer_id=obj["customer_id"],
        store_id=obj["store_id"],
        order_ts=order_ts,
        status=obj.get("status"),
        currency=obj.get("currency"),
        updated_at=updated_at,
        promo_code=obj.get("promo_code"),
        items=items,
        key="",
        line=0,
    )
    return None, order, order_id


@dataclass
class _Line:
    """An item judged against D6, D7 and D10."""

    line_no: Any
    reason: str | None
    product_id: Any = None
    quantity: int = 0
    unit_price: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    usd_per_unit: Decimal | None = None


def _judge_item(
    item: dict[str, Any],
    order: _Order,
    products: dict[str, _Version],
    rates: dict[str, list[tuple[dt.date, Decimal]]],
) -> _Line:
    """Return the item with its reason by precedence (D6 > D7 > D10), ``None`` if valid."""
    line_no = item.get("line_no")
    quantity = _number(item.get("quantity"))
    if quantity is None or quantity != quantity.to_integral_value() or quantity <= 0:
        return _Line(line_no, "invalid_quantity")
    price = _number(item.get("unit_price"))
    if price is None or price < 0:
        return _Line(line_no, "invalid_price")
    raw_discount = item.get("discount")
    discount = Decimal(0) if raw_discount is None else _number(raw_discount)
    if discount is None or not Decimal(0) <= discount <= Decimal(1):
        return _Line(line_no, "invalid_discount")
    product_id = item.get("product_id")
    if not isinstance(product_id, str) or product_id not in products:
        return _Line(line_no, "unknown_product")
    rate = _fx_rate(rates, order.currency, order.order_date)
    if rate is None:
        return _Line(line_no, "missing_fx_rate")
    return _Line(line_no, None, product_id, int(quantity), price, discount, rate)


def _read_orders(
    files: list[LandingFile],
    products: dict[str, _Version],
    rates: dict[str, list[tuple[dt.date, Decimal]]],
    state: _State,
) -> dict[str, tuple[_Order, list[_Line]]]:
    """Apply D1-D10 to every order record; return the current version per order."""
    seen: dict[tuple[str, dt.datetime], tuple[str, int]] = {}
    current: dict[str, tuple[_Order, list[_Line]]] = {}
    for file in files:
        if file.feed != "orders":
            continue
        recon = _Recon(file.feed, file.batch_id, file.key)
        state.recon.append(recon)
        for line, text in enumerate(_physical_lines(file.text), start=1):
            recon.read += 1
            reason, order, order_id = _parse_order(text)
            if reason is not None or order is None:
                state.reject(recon, file, line, reason or "unparseable", text, order_id)
                continue
            identity = (order.order_id, order.updated_at)
            if identity in seen:  # D1: keep one, not an error
                recon.duplicates += 1
                original_key, original_line = seen[identity]
                state.duplicates.append(
                    {
                        "batch_id": file.batch_id,
                        "key": file.key,
                        "line": line,
                        "order_id": order.order_id,
                        "updated_at": order.updated_at,
                        "original_key": original_key,
                        "original_line": original_line,
                    }
                )
                continue
            seen[identity] = (file.key, line)
            recon.accepted += 1
            order.key, order.line = file.key, line
            judged = [_judge_item(item, order, products, rates) for item in order.items]
            for bad in judged:
                if bad.reason is not None:
                    state.reject(
                        recon, file, line, bad.reason, text, order.order_id, bad.line_no, item=True
                    )
            old = current.get(order.order_id)
            if old is None or order.updated_at > old[0].updated_at:  # D2: newest wins
                current[order.order_id] = (order, judged)
    return current


# --- gold -----------------------------------------------------------------------------------


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _frame(rows: list[dict[str, Any]], columns: list[str], keys: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    if rows:
        frame = frame.sort_values(keys, kind="stable", ignore_index=True)
    for column in ("orders", "units", "returned_units", "quantity", "line", "read", "accepted"):
        if column in frame.columns and not frame.empty:
            frame[column] = frame[column].astype("int64")
    return frame


def _gold(
    current: dict[str, tuple[_Order, list[_Line]]],
    products: dict[str, _Version],
    customers: dict[str, _Version],
) -> dict[str, pd.DataFrame]:
    lines: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    with decimal.localcontext(_EXACT):
        for order, judged in current.values():
            valid = [item for item in judged if item.reason is None]
            counting = order.status in REVENUE_STATUSES and bool(valid)
            orders.append(
                {
                    "order_id": order.order_id,
                    "customer_id": order.customer_id,
                    "store_id": order.store_id,
                    "order_ts": order.order_ts,
                    "order_date": order.order_date,
                    "status": order.status,
                    "currency": order.currency,
                    "updated_at": order.updated_at,
                    "promo_code": order.promo_code,
                    "valid_lines": len(valid),
                    "revenue_counting": counting,
                }
            )
            for item in valid:
                assert item.usd_per_unit is not None
                amount = item.quantity * item.unit_price * (1 - item.discount) * item.usd_per_unit
                lines.append(
                    {
                        "order_id": order.order_id,
                        "line_no": item.line_no,
                        "order_date": order.order_date,
                        "store_id": order.store_id,
                        "customer_id": order.customer_id,
                        "status": order.status,
                        "product_id": item.product_id,
                        "category": products[item.product_id].values["category"],
                        "quantity": item.quantity,
                        "unit_price": item.unit_price,
                        "discount": item.discount,
                        "currency": order.currency,
                        "usd_per_unit": item.usd_per_unit,
                        "amount_usd": amount,
                        "_counting": counting,
                    }
                )
        daily: dict[tuple[Any, ...], dict[str, Any]] = {}
        lifetime: dict[str, dict[str, Any]] = {}
        monthly: dict[tuple[Any, ...], dict[str, Any]] = {}
        for line in lines:
            status = line["status"]
            if line["_counting"]:
                group = daily.setdefault(
                    (line["order_date"], line["store_id"], line["category"]),
                    {"orders": set(), "units": 0, "revenue": Decimal(0)},
                )
                group["orders"].add(line["order_id"])
                group["units"] += line["quantity"]
                group["revenue"] += line["amount_usd"]
                customer = lifetime.setdefault(
                    line["customer_id"],
                    {"dates": set(), "orders": set(), "revenue": Decimal(0)},
                )
                customer["dates"].add(line["order_date"])
                customer["orders"].add(line["order_id"])
                customer["revenue"] += line["amount_usd"]
            if status in PRODUCT_STATUSES:
                month = line["order_date"].replace(day=1)
                product = monthly.setdefault(
                    (month, line["product_id"]),
                    {"units": 0, "revenue": Decimal(0), "returned": 0},
                )
                if line["_counting"]:
                    product["units"] += line["quantity"]
                    product["revenue"] += line["amount_usd"]
                elif status == "returned":
                    product["returned"] += line["quantity"]
    daily_rows = [
        {
            "order_date": day,
            "store_id": store,
            "category": category,
            "orders": len(g["orders"]),
            "units": g["units"],
            "revenue_usd": _cents(g["revenue"]),
            "avg_order_value_usd": _cents(_DIVIDE.divide(g["revenue"], len(g["orders"]))),
        }
        for (day, store, category), g in daily.items()
    ]
    lifetime_rows = []
    for customer_id, c in lifetime.items():
        version = customers.get(customer_id)  # D8: inferred member -> null attributes
        lifetime_rows.append(
            {
                "customer_id": customer_id,
                "first_order_date": min(c["dates"]),
                "last_order_date": max(c["dates"]),
                "orders": len(c["orders"]),
                "revenue_usd": _cents(c["revenue"]),
                "segment": version.values["segment"] if version else None,
                "country": version.values["country"] if version else None,
            }
        )
    monthly_rows = [
        {
            "month": month,
            "product_id": product_id,
            "units": p["units"],
            "revenue_usd": _cents(p["revenue"]),
            "returned_units": p["returned"],
            "return_rate": _DIVIDE.divide(
                Decimal(p["returned"]), Decimal(p["units"] + p["returned"])
            ).quantize(BASIS_POINT, rounding=ROUND_HALF_UP),
        }
        for (month, product_id), p in monthly.items()
        if p["units"] + p["returned"] > 0
    ]
    for line in lines:
        del line["_counting"]
    return {
        "daily_sales": _frame(daily_rows, DAILY_SALES_COLUMNS, DAILY_SALES_KEYS),
        "customer_lifetime": _frame(
            lifetime_rows, CUSTOMER_LIFETIME_COLUMNS, CUSTOMER_LIFETIME_KEYS
        ),
        "product_monthly": _frame(monthly_rows, PRODUCT_MONTHLY_COLUMNS, PRODUCT_MONTHLY_KEYS),
        "orders": _frame(orders, ORDERS_COLUMNS, ["order_id"]),
        "order_lines": _frame(lines, ORDER_LINES_COLUMNS, ["order_id", "line_no"]),
    }


def recompute(files: list[LandingFile]) -> Expected:
    """Apply DATASET.md sections 2-4 to landed files; return gold, quarantine, reconciliation.

    Parameters
    ----------
    files
        From :func:`read_landing` or :func:`read_landing_dir` (any order).

    Returns
    -------
    Expected
        The gold tables, the quarantine and the per-file reconciliation.
    """
    files = sorted(files, key=lambda f: f.sort_key)
    state = _State()
    _read_stores(files, state)
    customers = _read_versions(
        files, "customers", "customer_id", ("country", "city", "segment"), state
    )
    products = _read_versions(files, "products", "product_id", ("category",), state)
    rates = _read_fx(files, state)
    current = _read_orders(files, products, rates, state)
    gold = _gold(current, products, customers)
    order = {f.key: i for i, f in enumerate(files)}
    quarantine = pd.DataFrame(state.quarantine, columns=QUARANTINE_COLUMNS, dtype=object)
    quarantine["line"] = quarantine["line"].astype("int64")
    duplicates = pd.DataFrame(state.duplicates, columns=DUPLICATES_COLUMNS)
    if not quarantine.empty:
        quarantine = quarantine.assign(_f=quarantine["key"].map(order))
        quarantine = quarantine.sort_values(["_f", "line"], kind="stable", ignore_index=True)
        quarantine = quarantine.drop(columns="_f")
    recon = pd.DataFrame([vars(r) for r in state.recon], columns=RECONCILIATION_COLUMNS)
    if not recon.empty:
        recon = recon.assign(_f=recon["key"].map(order))
        recon = recon.sort_values("_f", ignore_index=True).drop(columns="_f")
    return Expected(quarantine=quarantine, reconciliation=recon, duplicates=duplicates, **gold)


def expected_from_dir(path: Path | str) -> Expected:
    """Recompute from a local directory standing in for the landing bucket."""
    return recompute(read_landing_dir(path))


def expected_from_s3(s3_client: Any, bucket: str) -> Expected:
    """Recompute from the landing bucket through an injected boto3 S3 client."""
    return recompute(read_landing(s3_client, bucket))


def manifest_bad_reasons(manifests: list[Any]) -> dict[str, dict[str, int]]:
    """Count the generator manifests' bad orders per validation suite and reason.

    ``orders``: whole order records (D4, D5, ...); ``order_items``: rejected lines of an
    order (D6, D7, D10). The validation reports of the lake and the lakehouse must count
    at least these as unexpected values of their rules.
    """
    from collections import Counter

    records: Counter[str] = Counter()
    items: Counter[str] = Counter()
    for manifest in manifests:
        for bad in manifest.bad_records:
            if bad.line_no is not None:
                items[bad.reason] += 1
            elif bad.feed == "orders":
                records[bad.reason] += 1
    return {"orders": dict(records), "order_items": dict(items)}
