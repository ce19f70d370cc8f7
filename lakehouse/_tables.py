"""Where each lakehouse table lives, and its grain and keys (STYLE.md #6)."""

from __future__ import annotations

from dataclasses import dataclass

from goldmine.settings import Settings

LAYERS: tuple[str, ...] = ("bronze", "silver", "gold")


@dataclass(frozen=True)
class TableInfo:
    """One Delta table of the lakehouse.

    Parameters
    ----------
    layer, name
        ``s3://<lakehouse bucket>/<layer>/<name>/`` is its location.
    grain
        What one row is.
    keys
        The columns that identify a row (the MERGE keys).
    zorder
        Columns analysts filter by: ``OPTIMIZE ... ZORDER BY`` uses them.
    partition_by
        Partition columns of the table.
    """

    layer: str
    name: str
    grain: str
    keys: tuple[str, ...]
    zorder: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()

    @property
    def qualified(self) -> str:
        """Return ``layer.name``."""
        return f"{self.layer}.{self.name}"

    def uri(self, settings: Settings) -> str:
        """Return the table location ``s3://<lakehouse bucket>/<layer>/<name>``."""
        return f"s3://{settings.buckets.lakehouse}/{self.layer}/{self.name}"


def _t(*args: object, **kwargs: object) -> TableInfo:
    return TableInfo(*args, **kwargs)  # type: ignore[arg-type]


_BRONZE_GRAIN = "one landed line of one file (CSV headers excluded), as it arrived"
_BRONZE_KEYS = ("source_file", "line_number")

#: Every table of the lakehouse, by ``layer.name``.
TABLES: dict[str, TableInfo] = {
    t.qualified: t
    for t in (
        _t("bronze", "orders", _BRONZE_GRAIN, _BRONZE_KEYS, (), ("batch_id",)),
        _t("bronze", "customers", _BRONZE_GRAIN, _BRONZE_KEYS, (), ("batch_id",)),
        _t("bronze", "products", _BRONZE_GRAIN, _BRONZE_KEYS, (), ("batch_id",)),
        _t("bronze", "stores", _BRONZE_GRAIN, _BRONZE_KEYS, (), ("batch_id",)),
        _t("bronze", "fx_rates", _BRONZE_GRAIN, _BRONZE_KEYS, (), ("batch_id",)),
        _t(
            "silver",
            "orders",
            "one order, its current version (newest accepted updated_at)",
            ("order_id",),
            # order_date alone: a date range layout, so a batch's MERGE (recent dates)
            # rewrites few files; a second Z-ORDER column scatters every date (ADR 0010).
            ("order_date",),
        ),
        _t(
            "silver",
            "order_lines",
            "one valid item (D6/D7/D10 passed) of an order's current version, in USD",
            ("order_id", "line_no"),
            ("order_date", "product_id"),
        ),
        _t(
            "silver",
            "customers",
            "one version of a customer (SCD type 2); inferred members for unknown ids",
            ("customer_id", "valid_from"),
            ("customer_id",),
        ),
        _t(
            "silver",
            "order_versions",
            "one accepted order record (order_id, updated_at): D1 duplicates across batches",
            ("order_id", "updated_at"),
        ),
        _t("silver", "products", "one product, newest record", ("product_id",)),
        _t("silver", "stores", "one store, newest list", ("store_id",)),
        _t("silver", "fx_rates", "one rate per date and currency", ("rate_date", "currency")),
        _t(
            "silver",
            "quarantine",
            "one rejected record or item, with its rule id",
            ("source_file", "line_number", "line_no", "reason"),
            ("reason",),
            ("batch_id",),
        ),
        _t(
            "gold",
            "daily_sales",
            "order_date x store_id x category (valid lines, revenue-counting orders)",
            ("order_date", "store_id", "category"),
            ("order_date", "store_id"),
        ),
        _t(
            "gold",
            "customer_lifetime",
            "customer_id with at least one revenue-counting order",
            ("customer_id",),
            ("customer_id",),
        ),
        _t(
            "gold",
            "product_monthly",
            "month x product_id with units + returned_units > 0",
            ("month", "product_id"),
            ("month", "product_id"),
        ),
    )
}


def table(qualified: str) -> TableInfo:
    """Return the table ``layer.name``.

    Raises
    ------
    KeyError
        With the known names when ``qualified`` is not a lakehouse table.
    """
    try:
        return TABLES[qualified]
    except KeyError:
        raise KeyError(
            f"unknown lakehouse table {qualified!r}: expected one of {', '.join(TABLES)}"
        ) from None


def layer_tables(layer: str) -> list[TableInfo]:
    """Return the tables of one layer, in build order."""
    return [t for t in TABLES.values() if t.layer == layer]
