"""The source feeds' schemas (DATASET.md section 1): defined once, here.

The generator writes these headers, the shared rules (``goldmine.rules``) cast these
columns to these types, and the lake's raw tables list them as strings; the
quarantine reasons of DATASET.md section 2 are the manifest's and the rules' alike.
"""

from __future__ import annotations

from typing import Literal, get_args

Feed = Literal["orders", "customers", "products", "stores", "fx_rates"]

#: Every quarantine reason of DATASET.md section 2, in precedence order.
Reason = Literal[
    "unparseable",
    "missing_order_id",
    "missing_customer_id",
    "missing_store_id",
    "missing_order_ts",
    "invalid_quantity",
    "invalid_price",
    "invalid_discount",
    "unknown_product",
    "missing_fx_rate",
]
REASONS: tuple[str, ...] = get_args(Reason)

#: Columns of each CSV feed, in file order, with the Spark type the rules cast them to.
CSV_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": (
        ("customer_id", "string"), ("email", "string"), ("first_name", "string"),
        ("last_name", "string"), ("country", "string"), ("city", "string"),
        ("segment", "string"), ("updated_at", "timestamp"),
    ),
    "products": (
        ("product_id", "string"), ("sku", "string"), ("name", "string"),
        ("category", "string"), ("subcategory", "string"), ("list_price", "decimal(10,2)"),
        ("currency", "string"), ("active", "boolean"), ("updated_at", "timestamp"),
    ),
    "fx_rates": (
        ("rate_date", "date"), ("currency", "string"), ("usd_per_unit", "decimal(18,6)"),
    ),
    "stores": (
        ("store_id", "string"), ("name", "string"), ("channel", "string"),
        ("region", "string"), ("country", "string"), ("opened_on", "date"),
    ),
}  # fmt: skip


def csv_header(feed: str) -> tuple[str, ...]:
    """Return the header of a CSV feed's files.

    Examples
    --------
    >>> csv_header("fx_rates")
    ('rate_date', 'currency', 'usd_per_unit')
    """
    return tuple(name for name, _ in CSV_COLUMNS[feed])
