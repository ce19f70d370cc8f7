"""Contracts validate against the ODCS JSON schema; generated artifacts are whole-equal."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pyspark.sql import types as T

import mesh
from goldmine.query._resolve_tables import MESH_PRODUCTS
from goldmine.rules import CUSTOMER_LIFETIME_COLUMNS, DAILY_SALES_COLUMNS, PRODUCT_MONTHLY_COLUMNS
from goldmine.settings import Settings
from goldmine.validation import Rule

PRODUCTS = [
    "catalog.products",
    "catalog.stores",
    "customer.customers",
    "finance.customer_lifetime",
    "finance.fx_rates",
    "finance.product_monthly",
    "finance.revenue",
    "sales.orders",
]
#: The gold tables of DATASET section 4 and their columns, in order.
GOLD_COLUMNS = {
    "daily_sales": DAILY_SALES_COLUMNS,
    "customer_lifetime": CUSTOMER_LIFETIME_COLUMNS,
    "product_monthly": PRODUCT_MONTHLY_COLUMNS,
}


def test_one_contract_per_product() -> None:
    assert [c.product_id for c in mesh.list_contracts()] == PRODUCTS


def test_publish_order_puts_every_product_after_its_inputs() -> None:
    order = list(mesh.PUBLISH_ORDER)
    assert sorted(order) == PRODUCTS
    for contract in mesh.list_contracts():
        for spec in contract.input_products():
            upstream = spec.split("@")[0]
            assert order.index(upstream) < order.index(contract.product_id), spec


@pytest.mark.parametrize("table", sorted(GOLD_COLUMNS))
def test_every_gold_table_is_a_finance_product_built_from_other_domains(table: str) -> None:
    """The query path's mesh names (MESH_PRODUCTS) are contracts with the gold columns."""
    assert set(MESH_PRODUCTS) == set(GOLD_COLUMNS)
    contract = mesh.load_product_contract(MESH_PRODUCTS[table])
    assert contract.domain == "finance"
    assert tuple(c.name for c in contract.columns) == GOLD_COLUMNS[table]
    assert contract.custom("sourceFeeds") == []
    inputs = [spec.split("@")[0] for spec in contract.input_products()]
    assert inputs and all(not i.startswith("finance.") for i in inputs)
    for upstream in inputs:  # each input grants the finance producer read
        upstream_roles = mesh.load_product_contract(upstream).role_access()
        assert upstream_roles.get("producer-finance") == "read", upstream


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


def test_glue_table_of_customer_lifetime() -> None:
    spec = mesh.glue_table_spec(
        mesh.load_product_contract("finance.customer_lifetime"), Settings(), run_id="r1"
    )
    assert (spec.database, spec.name, spec.location, spec.partition_keys) == (
        "goldmine_local_mesh_finance",
        "customer_lifetime_v1",
        "s3://goldmine-local-mesh-finance/customer_lifetime/v1/",
        (),
    )
    assert spec.parameters["data_product"] == "finance.customer_lifetime"


def test_rule_set_of_product_monthly() -> None:
    rules = mesh.rule_set(mesh.load_product_contract("finance.product_monthly"))
    assert [(r.rule_id, r.column, r.kind) for r in rules.rules] == [
        ("month_required", "month", "not_null"),
        ("product_id_required", "product_id", "not_null"),
        ("units_required", "units", "not_null"),
        ("units_range", "units", "between"),
        ("revenue_usd_required", "revenue_usd", "not_null"),
        ("revenue_usd_range", "revenue_usd", "between"),
        ("returned_units_required", "returned_units", "not_null"),
        ("returned_units_range", "returned_units", "between"),
        ("return_rate_required", "return_rate", "not_null"),
        ("return_rate_range", "return_rate", "between"),
    ]


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
        Rule("valid_currency", "currency", "in_set", values=("EUR", "GBP")),
        Rule("usd_per_unit_required", "usd_per_unit", "not_null", description="required"),
        Rule(
            "usd_per_unit_range", "usd_per_unit", "between", min_value=0, strict_min=True,
            description="exclusiveMinimum 0",
        ),
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
    assert "8 of 8 contracts valid" in validated.output
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


# --- placement: the settings decide where, the contract server must say so ------------


def test_default_settings_place_products_where_the_contract_says() -> None:
    for environment in ("local", "aws"):
        settings = Settings(environment=environment)
        for contract in mesh.list_contracts():
            placed = mesh.placement(contract, settings)
            server = contract.server(environment)
            assert (placed.location, placed.database) == (server.location, server.database)
            assert not placed.by_rule


def test_local_stack_with_another_project_writes_to_its_own_bucket_and_database() -> None:
    settings = Settings(project="acme")
    orders = mesh.load_product_contract("sales.orders")
    placed = mesh.placement(orders, settings)
    assert placed.as_dict() == {
        "server": "local",
        "environment": "local",
        "location": "s3://acme-local-mesh-sales/orders/v1/",
        "database": "acme_local_mesh_sales",
        "declared_location": "s3://goldmine-local-mesh-sales/orders/v1/",
        "declared_database": "goldmine_local_mesh_sales",
    }
    assert placed.by_rule
    spec = mesh.glue_table_spec(orders, settings)
    assert (spec.database, spec.location, spec.bucket) == (
        "acme_local_mesh_sales",
        "s3://acme-local-mesh-sales/orders/v1/",
        "acme-local-mesh-sales",
    )
    resources = {
        r
        for document in mesh.role_policy(orders, settings, "consumer-sales.orders")
        for s in document["Statement"]
        for r in s["Resource"]
    }
    assert "arn:aws:s3:::acme-local-mesh-sales/orders/*" in resources
    assert not any("goldmine" in r for r in resources)


def test_local_bucket_override_is_honoured() -> None:
    settings = Settings(buckets={"mesh": {"finance": "my-finance"}})
    revenue = mesh.load_product_contract("finance.revenue")
    assert mesh.product_location(revenue, settings) == "s3://my-finance/revenue/v1/"
    assert mesh.private_location(revenue, settings) == "s3://my-finance/_private/revenue/v1/"


def test_aws_server_must_state_the_real_location() -> None:
    orders = mesh.load_product_contract("sales.orders")
    custom = Settings(environment="aws", buckets={"mesh": {"sales": "acme-sales-prod"}})
    with pytest.raises(mesh.ContractError) as info:
        mesh.placement(orders, custom)
    assert info.value.problems[0] == (
        "server aws location 's3://goldmine-aws-mesh-sales/orders/v1/' is not "
        "'s3://acme-sales-prod/orders/v1/' (from the settings)"
    )
    assert "GOLDMINE_BUCKETS__MESH__SALES" in info.value.problems[-1]
    with pytest.raises(mesh.ContractError, match="database 'goldmine_aws_mesh_sales' is not"):
        mesh.placement(orders, Settings(environment="aws", project="acme"))

    # The contract edited to the real location is the promise: then it publishes there.
    document = copy.deepcopy(orders.raw)
    aws = next(s for s in document["servers"] if s["environment"] == "aws")
    aws["location"] = "s3://acme-sales-prod/orders/v1/"
    edited = mesh.parse_contract(document)
    assert mesh.product_location(edited, custom) == "s3://acme-sales-prod/orders/v1/"
    # ... and no longer where the default settings would write.
    with pytest.raises(mesh.ContractError, match="location 's3://acme-sales-prod/orders/v1/'"):
        mesh.placement(edited, Settings(environment="aws"))


def test_local_server_naming_neither_stack_nor_default_is_refused() -> None:
    document = copy.deepcopy(mesh.load_product_contract("catalog.stores").raw)
    document["servers"][0]["database"] = "somewhere_else"
    contract = mesh.parse_contract(document)
    with pytest.raises(mesh.ContractError) as info:
        mesh.placement(contract, Settings(project="acme"))
    assert info.value.problems == [
        "server local states location 's3://goldmine-local-mesh-catalog/stores/v1/' and "
        "database 'somewhere_else': neither this stack's "
        "('s3://acme-local-mesh-catalog/stores/v1/', 'acme_local_mesh_catalog') nor the "
        "default local naming "
        "('s3://goldmine-local-mesh-catalog/stores/v1/', 'goldmine_local_mesh_catalog')"
    ]


# --- quality report: exact checks decide, great-expectations reports --------------------


class _FakeS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: object) -> None:  # noqa: N803
        self.objects[(Bucket, Key)] = Body


def _exact_check(contract: mesh.Contract, df: Any) -> mesh.DataCheck:
    from goldmine.validation import split

    rules = mesh.rule_set(contract)
    _, quarantined = split(df, rules)
    broken = {r for failed in quarantined["failed_rules"] for r in failed}
    return mesh.DataCheck(
        contract.product_id,
        len(df),
        (
            mesh.Check("schema", "schema", True),
            *(mesh.Check(r, "quality", r not in broken) for r in rules.rule_ids),
        ),
    )


def test_quality_report_saves_the_contract_suite_result_beside_the_registry() -> None:
    import json

    import pandas as pd

    contract = mesh.load_product_contract("finance.fx_rates")
    df = pd.DataFrame(
        {
            "rate_date": ["2026-01-01", "2026-01-01", "2026-01-02", None],
            "currency": ["EUR", "JPY", "GBP", "EUR"],
            "usd_per_unit": [1.1, 0.01, 0.0, 1.2],
        }
    )
    check = _exact_check(contract, df)
    s3 = _FakeS3()
    quality = mesh.report_quality(s3, Settings(), contract, df, check, "run-1")

    bucket, prefix = "goldmine-local-mesh-finance", "_registry/fx_rates/v1/runs/run-1/"
    assert quality.status == "failed"
    assert quality.run == f"s3://{bucket}/{prefix}run.json"
    assert quality.disagreements == ()
    assert quality.suite is not None
    assert quality.suite["result"] == f"s3://{bucket}/{prefix}great_expectations.json"
    assert quality.suite["failed_rules"] == {
        "rate_date_required": 1,
        "valid_currency": 1,
        "usd_per_unit_range": 1,
    }
    saved = json.loads(s3.objects[(bucket, f"{prefix}great_expectations.json")])
    assert saved["success"] is False
    assert len(saved["results"]) == len(mesh.rule_set(contract).rules)
    assert list(s3.objects) == [(bucket, f"{prefix}great_expectations.json")]


def test_quality_report_is_skipped_on_a_broken_schema() -> None:
    contract = mesh.load_product_contract("finance.fx_rates")
    check = mesh.DataCheck(
        contract.product_id, 3, (mesh.Check("schema", "schema", False, "missing currency"),)
    )
    s3 = _FakeS3()
    quality = mesh.report_quality(s3, Settings(), contract, object(), check, "run-2")
    assert (quality.status, quality.suite, s3.objects) == ("failed", None, {})


def test_disagreements_and_the_quality_line() -> None:
    from goldmine.validation import ExpectationOutcome, ValidationReport

    rules = mesh.rule_set(mesh.load_product_contract("finance.fx_rates"))
    check = mesh.DataCheck(
        "finance.fx_rates",
        4,
        (
            mesh.Check("schema", "schema", True),
            mesh.Check("valid_currency", "quality", False),
            mesh.Check("usd_per_unit_range", "quality", True),
            mesh.Check("freshness", "freshness", False),
        ),
    )
    report = ValidationReport(
        "finance.fx_rates",
        False,
        4,
        (
            ExpectationOutcome("valid_currency", "expect_column_values_to_be_in_set",
                               "currency", False, 1),
            ExpectationOutcome("usd_per_unit_range", "expect_column_values_to_be_between",
                               "usd_per_unit", False, 1),
        ),
    )  # fmt: skip
    assert mesh.disagreements(check, report, rules) == ("usd_per_unit_range",)

    publication = {
        "checks": [{"passed": True}] * 3,
        "quality": {
            "status": "passed",
            "great_expectations": {
                "expectations": 5,
                "failed_expectations": 0,
                "result": "s3://b/_registry/x/v1/runs/r/great_expectations.json",
            },
            "disagreements": [],
        },
    }
    assert mesh.quality_line(publication) == (
        "passed: 3/3 checks passed; great-expectations 5/5 expectations met; "
        "report s3://b/_registry/x/v1/runs/r/great_expectations.json"
    )
    publication["quality"]["disagreements"] = ["usd_per_unit_range"]
    assert "; great-expectations disagrees on usd_per_unit_range;" in mesh.quality_line(publication)
    # Publications recorded before quality reports existed still show their checks.
    assert mesh.quality_line({"checks": [{"passed": True}, {"passed": False}]}) == (
        "failed: 1/2 checks passed"
    )


def test_registry_listing_ignores_run_reports() -> None:
    import json

    import boto3
    from moto import mock_aws

    settings = Settings()
    with mock_aws():
        s3 = boto3.client("s3", region_name=settings.region)
        bucket = settings.buckets.mesh["finance"]
        s3.create_bucket(Bucket=bucket)
        entry = {"product": "finance.revenue", "majors": {}, "history": []}
        s3.put_object(Bucket=bucket, Key="_registry/revenue.json", Body=json.dumps(entry))
        for name in ("run.json", "great_expectations.json"):
            s3.put_object(Bucket=bucket, Key=f"_registry/revenue/v1/runs/r1/{name}", Body=b"{}")
        assert mesh.list_entries(s3, settings) == [entry]
