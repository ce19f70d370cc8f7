"""Parse and clean the CSV feeds: customers, products, stores, fx rates (D4, D11, D14)."""

from __future__ import annotations

import csv
import weakref
from typing import TYPE_CHECKING

from goldmine.rules._model import Feed, FeedResult
from goldmine.sales import CSV_COLUMNS
from goldmine.spark import empty_frame, union_by_name

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

#: Lineage columns every accepted CSV record keeps.
LINEAGE_COLUMNS: tuple[str, ...] = ("batch_id", "ingest_date", "source_file", "line_number")
#: Split on commas outside double quotes (RFC 4180 fields without embedded newlines).
_FIELD_SPLIT = r',(?=(?:[^"]*"[^"]*")*[^"]*$)'
#: The header line of every CSV file of a landed frame, by frame: the four CSV feeds
#: of one build read them with one Spark job instead of one each.
_HEADERS: weakref.WeakKeyDictionary[DataFrame, dict[str, dict[str, str]]] = (
    weakref.WeakKeyDictionary()
)


def clean_customers(landed: DataFrame) -> FeedResult:
    """Clean customer rows (D4, D11, D14).

    Returns
    -------
    FeedResult
        ``accepted``: one row per accepted customer record (a version; key
        ``customer_id, updated_at``); columns ``customer_id, email (trimmed,
        lower-cased), first_name, last_name, country, city, segment, updated_at
        (timestamp)`` + :data:`LINEAGE_COLUMNS`.
    """
    from pyspark.sql import functions as F

    result = _clean_csv(landed, "customers")
    accepted = result.accepted.withColumn("email", F.lower(F.trim(F.col("email"))))
    return FeedResult("customers", accepted, result.quarantine, result.duplicates, result.read)


def clean_products(landed: DataFrame) -> FeedResult:
    """Clean product rows (D4, D14).

    Returns
    -------
    FeedResult
        ``accepted``: one row per accepted product record (key ``product_id,
        updated_at``); columns ``product_id, sku, name, category, subcategory,
        list_price decimal(10,2), currency, active boolean, updated_at timestamp``
        + :data:`LINEAGE_COLUMNS`.
    """
    return _clean_csv(landed, "products")


def clean_stores(landed: DataFrame) -> FeedResult:
    """Clean store rows (D4, D14).

    Returns
    -------
    FeedResult
        ``accepted``: one row per store row (key ``store_id`` within a file);
        columns ``store_id, name, channel, region, country, opened_on date`` +
        :data:`LINEAGE_COLUMNS`.
    """
    return _clean_csv(landed, "stores")


def clean_fx_rates(landed: DataFrame) -> FeedResult:
    """Clean fx rate rows (D4).

    Returns
    -------
    FeedResult
        ``accepted``: one row per rate (key ``rate_date, currency``); columns
        ``rate_date date, currency, usd_per_unit decimal(18,6)`` +
        :data:`LINEAGE_COLUMNS`.
    """
    return _clean_csv(landed, "fx_rates")


def _csv_headers(landed: DataFrame) -> dict[str, dict[str, str]]:
    """Return ``{feed: {source_file: header line}}`` of every CSV feed in ``landed``.

    Collected once per landed frame (one Spark job for the four CSV feeds); a landed
    frame is immutable (its files are append-only), so the headers never change.
    """
    from pyspark.sql import functions as F

    if landed not in _HEADERS:
        firsts = landed.filter((F.col("line_number") == 1) & F.col("feed").isin(*CSV_COLUMNS))
        headers: dict[str, dict[str, str]] = {}
        for r in firsts.select("feed", "source_file", "raw").collect():
            headers.setdefault(r["feed"], {})[r["source_file"]] = r["raw"]
        _HEADERS[landed] = headers
    return _HEADERS[landed]


def _clean_csv(landed: DataFrame, feed: Feed) -> FeedResult:
    """Header per file decides the columns; wrong field count -> ``unparseable``.

    A header without every required column makes every row of its file
    ``unparseable`` (nothing is dropped silently; the batch goes on). Unknown
    extra columns are ignored (D14). Values that do not cast to their type are null.
    """
    from pyspark.sql import functions as F

    spark = landed.sparkSession
    rows = landed.filter(F.col("feed") == feed)
    headers = _csv_headers(landed).get(feed, {})
    groups: dict[tuple[str, ...], list[str]] = {}
    for source, text in headers.items():
        names = tuple(name.strip() for name in next(csv.reader([text]), []))
        groups.setdefault(names, []).append(source)
    data = rows.filter(F.col("line_number") > 1).withColumn(
        "_fields", F.split(F.col("raw"), _FIELD_SPLIT, -1)
    )
    required = CSV_COLUMNS[feed]
    accepted_parts: list[DataFrame] = []
    rejected_parts: list[DataFrame] = []
    for names, sources in sorted(groups.items()):
        part = data.filter(F.col("source_file").isin(sources))
        usable = all(name in names for name, _ in required)
        ok = (
            (F.size("_fields") == len(names)) & ~F.col("raw").contains("\ufffd")
            if usable
            else F.lit(False)
        )
        rejected_parts.append(part.filter(~ok))
        if usable:
            typed = [
                _typed(F.col("_fields")[names.index(name)], kind).alias(name)
                for name, kind in required
            ]
            accepted_parts.append(part.filter(ok).select(*typed, *LINEAGE_COLUMNS))
    schema = ", ".join(f"{name} {kind}" for name, kind in required)
    empty_accepted = empty_frame(
        spark, f"{schema}, batch_id string, ingest_date date, source_file string, line_number long"
    )
    accepted = union_by_name(accepted_parts, first=empty_accepted)
    empty_rejected = data.limit(0)
    rejected = union_by_name(rejected_parts, first=empty_rejected)
    quarantine = rejected.select(
        F.lit(feed).alias("feed"),
        "batch_id",
        "source_file",
        "line_number",
        F.lit(None).cast("string").alias("order_id"),
        F.lit(None).cast("int").alias("line_no"),
        F.lit("unparseable").alias("reason"),
        "raw",
    )
    # Rows of files whose header was never read (no line 1) cannot occur: line 1 exists
    # whenever line 2 does.
    duplicates = empty_frame(
        spark,
        "batch_id string, source_file string, line_number long, order_id string, "
        "updated_at timestamp",
    )
    read = (
        rows.filter(F.col("line_number") > 1)
        .groupBy("batch_id")
        .agg(F.count(F.lit(1)).alias("read"))
    )
    return FeedResult(feed, accepted, quarantine, duplicates, read)


def _typed(field: Column, kind: str) -> Column:
    from pyspark.sql import functions as F

    text = F.trim(F.regexp_replace(field, r'^\s*"(.*)"\s*$', "$1"))
    text = F.regexp_replace(text, '""', '"')
    value = F.when(text != "", text)
    if kind == "string":
        return value
    if kind == "timestamp":
        return F.to_timestamp(value)
    if kind == "date":
        return F.to_date(value)
    return value.cast(kind)
