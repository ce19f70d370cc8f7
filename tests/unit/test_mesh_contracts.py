"""Contracts validate against the ODCS JSON schema; generated artifacts are whole-equal."""

from __future__ import annotations

import copy

import pytest
from pyspark.sql import types as T

import mesh
from goldmine.settings import Settings
from goldmine.validation import Rule

PRODUCTS = [
    "catalog.products",
    "catalog.stores",
    "customer.customers",
    "finance.fx_rates",
    "finance.revenue",
    "sales.orders",
]


def test_one_contract_per_product() -> None:
    assert [c.product_id for c in mesh.list_contracts()] == PRODUCTS


@pytest.mark.parametrize("product_id", PRODUCTS)
def test_contract_validates_against_the_odcs_json_schema(product_id: str) -> None:
    contract = mesh.load_product_contract(product_id)
    assert mesh.schema_errors(contract.raw) == []
    assert mesh.odcs_json_schema()["properties"]["apiVersion"]["enum"][0].startswith("v3")


def test_schema_violation_is_reported() -> None:
    document = copy.deepcopy(mesh.load_product_contract("sales.orders").raw)
    document["kind"] = "Contract"
    del document["schema"][0]["properties"][0]["name"]
    with pytest.raises(mesh.ContractError) as info:
        mesh.parse_contract(document)
    assert any(p.startswith("kind:") for p in info.value.problems)
    assert any("'name' is a required property" in p for p in info.value.problems)


def test_platform_rules_catch_what_odcs_allows() -> None:
    document = copy.deepcopy(mesh.load_product_contract("customer.customers").raw)
    email = document["schema"][0]["properties"][4]
    del email["customProperties"]
    document["schema"][0]["properties"][1]["physicalType"] = "string"  # valid_from: timestamp
    document["servers"][0]["location"] = "s3://goldmine-local-mesh-customer/customers/"
    with pytest.raises(mesh.ContractError) as info:
        mesh.parse_contract(document)
    assert info.value.problems == [
        "column valid_from: physicalType string does not fit logicalType timestamp",
        "column email: classification pii needs customProperties piiTreatment (sha256 or mask)",
        "server local: location must end with /customers/v1/ (one folder per major version), "
        "got 's3://goldmine-local-mesh-customer/customers/'",
    ]


def test_spark_schema_of_orders() -> None:
    schema = mesh.spark_schema(mesh.load_product_contract("sales.orders"))
    assert [(f.name, f.dataType, f.nullable) for f in schema.fields] == [
        ("order_id", T.StringType(), False),
        ("line_no", T.IntegerType(), False),
        ("order_date", T.DateType(), False),
        ("order_ts", T.TimestampType(), False),
        ("customer_id", T.StringType(), False),
        ("store_id", T.StringType(), False),
        ("status", T.StringType(), False),
        ("currency", T.StringType(), False),
        ("product_id", T.StringType(), False),
        ("quantity", T.IntegerType(), False),
        ("unit_price", T.DecimalType(18, 2), False),
        ("discount", T.DecimalType(3, 2), False),
        ("usd_per_unit", T.DecimalType(18, 6), False),
        ("line_amount_usd", T.DecimalType(38, 10), False),
        ("promo_code", T.StringType(), True),
        ("updated_at", T.TimestampType(), False),
    ]


def test_glue_table_of_revenue() -> None:
    spec = mesh.glue_table_spec(
        mesh.load_product_contract("finance.revenue"), Settings(), run_id="r1"
    )
    assert spec.database == "goldmine_local_mesh_finance"
    assert spec.name == "revenue_v1"
    assert spec.location == "s3://goldmine-local-mesh-finance/revenue/v1/"
    assert spec.table_format == "delta"
    assert spec.partition_keys == ()
    assert spec.columns == (
        ("order_date", "date", "UTC order date."),
        ("store_id", "string", "Store or web shop."),
        ("category", "string", "Current product category."),
        ("orders", "bigint", "Distinct revenue-counting orders with a line in the group."),
        ("units", "bigint", "Sum of quantity."),
        ("revenue_usd", "decimal(18,2)", "Revenue in USD, rounded half-up from the exact sum."),
        (
            "avg_order_value_usd",
            "decimal(18,2)",
            "Unrounded revenue / orders, rounded half-up to 2 decimals.",
        ),
    )
    assert spec.parameters == {
        "data_product": "finance.revenue",
        "contract_version": "1.0.0",
        "owner": "finance-data-team",
        "run_id": "r1",
    }


def test_orders_partition_column_goes_to_glue_partition_keys() -> None:
    spec = mesh.glue_table_spec(mesh.load_product_contract("sales.orders"), Settings())
    assert spec.partition_keys == (
        ("order_date", "date", "UTC date of order_ts (late orders keep their own date, D3)."),
    )
    assert "order_date" not in [c[0] for c in spec.columns]


def test_cost_tags() -> None:
    tags = mesh.cost_tags(mesh.load_product_contract("customer.customers"), Settings())
    assert tags == {
        "project": "goldmine",
        "environment": "local",
        "domain": "customer",
        "cost-center": "data-platform",
        "owner": "data-platform-team",
        "data-product": "customer.customers",
    }


def test_rule_set_of_fx_rates() -> None:
    rules = mesh.rule_set(mesh.load_product_contract("finance.fx_rates"))
    assert rules.name == "finance.fx_rates"
    assert rules.rules == (
        Rule("rate_date_required", "rate_date", "not_null", description="required"),
        Rule("currency_required", "currency", "not_null", description="required"),
        Rule(
            "currency_in_enum", "currency", "in_set", values=("EUR", "GBP"),
            description="one of EUR, GBP",
        ),
        Rule("usd_per_unit_required", "usd_per_unit", "not_null", description="required"),
        Rule("positive_rate", "usd_per_unit", "between", min_value=0, strict_min=True),
    )  # fmt: skip


def test_consumer_policy_covers_the_product_only() -> None:
    settings = Settings()
    contract = mesh.load_product_contract("customer.customers")
    (policy,) = mesh.role_policy(contract, settings, "consumer-customer.customers")
    resources = sorted({r for s in policy["Statement"] for r in s["Resource"]})
    assert resources == [
        "arn:aws:glue:us-east-1:*:catalog",
        "arn:aws:glue:us-east-1:*:database/goldmine_local_mesh_customer",
        "arn:aws:glue:us-east-1:*:table/goldmine_local_mesh_customer/customers",
        "arn:aws:glue:us-east-1:*:table/goldmine_local_mesh_customer/customers_v1",
        "arn:aws:s3:::goldmine-local-mesh-customer",
        "arn:aws:s3:::goldmine-local-mesh-customer/customers/*",
    ]
    with pytest.raises(mesh.ContractError, match="not in the contract's roles"):
        mesh.role_policy(contract, settings, "consumer-sales.orders")


def test_cli_validate_and_grant() -> None:
    import json

    from typer.testing import CliRunner

    from goldmine.cli import _context
    from goldmine.cli.mesh import app

    _context.start(debug=False)
    runner = CliRunner()
    validated = runner.invoke(app, ["validate"])
    assert validated.exit_code == 0, validated.output
    assert "6 of 6 contracts valid" in validated.output
    granted = runner.invoke(app, ["grant", "sales.orders", "--to", "consumer-sales.orders"])
    assert granted.exit_code == 0, granted.output
    assert (
        json.loads(granted.output)
        == mesh.role_policy(
            mesh.load_product_contract("sales.orders"), Settings(), "consumer-sales.orders"
        )[0]
    )
    refused = runner.invoke(app, ["grant", "customer.customers", "--to", "analyst"])
    assert refused.exit_code != 0


@pytest.mark.parametrize("product_id", PRODUCTS)
def test_every_contract_role_policy_lints_clean(product_id: str) -> None:
    import json

    import parliament

    contract = mesh.load_product_contract(product_id)
    for role in contract.role_access():
        for document in mesh.role_policy(contract, Settings(), role):
            found = parliament.analyze_policy_string(json.dumps(document)).findings
            assert [(f.issue, f.detail) for f in found] == [], role
            resources = [r for s in document["Statement"] for r in s["Resource"]]
            assert "*" not in resources
            assert not any("_private" in r for r in resources)
