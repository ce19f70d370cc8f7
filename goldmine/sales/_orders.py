"""Pure builders of order records, their JSON text and their expected quarantine reasons.

Reason precedence, when one record has several faults (DATASET.md section 2):

1. record level first: ``unparseable`` (D4), then the first missing field in the
   order ``missing_order_id`` > ``missing_customer_id`` > ``missing_store_id`` >
   ``missing_order_ts`` (D5). A record-level reason quarantines the whole record
   and no item reason is reported for it.
2. otherwise one reason per item, the first that applies in the order
   ``invalid_quantity`` > ``invalid_price`` > ``invalid_discount`` (D6) >
   ``unknown_product`` (D7) > ``missing_fx_rate`` (D10).

Reasons are reported per emitted record line: a later update of an order repeats
its items and therefore its item reasons, each against its own line.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Literal

from goldmine.sales._dimensions import UNKNOWN_PRODUCT_PREFIX
from goldmine.sales._manifest import Reason

Status = Literal["placed", "shipped", "delivered", "returned", "cancelled"]
RequiredField = Literal["order_id", "customer_id", "store_id", "order_ts"]
#: Record-level required fields, in reason precedence.
REQUIRED_FIELDS: tuple[RequiredField, ...] = ("order_id", "customer_id", "store_id", "order_ts")
_MISSING_REASON: dict[str, Reason] = {
    "order_id": "missing_order_id",
    "customer_id": "missing_customer_id",
    "store_id": "missing_store_id",
    "order_ts": "missing_order_ts",
}

_EPOCH_DATE = dt.date(1970, 1, 1)


@functools.lru_cache(maxsize=4096)
def _date_text(epoch_day: int) -> str:
    return (_EPOCH_DATE + dt.timedelta(days=epoch_day)).isoformat()


@functools.lru_cache(maxsize=64)
def _offset_text(offset_minutes: int) -> str:
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def iso_timestamp(epoch_seconds: int, offset_minutes: int = 0) -> str:
    """Return ISO-8601 text with offset for a UTC epoch (``2025-01-06T08:00:00+01:00``).

    Same text as ``datetime.isoformat`` for whole seconds, computed arithmetically
    (it runs for every record).
    """
    local = epoch_seconds + offset_minutes * 60
    day, seconds = divmod(local, 86_400)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{_date_text(day)}T{hours:02d}:{minutes:02d}:{secs:02d}{_offset_text(offset_minutes)}"


def format_cents(cents: int) -> str:
    """Return integer hundredths as exact decimal text (``-5`` -> ``-0.05``)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


@dataclass(frozen=True, slots=True)
class Item:
    """One order item; money in integer hundredths, ``discount`` ``None`` = omitted."""

    line_no: int
    product_id: str
    quantity: int
    unit_price_cents: int
    discount_hundredths: int | None = None

    def to_json(self) -> str:
        """Return the item as a JSON object with exact decimal numbers."""
        text = (
            f'{{"line_no":{self.line_no},"product_id":"{self.product_id}",'
            f'"quantity":{self.quantity},"unit_price":{format_cents(self.unit_price_cents)}'
        )
        if self.discount_hundredths is not None:
            text += f',"discount":{format_cents(self.discount_hundredths)}'
        return text + "}"

    def reason(self) -> Reason | None:
        """Return this item's own quarantine reason (fx aside), by precedence."""
        if self.quantity <= 0:
            return "invalid_quantity"
        if self.unit_price_cents < 0:
            return "invalid_price"
        d = self.discount_hundredths
        if d is not None and not 0 <= d <= 100:
            return "invalid_discount"
        if self.product_id.startswith(UNKNOWN_PRODUCT_PREFIX):
            return "unknown_product"
        return None


@dataclass(frozen=True, slots=True)
class Order:
    """One order record (a version of an order).

    ``order_ts`` is kept as UTC epoch seconds and rendered as ISO text with the
    store's offset, or as epoch milliseconds when ``ts_as_epoch_ms`` (D9).
    ``missing`` names a required field left out (``missing_as_null``: written as
    ``null`` instead of omitted) (D5).
    """

    order_id: str
    customer_id: str
    store_id: str
    order_ts: int
    ts_offset_minutes: int
    ts_as_epoch_ms: bool
    status: Status
    currency: str
    updated_at: int
    items: tuple[Item, ...]
    promo_code: str | None = None
    missing: RequiredField | None = None
    missing_as_null: bool = False

    @property
    def order_date(self) -> dt.date:
        """UTC date of ``order_ts``."""
        return dt.datetime.fromtimestamp(self.order_ts, dt.UTC).date()

    @property
    def updated_at_text(self) -> str:
        """``updated_at`` as written (ISO-8601, UTC)."""
        return iso_timestamp(self.updated_at)

    def to_json(self) -> str:
        """Return the order as one JSON line (no newline), fields in a fixed order."""
        if self.ts_as_epoch_ms:
            ts = str(self.order_ts * 1000)
        else:
            ts = f'"{iso_timestamp(self.order_ts, self.ts_offset_minutes)}"'
        # Ids, codes and timestamps are generated from [A-Za-z0-9:+-]: no JSON escaping needed.
        values: dict[str, str] = {
            "order_id": f'"{self.order_id}"',
            "customer_id": f'"{self.customer_id}"',
            "store_id": f'"{self.store_id}"',
            "order_ts": ts,
        }
        parts: list[str] = []
        for name in REQUIRED_FIELDS:
            if name == self.missing:
                if self.missing_as_null:
                    parts.append(f'"{name}":null')
                continue
            parts.append(f'"{name}":{values[name]}')
        parts.append(f'"status":"{self.status}"')
        parts.append(f'"currency":"{self.currency}"')
        parts.append(f'"updated_at":"{self.updated_at_text}"')
        if self.promo_code is not None:
            parts.append(f'"promo_code":"{self.promo_code}"')
        parts.append('"items":[' + ",".join(item.to_json() for item in self.items) + "]")
        return "{" + ",".join(parts) + "}"


def expected_reasons(
    order: Order, fx_first_dates: dict[str, dt.date | None]
) -> list[tuple[int | None, Reason]]:
    """Return the quarantine reasons of one order record, by precedence.

    Parameters
    ----------
    order
        The record as emitted.
    fx_first_dates
        Per non-USD currency, the earliest ``rate_date`` any fx batch carries
        (``None``: no rate ever). An order dated before it has no usable rate.

    Returns
    -------
    list of (line_no, reason)
        ``[(None, "missing_<field>")]`` for a record-level fault, else one entry
        per faulty item; empty for a clean record.
    """
    if order.missing is not None:
        return [(None, _MISSING_REASON[order.missing])]
    no_fx = False
    if order.currency != "USD":
        first = fx_first_dates.get(order.currency)
        no_fx = first is None or order.order_date < first
    reasons: list[tuple[int | None, Reason]] = []
    for item in order.items:
        reason: Reason | None = item.reason()
        if reason is None and no_fx:
            reason = "missing_fx_rate"
        if reason is not None:
            reasons.append((item.line_no, reason))
    return reasons


#: Status progression: from a status, the next statuses with weights.
NEXT_STATUS: dict[str, tuple[tuple[Status, float], ...]] = {
    "placed": (("shipped", 0.8), ("cancelled", 0.2)),
    "shipped": (("delivered", 1.0),),
    "delivered": (("returned", 1.0),),
}
