"""Item rules (D6, D7, D10) and USD line amounts in exact decimal."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from goldmine.rules._model import QUARANTINE_COLUMNS
from goldmine.validation import ITEM_RULES, passes_column, split

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Exact type of a line amount: decimal(10,0) * (10,2) * (3,2) * (12,6) = (38,10).
AMOUNT_TYPE = "decimal(38,10)"
RATE_TYPE = "decimal(12,6)"
LINE_COLUMNS: tuple[str, ...] = (
    "order_id", "updated_at", "line_no", "product_id", "quantity", "unit_price", "discount",
    "order_date", "currency", "usd_per_unit", "amount_usd", "batch_id", "source_file",
    "line_number",
)  # fmt: skip


def validate_items(
    items: DataFrame,
    products: DataFrame,
    fx_rates: DataFrame,
    orders: DataFrame | None = None,
    keep: Callable[[DataFrame], DataFrame] | None = None,
) -> tuple[DataFrame, DataFrame]:
    """Apply the item rules and price valid lines in USD, exactly.

    Precedence (one reason per item): ``invalid_quantity`` (quantity null or
    <= 0) > ``invalid_price`` (unit_price null, < 0 or more than 2 decimals) >
    ``invalid_discount`` (outside 0..1 or more than 2 decimals) >
    ``unknown_product`` (product_id in no products record at all, D7) >
    ``missing_fx_rate`` (D10: USD at exactly 1; otherwise the currency's rate of
    ``order_date``, else its latest earlier rate, else none). The rules are the
    declaration :data:`goldmine.validation.ITEM_RULES`.

    ``amount_usd = quantity * unit_price * (1 - discount) * usd_per_unit`` in
    exact decimal (decimal(38,10), never floating point); rounding happens only
    at gold.

    Parameters
    ----------
    items
        ``clean_orders(...).items`` of any set of records (one batch, or the items
        of current versions).
    products
        Every product record so far (any number of batches; only ``product_id``
        is used).
    fx_rates
        Every fx rate so far (``rate_date, currency, usd_per_unit``; when two
        records give the same date and currency, the last landed wins).
    orders
        The orders the items belong to (``currency``, ``order_date``; at least
        those of every item), when the caller keeps them cached: the currency and
        date pairs whose rate is looked up are taken from them. ``None``: from
        ``items``, which then reads the items once more for those pairs (the
        result is the same).
    keep
        Applied to the priced items before the split, when the caller reads both
        outputs (silver persists them: its quarantine and its order lines then read
        that copy instead of exploding and pricing every item twice). The copy keeps
        the order line (``raw``) of the items that break a rule only, so it stays
        about as small as the valid lines. ``None``: each output computes the items.

    Returns
    -------
    (valid_lines, quarantine)
        ``valid_lines``: one row per valid item; key ``order_id, updated_at,
        line_no``; columns :data:`LINE_COLUMNS` (``usd_per_unit``
        decimal(12,6), ``amount_usd`` decimal(38,10)). ``quarantine``: one row
        per rejected item, columns of :data:`goldmine.rules.QUARANTINE_COLUMNS`
        (``feed`` = ``orders``, ``raw`` = the order line).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    known = products.select("product_id").distinct().withColumn("_product_known", F.lit(True))
    pairs = (
        (items if orders is None else orders)
        .filter(F.col("currency") != "USD")
        .select("currency", "order_date")
        .distinct()
    )
    rates = fx_rates.select(
        F.col("currency").alias("_fx_currency"),
        "rate_date",
        F.col("usd_per_unit").cast(RATE_TYPE).alias("_rate"),
        *[c for c in ("ingest_date", "batch_id", "line_number") if c in fx_rates.columns],
    )
    tie = [F.col(c).desc_nulls_last() for c in ("ingest_date", "batch_id", "line_number")
           if c in fx_rates.columns]  # fmt: skip
    pick = Window.partitionBy("currency", "order_date").orderBy(F.col("rate_date").desc(), *tie)
    fx = (
        pairs.join(
            F.broadcast(rates),
            (pairs["currency"] == rates["_fx_currency"])
            & (rates["rate_date"] <= pairs["order_date"]),
        )
        .withColumn("_rank", F.row_number().over(pick))
        .filter((F.col("_rank") == 1) & F.col("_rate").isNotNull())
        .select("currency", "order_date", F.col("_rate").alias("_fx_rate"))
    )
    # Both lookups are small (products; one rate per currency and order date) and
    # broadcast: the items, with their order line, are never shuffled for them.
    joined = items.join(F.broadcast(known), "product_id", "left").join(
        F.broadcast(fx), ["currency", "order_date"], "left"
    )
    joined = joined.withColumn(
        "usd_per_unit",
        F.when(F.col("currency") == "USD", F.lit(1).cast(RATE_TYPE)).otherwise(F.col("_fx_rate")),
    )
    if keep is not None:
        joined = keep(joined.withColumn("raw", F.when(~passes_column(ITEM_RULES), F.col("raw"))))
    valid, rejected = split(joined, ITEM_RULES)
    lines = valid.withColumn(
        "amount_usd",
        (
            F.col("quantity").cast("decimal(10,0)")
            * F.col("unit_price").cast("decimal(10,2)")
            * (F.lit(1) - F.col("discount")).cast("decimal(3,2)")
            * F.col("usd_per_unit")
        ).cast(AMOUNT_TYPE),
    ).select(*LINE_COLUMNS)
    quarantine = rejected.withColumn("feed", F.lit("orders")).select(*QUARANTINE_COLUMNS)
    return lines, quarantine


def select_current_lines(current_orders: DataFrame, valid_lines: DataFrame) -> DataFrame:
    """Return the valid lines of each order's current version, with order attributes.

    This is the ``sales.orders`` grain of DATASET.md section 5 and the input of
    the gold functions.

    Parameters
    ----------
    current_orders
        :func:`resolve_current_orders` output.
    valid_lines
        ``validate_items`` valid lines of (at least) the current versions.

    Returns
    -------
    DataFrame
        Grain: one row per valid line of a current order version; key
        ``order_id, line_no``. Columns: ``order_id, line_no, order_date,
        order_ts, store_id, customer_id, status, currency, promo_code,
        product_id, quantity, unit_price, discount, usd_per_unit, amount_usd,
        updated_at``.
    """
    orders = current_orders.select(
        "order_id", "updated_at", "order_ts", "store_id", "customer_id", "status", "promo_code"
    )
    lines = valid_lines.select(
        "order_id", "updated_at", "line_no", "order_date", "currency", "product_id",
        "quantity", "unit_price", "discount", "usd_per_unit", "amount_usd",
    )  # fmt: skip
    return orders.join(lines, ["order_id", "updated_at"]).select(
        "order_id", "line_no", "order_date", "order_ts", "store_id", "customer_id", "status",
        "currency", "promo_code", "product_id", "quantity", "unit_price", "discount",
        "usd_per_unit", "amount_usd", "updated_at",
    )  # fmt: skip
