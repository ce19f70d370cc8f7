"""The shared sales rules of DATASET.md sections 2-4, as pure PySpark transformations.

The lake, the lakehouse and the mesh call these functions so that all three produce
identical gold; only storage differs (ADR 0004). Typical wiring of one batch::

    landed = read_landed(spark, list_landed_files(s3, bucket, batch_id=b)).cache()  # ADR 0018
    orders = clean_orders(landed, known_orders=state_orders)    # D1 D3 D4 D5 D9 D13
    reconcile(orders)                                           # raises ReconciliationError
    lines, item_quarantine = validate_items(orders.items, all_products, all_fx)  # D6 D7 D10
    current = resolve_current_orders(all_orders)                # D2
    sales = select_current_lines(current, all_valid_lines)
    daily_sales(sales, resolve_current_products(all_products), order_dates=touched)
"""

from goldmine.rules._build_customer_scd2 import SCD2_COLUMNS, build_customer_scd2
from goldmine.rules._build_gold import (
    CUSTOMER_LIFETIME_COLUMNS,
    DAILY_SALES_COLUMNS,
    PRODUCT_MONTHLY_COLUMNS,
    REVENUE_STATUSES,
    customer_lifetime,
    daily_sales,
    product_monthly,
    round_money,
)
from goldmine.rules._check_encoding import NOT_UTF8_PREFIX, check_encoding, raw_bytes
from goldmine.rules._clean_dimensions import (
    clean_customers,
    clean_fx_rates,
    clean_products,
    clean_stores,
)
from goldmine.rules._clean_orders import (
    DUPLICATE_COLUMNS,
    ITEM_COLUMNS,
    ORDER_COLUMNS,
    ORDER_SCHEMA,
    clean_orders,
    parse_orders,
)
from goldmine.rules._keep_values import LISTED_VALUES_MAX, keep_any, keep_values
from goldmine.rules._model import (
    QUARANTINE_COLUMNS,
    BatchCounts,
    FeedResult,
    LandedFile,
    ObservedCounts,
    ReconciliationError,
)
from goldmine.rules._read_landed import (
    DRIVER_READ_MAX_BYTES,
    DRIVER_READS,
    LANDED_SCHEMA,
    LANDING_PREFIXES,
    list_landed_files,
    read_landed,
    read_lines,
)
from goldmine.rules._reconcile import (
    check_reconciliation,
    count_records,
    observe_batches,
    reconcile,
)
from goldmine.rules._resolve_current import resolve_current_orders, resolve_current_products
from goldmine.rules._validate_items import (
    AMOUNT_TYPE,
    LINE_COLUMNS,
    select_current_lines,
    validate_items,
)
from goldmine.sales import CSV_COLUMNS, REASONS, Feed  # the source's schemas, re-exported

__all__ = [
    "AMOUNT_TYPE",
    "CSV_COLUMNS",
    "CUSTOMER_LIFETIME_COLUMNS",
    "DAILY_SALES_COLUMNS",
    "DRIVER_READS",
    "DRIVER_READ_MAX_BYTES",
    "DUPLICATE_COLUMNS",
    "ITEM_COLUMNS",
    "LANDED_SCHEMA",
    "LANDING_PREFIXES",
    "LINE_COLUMNS",
    "LISTED_VALUES_MAX",
    "NOT_UTF8_PREFIX",
    "ORDER_COLUMNS",
    "ORDER_SCHEMA",
    "PRODUCT_MONTHLY_COLUMNS",
    "QUARANTINE_COLUMNS",
    "REASONS",
    "REVENUE_STATUSES",
    "SCD2_COLUMNS",
    "BatchCounts",
    "Feed",
    "FeedResult",
    "LandedFile",
    "ObservedCounts",
    "ReconciliationError",
    "build_customer_scd2",
    "check_encoding",
    "check_reconciliation",
    "clean_customers",
    "clean_fx_rates",
    "clean_orders",
    "clean_products",
    "clean_stores",
    "count_records",
    "customer_lifetime",
    "daily_sales",
    "keep_any",
    "keep_values",
    "list_landed_files",
    "observe_batches",
    "parse_orders",
    "product_monthly",
    "raw_bytes",
    "read_landed",
    "read_lines",
    "reconcile",
    "resolve_current_orders",
    "resolve_current_products",
    "round_money",
    "select_current_lines",
    "validate_items",
]
