"""Register the lakehouse's Delta tables in Glue with their real columns and cost tags."""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING

from goldmine.catalog import TableSpec, register_table
from goldmine.settings import Settings
from goldmine.spark import run_concurrently
from goldmine.tags import tag_glue_database, tag_glue_table, tags_for
from lakehouse._tables import TABLES, TableInfo

if TYPE_CHECKING:
    from goldmine.platform import Platform


#: Silver's current-state dimensions that analysts join gold with: catalogued in the gold
#: database too (the same Delta table, no copy), so a gold query finds them by name.
GOLD_DIMENSIONS = ("products", "stores")


def athena_type(delta_type: str) -> str:
    """Return the Athena (Hive DDL) type of a Delta / Spark type name.

    ``long`` -> ``bigint``, ``integer`` -> ``int``, ``timestamp_ntz`` ->
    ``timestamp``; ``decimal(18,2)``, ``date``, ``string``, ``boolean`` unchanged.
    """
    name = delta_type.replace(" ", "")
    return {
        "long": "bigint",
        "integer": "int",
        "short": "smallint",
        "byte": "tinyint",
        "timestamp_ntz": "timestamp",
    }.get(name, name)


def table_spec(settings: Settings, info: TableInfo, columns: list[tuple[str, str]]) -> TableSpec:
    """Return the Glue spec of one table: ``table_type=DELTA`` and the real columns.

    Athena engine v3 reads the table from its Delta log (``table_type=DELTA``); the
    columns listed are the table's own (``(name, delta type)`` from its log), so
    Glue and Athena show the real schema, not the ``col array<string>`` placeholder
    that ``saveAsTable`` leaves.
    """
    return TableSpec(
        database=settings.database(f"lakehouse_{info.layer}"),
        name=info.name,
        location=info.uri(settings) + "/",
        columns=tuple((name, athena_type(kind), "") for name, kind in columns),
        table_format="delta",
        parameters={"grain": info.grain, "keys": ",".join(info.keys)},
        description=f"{info.qualified}: {info.grain}",
    )


def delta_columns(uri: str, storage_options: dict[str, str]) -> list[tuple[str, str]] | None:
    """Return ``(name, type)`` of the Delta table at ``uri`` from its log (no Spark).

    ``None`` when no table exists there.
    """
    from deltalake import DeltaTable
    from deltalake.exceptions import TableNotFoundError

    try:
        schema = DeltaTable(uri, storage_options=storage_options).schema()
    except TableNotFoundError:
        return None
    columns = []
    for f in schema.fields:
        kind = f.type
        text = getattr(kind, "type", None) or kind.to_json()
        columns.append((f.name, str(text).strip('"')))
    return columns


def register_tables(platform: Platform) -> list[str]:
    """Register (create or update) every existing lakehouse table in Glue, tagged.

    Uses :func:`goldmine.catalog.register_table` (Glue + a descriptor stored with
    the data) and the cost tags of ``tags_for(settings, domain="lakehouse")`` on
    each database and table.

    Returns
    -------
    list of str
        ``database.table`` names registered.
    """
    settings = platform.settings
    glue, s3, sts = platform.aws.client("glue"), platform.aws.s3(), platform.aws.client("sts")
    options = platform.aws.storage_options()
    tags = tags_for(settings, domain="lakehouse")
    registered = []
    databases: set[str] = set()
    # Each table's log is read from storage (a few requests each): several at once.
    found = run_concurrently(
        {name: functools.partial(delta_columns, info.uri(settings), options)
         for name, info in TABLES.items()},
        workers=8,
    )  # fmt: skip
    for name, info in TABLES.items():
        columns = found[name]
        if columns is None:
            continue
        spec = table_spec(settings, info, columns)
        specs = [spec]
        if info.layer == "silver" and info.name in GOLD_DIMENSIONS:
            specs.append(dataclasses.replace(spec, database=settings.database("lakehouse_gold")))
        for one in specs:
            register_table(glue, s3, one)
            if one.database not in databases:
                tag_glue_database(glue, sts, one.database, tags)
                databases.add(one.database)
            tag_glue_table(glue, sts, one.database, one.name, tags)
            registered.append(f"{one.database}.{one.name}")
    return registered
