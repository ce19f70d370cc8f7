"""datacontract-cli, the reference ODCS tool, tests the published products on the store.

The peer tool reads a contract, connects to a server of the contract and runs its
schema and quality checks (``datacontract test``). Of its engines, the one that runs
here without downloads is Trino (Athena's engine, ADR 0017): its DuckDB engine would
have to fetch the ``delta`` extension from the internet. So the test adds one server
to a copy of each contract, ``type: trino`` on the local Trino server over the same
Glue catalog and S3 store the consumers read, and runs the tool's own test on the
products the session published. A rule the data breaks must fail there too, or the
tool would not be testing the data.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pytest
import yaml

import mesh
from goldmine.local._trino import TRINO_CATALOG

if TYPE_CHECKING:
    from goldmine.platform import Platform

pytestmark = pytest.mark.integration

#: Products tested: the one with a ``sql`` rule, and the largest source-aligned one.
PRODUCTS = ("finance.revenue", "sales.orders")


def _with_trino_server(product_id: str, trino: str, platform: Platform) -> dict[str, Any]:
    contract = mesh.load_product_contract(product_id)
    document = copy.deepcopy(contract.raw)
    url = urlparse(trino)
    document["servers"].append(
        {
            "server": "local-trino",
            "environment": "local",
            "type": "trino",
            "host": url.hostname,
            "port": url.port,
            "catalog": TRINO_CATALOG,
            "schema": contract.server("local").database,
        }
    )
    return document


@pytest.fixture(scope="module")
def trino_scans(platform: Platform, mesh_published: dict[str, Any], trino: str) -> str:
    """The local Trino once it schedules scans of the published products.

    A Trino that has just started answers metadata and system tables at once but
    refuses scans (``NO_NODES_AVAILABLE``) for ~5 s; goldmine's own queries wait that
    out, datacontract's do not. Run alone, this module is the first to use Trino.
    """
    from goldmine.query import run_query

    orders = mesh.load_product_contract("sales.orders")
    run_query(
        platform, f"SELECT count(*) FROM {orders.model.name}", "mesh", "trino",
        database=orders.server("local").database,
    )  # fmt: skip
    return trino


@pytest.fixture
def datacontract_test(
    trino_scans: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[dict[str, Any]], Any]:
    """Run ``datacontract test`` of a contract document on the published products."""
    from datacontract.data_contract import DataContract

    monkeypatch.setenv("DATACONTRACT_TRINO_USERNAME", "goldmine")

    def run(document: dict[str, Any]) -> Any:
        path = tmp_path / "contract.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return DataContract(data_contract_file=str(path), server="local-trino").test()

    return run


@pytest.mark.parametrize("product_id", PRODUCTS)
def test_datacontract_cli_passes_the_published_product(
    product_id: str, platform: Platform, trino: str, datacontract_test: Any
) -> None:
    run = datacontract_test(_with_trino_server(product_id, trino, platform))
    failed = [(c.name, c.result, c.reason) for c in run.checks if c.result != "passed"]
    assert run.result == "passed", failed
    kinds = {c.category for c in run.checks}
    assert {"schema", "quality"} <= kinds, kinds
    if product_id == "finance.revenue":
        assert any(c.type == "model_quality_sql" for c in run.checks)


def test_datacontract_cli_fails_a_rule_the_data_breaks(
    platform: Platform, trino: str, datacontract_test: Any
) -> None:
    document = _with_trino_server("finance.revenue", trino, platform)
    document["schema"][0]["quality"] = [
        {"name": "no_rows", "type": "sql", "query": "SELECT COUNT(*) FROM ${object}", "mustBe": 0}
    ]
    run = datacontract_test(document)
    assert run.result == "failed"
    (check,) = [c for c in run.checks if c.type == "model_quality_sql"]
    assert check.result == "failed"
