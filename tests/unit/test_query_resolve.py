"""Where an analyst's table name resolves on each build (``goldmine.query`` and Glue)."""

from __future__ import annotations

from typing import Any

import pytest

from goldmine.query import UnknownTable
from goldmine.query._resolve_tables import MESH_PRODUCTS, resolve_table
from goldmine.settings import Settings


class _NotFoundError(Exception):
    pass


class _Glue:
    """The two things ``resolve_table`` asks of a Glue client, over ``{(db, table)}``."""

    class exceptions:  # noqa: N801 - boto3's attribute name
        EntityNotFoundException = _NotFoundError

    def __init__(self, tables: set[tuple[str, str]]) -> None:
        self.tables = tables
        self.asked: list[tuple[str, str]] = []

    def get_table(self, DatabaseName: str, Name: str) -> dict[str, Any]:  # noqa: N803
        self.asked.append((DatabaseName, Name))
        if (DatabaseName, Name) not in self.tables:
            raise _NotFoundError(Name)
        location = f"s3://bucket/{Name}/"
        return {
            "Table": {
                "Name": Name,
                "Parameters": {"table_type": "DELTA"},
                "StorageDescriptor": {"Location": location, "Columns": []},
            }
        }


SETTINGS = Settings()
FINANCE, SALES = "goldmine_local_mesh_finance", "goldmine_local_mesh_sales"
PUBLISHED = {
    (FINANCE, "revenue"),
    (FINANCE, "customer_lifetime"),
    (FINANCE, "product_monthly"),
    ("goldmine_local_mesh_catalog", "stores"),
    ("goldmine_local_lakehouse_gold", "customer_lifetime"),
}


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ("daily_sales", f"{FINANCE}.revenue"),
        ("customer_lifetime", f"{FINANCE}.customer_lifetime"),
        ("product_monthly", f"{FINANCE}.product_monthly"),
        ("stores", "goldmine_local_mesh_catalog.stores"),
    ],
)
def test_every_gold_name_resolves_to_its_product_on_the_mesh(table: str, expected: str) -> None:
    glue = _Glue(PUBLISHED)
    resolved = resolve_table(glue, SETTINGS, "mesh", None, table)
    assert resolved.qualified_name == expected
    if table in MESH_PRODUCTS:  # straight to the owning domain's database, nowhere else
        assert glue.asked == [tuple(expected.split("."))]


def test_gold_names_keep_their_own_name_on_the_lakehouse() -> None:
    resolved = resolve_table(_Glue(PUBLISHED), SETTINGS, "lakehouse", None, "customer_lifetime")
    assert resolved.qualified_name == "goldmine_local_lakehouse_gold.customer_lifetime"


def test_qualified_names_are_not_mapped() -> None:
    glue = _Glue({(SALES, "daily_sales")})
    resolved = resolve_table(glue, SETTINGS, "mesh", "mesh_sales", "daily_sales")
    assert resolved.qualified_name == f"{SALES}.daily_sales"


def test_an_unpublished_product_names_itself_and_how_to_publish_it() -> None:
    with pytest.raises(UnknownTable) as info:
        resolve_table(_Glue(set()), SETTINGS, "mesh", None, "product_monthly")
    assert str(info.value) == (
        "unknown table product_monthly (data product finance.product_monthly: goldmine mesh "
        f"publish finance.product_monthly): not in Glue database(s) {FINANCE} (build mesh)"
    )
