"""The MERGE statements of silver: newest wins, replace a key's rows, SCD type 2."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lakehouse._delta import apply_changes, evolve_schema, is_table

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)


def _target(spark: SparkSession, uri: str, source: DataFrame) -> DataFrame | None:
    """Return the table at ``uri`` evolved to ``source``'s columns (logged); ``None``: none yet."""
    if not is_table(spark, uri):
        return None
    evolve_schema(spark, uri, source, log)
    return spark.read.format("delta").load(uri)


def _differs(columns: list[str]) -> str:
    """Return SQL that is true when a column differs between ``t`` and ``s`` (null-safe)."""
    return " OR ".join(f"NOT (t.`{c}` <=> s.`{c}`)" for c in columns) or "false"


def merge_newest(
    spark: SparkSession,
    uri: str,
    source: DataFrame,
    *,
    keys: tuple[str, ...],
    order_by: str,
    app_id: str,
) -> int:
    """Upsert ``source`` into ``uri``: a row replaces the target row only when newer.

    ``order_by`` is a SQL expression over one row (``updated_at``, or
    ``struct(updated_at, batch_id)`` for "last landed wins" ties) evaluated on both
    sides; an older or equal source row never overwrites (D2, out-of-order arrival),
    so replaying a batch changes nothing. The MERGE is idempotent per ``app_id``.
    Returns the rows that changed (:func:`lakehouse._delta.apply_changes`).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    newest = Window.partitionBy(*keys).orderBy(F.expr(order_by).desc())
    source = source.withColumn("_r", F.row_number().over(newest)).filter("_r = 1").drop("_r")
    target = _target(spark, uri, source)
    if target is not None:
        # Only rows that will change: a matched row makes Delta rewrite its whole file
        # even when no clause fires, so a replay would rewrite files with equal data.
        current = target.select(
            *keys, F.expr(order_by).alias("_t_order"), F.lit(True).alias("_t_present")
        )
        source = (
            source.join(current, list(keys), "left")
            .filter(F.col("_t_present").isNull() | (F.expr(order_by) > F.col("_t_order")))
            .drop("_t_order", "_t_present")
        )
    on = " AND ".join(f"t.`{k}` = s.`{k}`" for k in keys)
    newer = f"({_qualify(order_by, 's')}) > ({_qualify(order_by, 't')})"

    def merge(table: DeltaTable, changes: DataFrame) -> None:
        (
            table.alias("t")
            .merge(changes.alias("s"), on)
            .whenMatchedUpdateAll(condition=newer)
            .whenNotMatchedInsertAll()
            .execute()
        )

    return apply_changes(spark, uri, source, merge, app_id=app_id)


def merge_replace_rows(
    spark: SparkSession,
    uri: str,
    rows: DataFrame,
    scope: DataFrame,
    *,
    group_keys: tuple[str, ...],
    row_keys: tuple[str, ...],
    app_id: str,
) -> int:
    """Make the rows of each group in ``scope`` equal ``rows``, in one atomic MERGE.

    A group (``group_keys``, e.g. one order) listed in ``scope`` ends with exactly its
    rows in ``rows``: changed rows are updated, new ones inserted, rows that are gone
    deleted. Rows equal to the target are not touched, so replaying changes nothing.
    Returns the rows that changed (:func:`lakehouse._delta.apply_changes`).
    """
    from pyspark.sql import functions as F

    target = _target(spark, uri, rows)
    if target is None:
        source = rows.withColumn("_delete", F.lit(False))
    else:
        source = _row_changes(target, rows, scope, group_keys, row_keys)
    on = " AND ".join(f"t.`{k}` <=> s.`{k}`" for k in row_keys)
    values = [c for c in rows.columns if c not in row_keys]

    def merge(table: DeltaTable, changes: DataFrame) -> None:
        (
            table.alias("t")
            .merge(changes.alias("s"), on)
            .whenMatchedDelete(condition="s._delete")
            .whenMatchedUpdate(
                condition=f"NOT s._delete AND ({_differs(values)})",
                set={c: f"s.`{c}`" for c in rows.columns},
            )
            .whenNotMatchedInsert(
                condition="NOT s._delete", values={c: f"s.`{c}`" for c in rows.columns}
            )
            .execute()
        )

    return apply_changes(spark, uri, source, merge, app_id=app_id, inserts="NOT _delete")


def _row_changes(
    target: DataFrame,
    rows: DataFrame,
    scope: DataFrame,
    group_keys: tuple[str, ...],
    row_keys: tuple[str, ...],
) -> DataFrame:
    """Return the rows that change ``target``: new or changed (``_delete`` false), gone (true).

    Only rows that change: a matched row makes Delta rewrite its whole file even when
    no clause fires, so equal rows must not reach the MERGE. ``row_keys`` include
    ``group_keys`` (a row's group is part of its key), so every target row a row of
    ``rows`` can match is in scope: the target is read once, for the groups of
    ``scope`` (a lazy local checkpoint: one Delta scan planned, its rows computed by the
    first job and read by both joins).
    """
    from pyspark.sql import functions as F

    if not set(group_keys) <= set(row_keys):
        raise ValueError(f"row keys {row_keys} must include the group keys {group_keys}")
    in_scope = target.join(scope.select(*group_keys).distinct(), list(group_keys)).localCheckpoint(
        eager=False
    )
    new = rows.select(*[F.col(k).alias(f"_n_{k}") for k in row_keys])
    old = in_scope.select(*row_keys)
    match = [old[k].eqNullSafe(new[f"_n_{k}"]) for k in row_keys]
    gone = old.join(new, match, "left_anti")
    old_rows = in_scope.select(
        *[F.col(c).alias(f"_t_{c}") for c in rows.columns], F.lit(True).alias("_t_present")
    )
    same_key = [rows[k].eqNullSafe(old_rows[f"_t_{k}"]) for k in row_keys]
    same = F.lit(True)
    for c in rows.columns:
        same = same & F.col(c).eqNullSafe(F.col(f"_t_{c}"))
    changed = (
        rows.join(old_rows, same_key, "left")
        .filter(F.col("_t_present").isNull() | ~same)
        .select(*rows.columns)
    )
    return changed.withColumn("_delete", F.lit(False)).unionByName(
        gone.withColumn("_delete", F.lit(True)), allowMissingColumns=True
    )


def _qualify(expression: str, alias: str) -> str:
    """Prefix the bare column names of a simple ``struct(a, b)`` / ``a`` expression."""
    inner = expression.removeprefix("struct(").removesuffix(")")
    columns = [c.strip() for c in inner.split(",")]
    qualified = ", ".join(f"{alias}.`{c}`" for c in columns)
    return f"struct({qualified})" if expression.startswith("struct(") else qualified
