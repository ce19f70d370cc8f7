"""Configuration of the sales source generator: size, seed, dates and dirt rates."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

#: Order lines per business day at scale 1.
LINES_PER_DAY_AT_SCALE_1 = 10_000
#: Default first ingest date (a Monday).
DEFAULT_START_DATE = dt.date(2025, 1, 6)


class DirtRates(BaseModel):
    """How often each dirt kind of DATASET.md section 2 is injected.

    Every rate is a fraction in ``0..1``. A positive rate always yields at least
    one instance per batch where the kind applies (so a small run still shows
    every kind); a rate of ``0`` switches the kind off.

    Attributes
    ----------
    d1_duplicate
        Share of order lines that repeat an earlier line byte for byte (half of
        them within the batch, half from an earlier batch).
    d2_update
        Share of order lines that are a later status record of an earlier order.
    d2_out_of_order
        Share of new orders whose ``shipped`` record lands before their ``placed``
        record (a later line of the batch, or the next batch).
    d3_late
        Share of new orders whose ``order_ts`` lies 1 to 5 days before the ingest date.
    d4_unparseable
        Share of order lines that are not valid JSON, and of customers/products
        CSV rows with a wrong field count.
    d5_missing
        Share of new orders lacking one of ``order_id``, ``customer_id``,
        ``store_id``, ``order_ts``.
    d6_invalid_item
        Share of items with ``quantity <= 0``, ``unit_price < 0`` or a discount
        outside ``0..1``.
    d7_unknown_product
        Share of items whose ``product_id`` is in no products batch.
    d8_unknown_customer
        Share of new orders for a customer that arrives only in a later customers
        batch, or never.
    d9_epoch_ts
        Share of orders whose ``order_ts`` is epoch milliseconds (a JSON number).
    d10_foreign_currency
        Share of orders in EUR or GBP.
    d10_fx_gap
        Chance that a day's rate of a currency is missing from the fx feed.
    d11_messy_email
        Share of customer rows whose email has capitals or surrounding spaces.
    d12_customer_change
        Share of existing customers whose city or segment changes per day.
    d13_promo
        Share of new orders carrying ``promo_code`` from ``promo_from_day`` on.
    d14_extra_column
        Chance that a customers or products CSV file has an unknown extra column.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    d1_duplicate: float = Field(0.01, ge=0, le=1)
    d2_update: float = Field(0.20, ge=0, le=1)
    d2_out_of_order: float = Field(0.002, ge=0, le=1)
    d3_late: float = Field(0.05, ge=0, le=1)
    d4_unparseable: float = Field(0.002, ge=0, le=1)
    d5_missing: float = Field(0.004, ge=0, le=1)
    d6_invalid_item: float = Field(0.003, ge=0, le=1)
    d7_unknown_product: float = Field(0.002, ge=0, le=1)
    d8_unknown_customer: float = Field(0.01, ge=0, le=1)
    d9_epoch_ts: float = Field(0.05, ge=0, le=1)
    d10_foreign_currency: float = Field(0.30, ge=0, le=1)
    d10_fx_gap: float = Field(0.15, ge=0, le=1)
    d11_messy_email: float = Field(0.10, ge=0, le=1)
    d12_customer_change: float = Field(0.02, ge=0, le=1)
    d13_promo: float = Field(0.25, ge=0, le=1)
    d14_extra_column: float = Field(0.10, ge=0, le=1)


class GeneratorConfig(BaseModel):
    """What to generate: how many batches, how big, from which seed.

    Attributes
    ----------
    days
        Number of business-day batches (one per consecutive ingest date).
    scale
        Size factor: about ``10_000 * scale`` order lines per batch (e.g. ``0.05``
        for a tiny test, ``100`` for a million lines a day).
    seed
        Random seed; the same seed, scale, days and start date give identical bytes.
    start_date
        Ingest date of the first batch.
    promo_from_day
        1-based batch number from which orders may carry ``promo_code`` (D13).
    dirt
        Rates of the dirt kinds.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    days: int = Field(7, ge=1, le=3660)
    scale: float = Field(1.0, gt=0, le=10_000)
    seed: int = 42
    start_date: dt.date = DEFAULT_START_DATE
    promo_from_day: int = Field(4, ge=1)
    dirt: DirtRates = Field(default_factory=DirtRates)

    @property
    def lines_per_day(self) -> int:
        """Target number of order lines per batch."""
        return max(1, round(LINES_PER_DAY_AT_SCALE_1 * self.scale))

    def ingest_date(self, day: int) -> dt.date:
        """Return the ingest date of the 0-based batch ``day``."""
        return self.start_date + dt.timedelta(days=day)
