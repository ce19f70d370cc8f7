"""Where each feed lands and where its raw copy lives (DATASET.md section 1)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

#: The ``/ingest_date=YYYY-MM-DD/`` part of a landing key, a raw key or a raw URI (the
#: date is group 1); a Java regex too (``regexp_extract`` in the build).
INGEST_DATE_PART = r"/ingest_date=(\d{4}-\d{2}-\d{2})/"
_INGEST_DATE = re.compile(INGEST_DATE_PART)

#: Landing key of the stores feed: one full file, no ingest date in its path.
STORES_LANDING_KEY = "stores/stores.csv"


@dataclass(frozen=True)
class Feed:
    """A source feed: its landing prefix and its file format."""

    name: str
    landing_prefix: str
    file_format: str

    def landing_partition(self, ingest_date: dt.date) -> str:
        """Return the landing prefix of ``ingest_date``'s files of this feed."""
        return f"{self.landing_prefix}ingest_date={ingest_date.isoformat()}/"

    def raw_key(self, ingest_date: dt.date, file_name: str) -> str:
        """Return the raw key of a landed file: ``<feed>/ingest_date=D/<file>``."""
        return f"{self.name}/ingest_date={ingest_date.isoformat()}/{file_name}"


FEEDS: dict[str, Feed] = {
    "orders": Feed("orders", "sales/orders/", "json"),
    "customers": Feed("customers", "crm/customers/", "csv"),
    "products": Feed("products", "catalog/products/", "csv"),
    "fx_rates": Feed("fx_rates", "finance/fx_rates/", "csv"),
    "stores": Feed("stores", "stores/", "csv"),
}


def ingest_date_of(key: str) -> dt.date | None:
    """Return the ``ingest_date=`` of a key or URI, ``None`` when it has none.

    >>> ingest_date_of("orders/ingest_date=2025-01-06/orders-20250106.jsonl")
    datetime.date(2025, 1, 6)
    """
    match = _INGEST_DATE.search("/" + key)
    return dt.date.fromisoformat(match.group(1)) if match else None
