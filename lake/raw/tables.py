"""Raw zone tables: the landed files as they are, one Glue table per feed.

Grain: one row per landed line (CSV: per data row). Keys: none are enforced in raw;
``(ingest_date, "$path", line)`` identifies a record. Partitioned by ``ingest_date``
(the batch's business day) with partition projection, so Athena sees a new day as
soon as its files are in the raw bucket: no crawler, no ``MSCK REPAIR``.
Columns are strings (JSON timestamps included): raw keeps what the source sent, and
typing happens in the curated zone.
"""

from __future__ import annotations

from goldmine.catalog import TableSpec
from goldmine.sales import csv_header

#: First day partition projection enumerates (``NOW`` is the last).
PROJECTION_START = "2020-01-01"

_ITEM = "struct<line_no:int,product_id:string,quantity:int,unit_price:string,discount:string>"

#: Comments of the raw CSV columns (the generator's headers decide the columns).
_COMMENTS = {
    "rate_date": "YYYY-MM-DD",
    "currency": "ISO currency code",
    "usd_per_unit": "USD for one unit, up to 6 decimals",
}

RAW_COLUMNS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "orders": (
        ("order_id", "string", "order id (D5: may be missing)"),
        ("customer_id", "string", "customer id"),
        ("store_id", "string", "store id"),
        ("order_ts", "string", "ISO-8601 with offset or epoch milliseconds (D9)"),
        ("status", "string", "placed, shipped, delivered, returned, cancelled"),
        ("currency", "string", "USD, EUR or GBP"),
        ("updated_at", "string", "ISO-8601 time of this version (D2)"),
        ("items", f"array<{_ITEM}>", "order lines as sent"),
        ("promo_code", "string", "optional, from some day on (D13)"),
    ),
    **{
        feed: tuple((name, "string", _COMMENTS.get(name, "")) for name in csv_header(feed))
        for feed in ("customers", "products", "fx_rates", "stores")
    },
}


def projection_parameters(location: str) -> dict[str, str]:
    """Return the Athena partition-projection properties for ``ingest_date``."""
    return {
        "projection.enabled": "true",
        "projection.ingest_date.type": "date",
        "projection.ingest_date.range": f"{PROJECTION_START},NOW",
        "projection.ingest_date.format": "yyyy-MM-dd",
        "projection.ingest_date.interval": "1",
        "projection.ingest_date.interval.unit": "DAYS",
        "storage.location.template": f"{location}ingest_date=${{ingest_date}}/",
    }


def raw_table_specs(database: str, raw_bucket: str) -> list[TableSpec]:
    """Return the Glue specs of the raw tables (one per feed) in ``database``."""
    specs = []
    for feed, columns in RAW_COLUMNS.items():
        location = f"s3://{raw_bucket}/{feed}/"
        is_json = feed == "orders"
        parameters = {
            "compressionType": "none",
            "typeOfData": "file",
            **projection_parameters(location),
        }
        if not is_json:
            parameters["skip.header.line.count"] = "1"
        specs.append(
            TableSpec(
                database=database,
                name=feed,
                location=location,
                columns=columns,
                partition_keys=(("ingest_date", "string", "business day of the batch"),),
                table_format="json" if is_json else "csv",
                parameters=parameters,
                description=f"Raw {feed} as landed (byte-identical). Grain: one landed line.",
            )
        )
    return specs
