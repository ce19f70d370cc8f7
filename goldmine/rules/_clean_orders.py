"""Parse and clean order lines (D1, D3, D4, D5, D9, D13)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from goldmine.rules._model import FeedResult, ObservedCounts
from goldmine.rules._reconcile import observe_batches
from goldmine.validation import ORDER_RULES, split

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

ITEM_SCHEMA = (
    "line_no int, product_id string, quantity int, "
    "unit_price decimal(38,18), discount decimal(38,18)"
)
#: The orders JSON format of DATASET.md section 1 (``promo_code`` optional, D13).
ORDER_SCHEMA = (
    "order_id string, customer_id string, store_id string, order_ts string, "
    "status string, currency string, updated_at string, promo_code string, "
    f"items array<struct<{ITEM_SCHEMA}>>, _corrupt string"
)
ORDER_COLUMNS: tuple[str, ...] = (
    "order_id", "customer_id", "store_id", "order_ts", "order_date", "status", "currency",
    "updated_at", "promo_code", "batch_id", "ingest_date", "source_file", "line_number",
)  # fmt: skip
ITEM_COLUMNS: tuple[str, ...] = (
    "order_id", "updated_at", "line_no", "product_id", "quantity", "unit_price", "discount",
    "order_date", "currency", "batch_id", "source_file", "line_number", "raw",
)  # fmt: skip
DUPLICATE_COLUMNS: tuple[str, ...] = (
    "batch_id", "source_file", "line_number", "order_id", "updated_at",
)  # fmt: skip


def parse_orders(landed: DataFrame) -> DataFrame:
    """Parse the orders lines of ``landed``; no rule applied, one row per line.

    The costly part of :func:`clean_orders` (the JSON of every line): every output of
    ``clean_orders`` recomputes it, so a caller that consumes several of them persists
    this frame and passes it as ``parsed``.

    Returns
    -------
    DataFrame
        ``batch_id, ingest_date, source_file, line_number, raw``, the order fields
        (``order_ts``/``updated_at`` timestamp UTC, D9; ``order_date``, D3; blank
        text null), ``items`` (array of ``ITEM_SCHEMA`` structs) and ``_json_ok``
        (false: D4).
    """
    from pyspark.sql import functions as F

    lines = landed.filter(F.col("feed") == "orders")
    parsed = lines.withColumn(
        "j",
        F.from_json(
            "raw", ORDER_SCHEMA, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": "_corrupt"}
        ),
    )
    return parsed.select(
        "batch_id",
        "ingest_date",
        "source_file",
        "line_number",
        "raw",
        _json_ok().alias("_json_ok"),
        _text("j.order_id").alias("order_id"),
        _text("j.customer_id").alias("customer_id"),
        _text("j.store_id").alias("store_id"),
        _order_ts(F.col("j.order_ts")).alias("order_ts"),
        F.col("j.status").alias("status"),
        F.col("j.currency").alias("currency"),
        F.to_timestamp(F.col("j.updated_at")).alias("updated_at"),
        F.col("j.promo_code").alias("promo_code"),
        F.col("j.items").alias("items"),
    ).withColumn("order_date", F.to_date("order_ts"))


def clean_orders(
    landed: DataFrame,
    known_orders: DataFrame | None = None,
    parsed: DataFrame | None = None,
    batches: Sequence[str] | None = None,
) -> FeedResult:
    """Parse and clean order lines: record-level rules and duplicates.

    Rules: D4 (not a JSON object in the orders format -> ``unparseable``, raw kept),
    D5 (first missing of order_id > customer_id > store_id > order_ts ->
    ``missing_<field>``; blank text counts as missing, an ``order_ts`` that is not
    a timestamp too), D9 (``order_ts`` epoch milliseconds or ISO-8601 with offset ->
    UTC timestamp), D3 (``order_date`` = UTC date of ``order_ts``), D13
    (``promo_code`` optional, null when absent), D1 (records with the same
    ``order_id`` and ``updated_at``: the first landed is kept — ordered by
    ``ingest_date, batch_id, source_file, line_number`` — the others are
    duplicates, also when the first is in ``known_orders``). Item-level rules
    (D6, D7, D10) are applied by :func:`validate_items`.

    Parameters
    ----------
    landed
        :func:`read_landed` output; rows of other feeds are ignored. May hold one
        or many batches.
    known_orders
        ``order_id, updated_at`` of records accepted from earlier batches (the
        current state), so duplicates across batches are dropped and counted in
        the batch they land in. ``None``: no earlier batch.
    parsed
        :func:`parse_orders` of ``landed``, when the caller persisted it (every
        output then reads it instead of parsing the JSON again). ``None``: parsed here.
    batches
        The batches of ``landed``, when the caller reconciles the result with
        :func:`count_records` and reads ``accepted`` and ``quarantine`` whole in that
        job: the lines read and the duplicates of these batches are then observed
        as those outputs are computed (``FeedResult.observed``) instead of counted
        with passes of their own. ``None``: counted from ``read`` and ``duplicates``.

    Returns
    -------
    FeedResult
        ``accepted``: one row per accepted order record; key ``order_id,
        updated_at``; columns :data:`ORDER_COLUMNS` (``order_ts``/``updated_at``
        timestamp UTC, ``order_date`` date). ``items``: one row per item of an
        accepted record; key ``order_id, updated_at, line_no``; columns
        :data:`ITEM_COLUMNS` (``quantity`` int, ``unit_price`` decimal(10,2),
        ``discount`` decimal(5,2), 0 when absent; a value with more decimals than
        that, or out of range, is null and fails D6; ``raw``: the order line).
        ``quarantine``: record-level rejects. ``duplicates``: dropped D1 records,
        columns :data:`DUPLICATE_COLUMNS`. ``read``: lines per batch.
    """
    from pyspark.sql import functions as F

    flat = parse_orders(landed) if parsed is None else parsed
    observed: list[ObservedCounts] = []
    if batches is not None:
        flat, lines_read = observe_batches(flat, batches, "read")
        observed.append(lines_read)
    valid, rejected = split(flat, ORDER_RULES)
    quarantine = rejected.select(
        F.lit("orders").alias("feed"),
        "batch_id",
        "source_file",
        "line_number",
        F.when(~F.col("reason").isin("unparseable", "missing_order_id"), F.col("order_id")).alias(
            "order_id"
        ),
        F.lit(None).cast("int").alias("line_no"),
        "reason",
        "raw",
    )
    accepted_all, duplicates, dropped = _drop_duplicates(valid, known_orders, batches)
    observed.extend(dropped)
    accepted = accepted_all.select(*ORDER_COLUMNS)
    items = accepted_all.select(
        "order_id",
        "updated_at",
        "order_date",
        "currency",
        "batch_id",
        "source_file",
        "line_number",
        "raw",
        F.posexplode("items").alias("pos", "item"),
    ).select(
        "order_id",
        "updated_at",
        F.coalesce(F.col("item.line_no"), F.col("pos") + 1).alias("line_no"),
        _text("item.product_id").alias("product_id"),
        F.col("item.quantity").alias("quantity"),
        _exact(F.col("item.unit_price"), "decimal(10,2)").alias("unit_price"),
        F.when(F.col("item.discount").isNull(), F.lit(0).cast("decimal(5,2)"))
        .otherwise(_exact(F.col("item.discount"), "decimal(5,2)"))
        .alias("discount"),
        "order_date",
        "currency",
        "batch_id",
        "source_file",
        "line_number",
        "raw",
    )
    read = flat.groupBy("batch_id").agg(F.count(F.lit(1)).alias("read"))
    return FeedResult("orders", accepted, quarantine, duplicates, read, items, tuple(observed))


def _json_ok() -> Column:
    from pyspark.sql import functions as F

    raw = F.trim(F.col("raw"))
    return (
        F.col("j").isNotNull()
        & F.col("j._corrupt").isNull()
        & raw.startswith("{")
        & raw.endswith("}")
        & ~F.col("raw").contains("\ufffd")
    )


def _text(name: str) -> Column:
    """Return a string field with blank text as null."""
    from pyspark.sql import functions as F

    value = F.trim(F.col(name))
    return F.when(value != "", value)


def _order_ts(text: Column) -> Column:
    """Epoch milliseconds (a JSON number) or ISO-8601 text -> UTC timestamp (D9)."""
    from pyspark.sql import functions as F

    value = F.trim(text)
    return F.when(value.rlike(r"^-?[0-9]+$"), F.timestamp_millis(value.cast("bigint"))).otherwise(
        F.to_timestamp(value)
    )


def _exact(value: Column, target: str) -> Column:
    """``value`` cast to ``target`` when exact (no rounding, no overflow), else null."""
    from pyspark.sql import functions as F

    cast = value.cast(target)
    return F.when(cast == value, cast)


def _drop_duplicates(
    valid: DataFrame, known_orders: DataFrame | None, batches: Sequence[str] | None
) -> tuple[DataFrame, DataFrame, list[ObservedCounts]]:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = Window.partitionBy("order_id", "updated_at").orderBy(
        "ingest_date", "batch_id", "source_file", "line_number"
    )
    ranked = valid.withColumn("_rank", F.row_number().over(order))
    if known_orders is not None:
        known = (
            known_orders.select("order_id", "updated_at")
            .distinct()
            .withColumn("_known", F.lit(True))
        )
        ranked = ranked.join(
            known, ranked["order_id"].eqNullSafe(known["order_id"])
            & ranked["updated_at"].eqNullSafe(known["updated_at"]), "left",
        ).drop(known["order_id"]).drop(known["updated_at"])  # fmt: skip
        is_dup = (F.col("_rank") > 1) | F.col("_known").isNotNull()
    else:
        is_dup = F.col("_rank") > 1
    marked = ranked.withColumn("_dup", is_dup)
    observed = []
    if batches is not None:
        marked, dropped = observe_batches(marked, batches, "duplicates", F.col("_dup"))
        observed.append(dropped)
    accepted = marked.filter(~F.col("_dup"))
    duplicates = marked.filter(F.col("_dup")).select(*DUPLICATE_COLUMNS)
    return accepted, duplicates, observed
