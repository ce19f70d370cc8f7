"""Read the landing area exactly as DATASET.md section 1 lays it out (test oracle, part 1).

Independent of the builds and of ``goldmine.rules``: only the documented key layout is
used. Files that do not follow the layout (``_manifests/...`` among them) are ignored.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FEEDS: tuple[str, ...] = ("orders", "customers", "products", "stores", "fx_rates")

_DATE = r"(?P<ingest_date>\d{4}-\d{2}-\d{2})"
_BATCH = r"(?P<batch_id>[^/]+)"
#: Key layout per feed (DATASET.md section 1), anchored on the whole key.
LAYOUT: dict[str, re.Pattern[str]] = {
    "orders": re.compile(rf"sales/orders/ingest_date={_DATE}/orders-{_BATCH}\.jsonl"),
    "customers": re.compile(rf"crm/customers/ingest_date={_DATE}/customers-{_BATCH}\.csv"),
    "products": re.compile(rf"catalog/products/ingest_date={_DATE}/products-{_BATCH}\.csv"),
    "stores": re.compile(r"stores/stores\.csv"),
    "fx_rates": re.compile(rf"finance/fx_rates/ingest_date={_DATE}/fx-{_BATCH}\.csv"),
}
#: Listing prefixes of the feeds in the landing bucket.
PREFIXES: tuple[str, ...] = (
    "sales/orders/",
    "crm/customers/",
    "catalog/products/",
    "stores/",
    "finance/fx_rates/",
)


@dataclass(frozen=True)
class LandingFile:
    """One landed file: its key, feed, batch and text.

    ``batch_id`` and ``ingest_date`` are ``None`` for ``stores/stores.csv`` (no batch in
    its key).
    """

    key: str
    feed: str
    batch_id: str | None
    ingest_date: dt.date | None
    text: str

    @property
    def sort_key(self) -> tuple[dt.date, str]:
        """Landing order: ingest date, then key (the stores list first)."""
        return (self.ingest_date or dt.date.min, self.key)


def classify(key: str, data: bytes) -> LandingFile | None:
    """Return the :class:`LandingFile` of ``key``, or ``None`` when it is not a feed file."""
    for feed, pattern in LAYOUT.items():
        match = pattern.fullmatch(key)
        if match is None:
            continue
        groups = match.groupdict()
        ingest = groups.get("ingest_date")
        return LandingFile(
            key=key,
            feed=feed,
            batch_id=groups.get("batch_id"),
            ingest_date=dt.date.fromisoformat(ingest) if ingest else None,
            text=data.decode("utf-8-sig"),
        )
    return None


def landing_from(items: Iterable[tuple[str, bytes]]) -> list[LandingFile]:
    """Return the feed files among ``(key, bytes)`` pairs, in landing order."""
    files = [f for key, data in items if (f := classify(key, data)) is not None]
    return sorted(files, key=lambda f: f.sort_key)


def read_landing_dir(path: Path | str) -> list[LandingFile]:
    """Read every feed file under a local directory standing in for the landing bucket."""
    root = Path(path)
    pairs = (
        (p.relative_to(root).as_posix(), p.read_bytes()) for p in root.rglob("*") if p.is_file()
    )
    return landing_from(pairs)


def read_landing(s3_client: Any, bucket: str) -> list[LandingFile]:
    """Read every feed file of the landing bucket through an injected boto3 S3 client."""
    keys: list[str] = []
    paginator = s3_client.get_paginator("list_objects_v2")
    for prefix in PREFIXES:
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
    pairs = (
        (key, s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
        for key in keys
        if any(p.fullmatch(key) for p in LAYOUT.values())
    )
    return landing_from(pairs)
