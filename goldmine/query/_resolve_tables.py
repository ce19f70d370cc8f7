"""Resolve the tables of a query through the Glue Data Catalog."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from goldmine.query._errors import UnknownTable
from goldmine.settings import DOMAINS, Settings

Build = Literal["lake", "lakehouse", "mesh"]
BUILDS: tuple[str, ...] = ("lake", "lakehouse", "mesh")


@dataclass(frozen=True)
class ResolvedTable:
    """A catalogued table: where its data is and how to read it.

    Parameters
    ----------
    database, name
        The Glue database and table (the Athena name is ``database.name``).
    location
        ``s3://bucket/prefix/`` of the data.
    table_format
        ``delta`` (``table_type=DELTA`` or ``classification=delta``) or ``parquet``.
    columns, partition_keys
        ``(name, athena type)`` pairs from the catalog.
    """

    database: str
    name: str
    location: str
    table_format: str
    columns: tuple[tuple[str, str], ...]
    partition_keys: tuple[tuple[str, str], ...] = ()
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def qualified_name(self) -> str:
        """Return ``database.table`` as Athena names it."""
        return f"{self.database}.{self.name}"

    @property
    def view_name(self) -> str:
        """Return the name the local engines register the table under (no dots)."""
        return f"{self.database}__{self.name}"

    def schema(self) -> dict[str, str]:
        """Return ``{column: athena type}``, partition keys last (as Athena shows them)."""
        return dict(self.columns + self.partition_keys)


#: The data product that publishes each gold table on the mesh (DATASET section 5: the
#: finance domain's consumer-aligned products, built only from other domains' products).
#: An unqualified gold name on the mesh build resolves to its product's Glue table.
MESH_PRODUCTS: dict[str, str] = {
    "daily_sales": "finance.revenue",
    "customer_lifetime": "finance.customer_lifetime",
    "product_monthly": "finance.product_monthly",
}


def build_databases(settings: Settings, build: str) -> tuple[str, ...]:
    """Return the Glue databases an unqualified gold table name resolves to, in order.

    ``lake``: the analytics zone; ``lakehouse``: the gold layer; ``mesh``: the domain
    databases (``finance`` first: it owns the products of the gold answers).
    """
    if build == "lake":
        return (settings.database("lake_analytics"),)
    if build == "lakehouse":
        return (settings.database("lakehouse_gold"),)
    if build == "mesh":
        ordered = ["finance", *[d for d in DOMAINS if d != "finance"]]
        return tuple(settings.database(f"mesh_{d}") for d in ordered)
    raise ValueError(f"unknown build {build!r}: expected one of {', '.join(BUILDS)}")


def resolve_table(
    glue: Any,
    settings: Settings,
    build: str,
    database: str | None,
    name: str,
    *,
    default_database: str | None = None,
) -> ResolvedTable:
    """Find ``database.name`` (or ``name`` in the build's databases) in Glue.

    A qualified name may use the Glue database name or its short form
    (``lake_analytics`` for ``<project>_<environment>_lake_analytics``);
    ``default_database`` replaces the build's databases for unqualified names. On the
    mesh build an unqualified gold name (:data:`MESH_PRODUCTS`) resolves to its data
    product in the owning domain's database (``daily_sales`` is
    ``mesh_finance.revenue``); other names to the first domain database that has them.

    Raises
    ------
    UnknownTable
        When no such table is catalogued.
    """
    asked, product = name, None
    if database is None and default_database is None and build == "mesh":
        product = MESH_PRODUCTS.get(name)
    if product is not None:
        domain, _, name = product.partition(".")
        default_database = settings.database(f"mesh_{domain}")
    if database is None:
        candidates = (default_database,) if default_database else build_databases(settings, build)
    else:
        short = settings.database(database)
        candidates = (database,) if database == short else (database, short)
    for candidate in candidates:
        table = _get_table(glue, candidate, name)
        if table is not None:
            return _from_glue(candidate, table)
    where = ", ".join(candidates)
    shown = f"{database}.{name}" if database else name
    if product is not None:
        shown = f"{asked} (data product {product}: goldmine mesh publish {product})"
    raise UnknownTable(f"unknown table {shown}: not in Glue database(s) {where} (build {build})")


def _get_table(glue: Any, database: str, name: str) -> dict[str, Any] | None:
    try:
        return dict(glue.get_table(DatabaseName=database, Name=name)["Table"])
    except glue.exceptions.EntityNotFoundException:
        return None


def _from_glue(database: str, table: dict[str, Any]) -> ResolvedTable:
    descriptor = table.get("StorageDescriptor", {})
    parameters = {str(k): str(v) for k, v in (table.get("Parameters") or {}).items()}
    is_delta = (
        parameters.get("table_type", "").upper() == "DELTA"
        or parameters.get("classification", "").lower() == "delta"
        or parameters.get("spark.sql.sources.provider", "").lower() == "delta"
    )
    serde = str(descriptor.get("SerdeInfo", {}).get("SerializationLibrary", "")).lower()
    classification = parameters.get("classification", "").lower()
    if not is_delta and classification not in ("", "parquet") and "parquet" not in serde:
        raise UnknownTable(
            f"table {database}.{table['Name']} is {classification or serde}: the local "
            "engines read Delta and Parquet tables only"
        )
    return ResolvedTable(
        database=database,
        name=str(table["Name"]),
        location=str(descriptor.get("Location", "")),
        table_format="delta" if is_delta else "parquet",
        columns=tuple((c["Name"].lower(), c["Type"]) for c in descriptor.get("Columns", [])),
        partition_keys=tuple(
            (c["Name"].lower(), c["Type"]) for c in table.get("PartitionKeys", [])
        ),
        parameters=parameters,
    )
