"""The mesh on the local services: every product publishes from the landed week.

One module-scoped publication of all six products is shared by the tests; the
refusal test then tries to publish a broken sales.orders on top of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import moto.settings
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

import mesh
from goldmine.platform import Platform
from tests.oracle import DAILY_SALES_KEYS, expected_from_s3
from tests.oracle_compare import assert_frames_equal

pytestmark = [pytest.mark.integration, pytest.mark.spark]


@pytest.fixture(scope="module")
def published(mesh_published: dict[str, mesh.PublishResult]) -> dict[str, mesh.PublishResult]:
    """Every product published from the week (the session's publication, conftest)."""
    return mesh_published


def _delta(platform: Platform, location: str) -> Any:
    from deltalake import DeltaTable

    return DeltaTable(location, storage_options=platform.aws.storage_options())


def test_every_product_is_published_and_registered(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    entries = {e["product"]: e for e in mesh.list_entries(platform.aws.s3(), platform.settings)}
    assert sorted(entries) == sorted(mesh.PUBLISH_ORDER)
    glue = platform.aws.client("glue")
    for product_id, result in published.items():
        pub = mesh.publication(entries[product_id], 1)
        assert pub["run_id"] == f"test-{product_id}"
        assert pub["delta_version"] == result.delta_version
        contract = mesh.load_product_contract(product_id)
        for name in mesh.table_names(contract):
            table = glue.get_table(DatabaseName=pub["database"], Name=name)["Table"]
            assert table["StorageDescriptor"]["Location"] == pub["location"]
    revenue = mesh.publication(entries["finance.revenue"], 1)
    assert [i["product"] for i in revenue["lineage"]["inputs"]] == [
        "sales.orders",
        "catalog.products",
    ]
    assert revenue["lineage"]["source_feeds"] == {}


def _read_json(platform: Platform, uri: str) -> Any:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(platform.aws.s3().get_object(Bucket=bucket, Key=key)["Body"].read())


def test_every_publication_records_its_great_expectations_report(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    for product_id, result in published.items():
        entry = mesh.read_entry(platform.aws.s3(), platform.settings, product_id)
        assert entry is not None
        pub = mesh.publication(entry, 1)
        quality = pub["quality"]
        assert result.quality is not None and quality == result.quality.as_dict()
        assert (quality["status"], quality["disagreements"]) == ("passed", []), product_id
        suite = quality["great_expectations"]
        contract = mesh.load_product_contract(product_id)
        assert (suite["success"], suite["failed_expectations"]) == (True, 0), product_id
        assert suite["records"] == pub["rows"]
        bucket = platform.settings.buckets.mesh[contract.domain]
        runs = f"s3://{bucket}/_registry/{contract.name}/v1/runs/test-{product_id}/"
        assert suite["result"] == f"{runs}great_expectations.json"
        saved = _read_json(platform, suite["result"])
        assert saved["success"] is True
        assert len(saved["results"]) == suite["expectations"] > 0
        run = _read_json(platform, quality["run"])
        assert quality["run"] == f"{runs}run.json"
        assert (run["published"], run["delta_version"]) == (True, pub["delta_version"])
        assert mesh.quality_line(pub).startswith("passed: ")


def test_revenue_equals_the_oracle_daily_sales(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    expected = expected_from_s3(platform.aws.s3(), platform.settings.buckets.landing)
    actual = _delta(platform, published["finance.revenue"].location).to_pandas()
    assert len(actual) > 0
    assert_frames_equal(actual, expected.daily_sales, DAILY_SALES_KEYS)


def test_outside_reader_sees_the_contract_schema(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    import pyarrow as pa

    arrow_types = {
        "string": pa.string(), "int": pa.int32(), "bigint": pa.int64(), "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"), "boolean": pa.bool_(),
    }  # fmt: skip
    for product_id, result in published.items():
        contract = mesh.load_product_contract(product_id)
        schema = pa.schema(_delta(platform, result.location).schema().to_arrow())
        expected = []
        for column in contract.columns:
            spec = mesh._types.parse_type(column.physical_type)
            arrow = (
                pa.decimal128(spec.precision, spec.scale)
                if spec.base == "decimal"
                else arrow_types[spec.base]
            )
            expected.append((column.name, str(arrow)))
        actual = [(f.name, str(f.type)) for f in schema]
        assert sorted(actual) == sorted(expected), product_id


def test_published_customers_hold_no_raw_pii(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    contract = mesh.load_product_contract("customer.customers")
    public = _delta(platform, published["customer.customers"].location).to_pandas()
    private = _delta(platform, mesh.private_location(contract, platform.settings)).to_pandas()
    assert public["email"].dropna().str.fullmatch(r"[0-9a-f]{64}").all()
    assert public["first_name"].dropna().str.fullmatch(r".\*\*\*").all()
    assert private["email"].dropna().str.contains("@").all()
    assert not set(public["email"].dropna()) & set(private["email"].dropna())


def test_broken_data_is_refused_and_the_previous_version_stays(
    platform: Platform, spark: Any, published: dict[str, mesh.PublishResult]
) -> None:
    from pyspark.sql import functions as F

    before = published["sales.orders"]
    registry_before = mesh.read_entry(platform.aws.s3(), platform.settings, "sales.orders")

    def break_quantities(df: Any) -> Any:
        return df.withColumn(
            "quantity", F.when(F.col("line_no") == 1, F.lit(0)).otherwise(F.col("quantity"))
        )

    result = mesh.publish_product(platform, spark, "sales.orders", transform=break_quantities)
    assert not result.published
    assert [c.name for c in result.check.failures] == ["positive_quantity"]
    table = _delta(platform, before.location)
    assert table.version() == before.delta_version
    assert (table.to_pandas()["quantity"] > 0).all()
    assert mesh.read_entry(platform.aws.s3(), platform.settings, "sales.orders") == registry_before
    # The refused run's report is kept beside the registry, so the owner sees why.
    assert result.quality is not None and result.check.report == result.quality.run
    assert result.quality.status == "failed" and result.quality.disagreements == ()
    assert result.quality.suite is not None
    assert list(result.quality.suite["failed_rules"]) == ["positive_quantity"]
    assert _read_json(platform, result.quality.suite["result"])["success"] is False
    run = _read_json(platform, result.quality.run)
    assert run["published"] is False
    assert [c["name"] for c in run["checks"] if not c["passed"]] == ["positive_quantity"]
    assert result.check.report in result.check.summary()


# --- access: moto's IAM enforcement over the real published object keys -----------------


def _keys(platform: Platform, bucket: str, prefix: str) -> list[str]:
    s3 = platform.aws.s3()
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for p in pages for o in p.get("Contents", [])]


@pytest.fixture
def enforced_copy(
    platform: Platform, published: dict[str, mesh.PublishResult], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, list[str]]]:
    """The published mesh object keys, copied (as stubs) into an in-process moto S3."""
    settings = platform.settings
    layout = {
        settings.buckets.mesh["sales"]: _keys(platform, settings.buckets.mesh["sales"], "orders/"),
        settings.buckets.mesh["customer"]: _keys(platform, settings.buckets.mesh["customer"], ""),
    }
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "admin")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "admin")
    with mock_aws():
        s3 = boto3.client("s3", region_name=settings.region)
        for bucket, keys in layout.items():
            s3.create_bucket(Bucket=bucket)
            for key in keys:
                s3.put_object(Bucket=bucket, Key=key, Body=b"data")
        yield layout


def _client_for(documents: list[dict[str, Any]], name: str, region: str) -> Any:
    iam = boto3.client("iam", region_name=region)
    iam.create_user(UserName=name)
    for i, document in enumerate(documents):
        arn = iam.create_policy(PolicyName=f"{name}-{i}", PolicyDocument=json.dumps(document))
        iam.attach_user_policy(UserName=name, PolicyArn=arn["Policy"]["Arn"])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )


def _denied(call: Any, **kwargs: Any) -> bool:
    try:
        call(**kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "AccessDenied"
    return False


def test_granted_consumer_reads_orders_and_is_denied_raw_pii(
    platform: Platform, enforced_copy: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = platform.settings
    orders = mesh.load_product_contract("sales.orders")
    customers = mesh.load_product_contract("customer.customers")
    policy = mesh.role_policy(orders, settings, "consumer-sales.orders")
    s3 = _client_for(policy, "orders-consumer", settings.region)
    masked = _client_for(
        mesh.role_policy(customers, settings, "consumer-customer.customers"),
        "customers-consumer",
        settings.region,
    )
    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)

    sales_bucket, customer_bucket = (
        settings.buckets.mesh["sales"],
        settings.buckets.mesh["customer"],
    )
    data_keys = [k for k in enforced_copy[sales_bucket] if k.endswith(".parquet")]
    assert data_keys and s3.get_object(Bucket=sales_bucket, Key=data_keys[0])["Body"].read()
    assert s3.list_objects_v2(Bucket=sales_bucket, Prefix="orders/")["KeyCount"] > 0

    raw_pii = [k for k in enforced_copy[customer_bucket] if k.startswith("_private/customers/")]
    public = [k for k in enforced_copy[customer_bucket] if k.startswith("customers/")]
    assert raw_pii and public
    assert _denied(s3.get_object, Bucket=customer_bucket, Key=raw_pii[0])
    assert _denied(s3.get_object, Bucket=customer_bucket, Key=public[0])
    # Even the customers product's own consumers get the masked view only.
    assert masked.get_object(Bucket=customer_bucket, Key=public[0])["Body"].read()
    assert _denied(masked.get_object, Bucket=customer_bucket, Key=raw_pii[0])


def test_cli_lists_and_shows_products(
    platform: Platform, published: dict[str, mesh.PublishResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from goldmine.cli import _context
    from goldmine.cli.mesh import app

    _context.start(debug=False)
    monkeypatch.setattr(_context._CONTEXT, "platform", platform)
    monkeypatch.setattr(_context._CONTEXT, "settings", platform.settings)
    runner = CliRunner()
    listed = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    for product_id in mesh.PUBLISH_ORDER:
        assert product_id in listed.output
    shown = runner.invoke(app, ["show", "finance.revenue"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    for text in (
        "finance.revenue 1.0.0 (owner finance-data-team)",
        "SLA freshness: 2d on order_date",
        "checks passed",
        "inputs: sales.orders 1.0.0@",
        "goldmine_local_mesh_finance.revenue_v1",
    ):
        assert text in shown.output


def test_breaking_change_publishes_a_new_major_alongside(
    platform: Platform, spark: Any, published: dict[str, mesh.PublishResult]
) -> None:
    import copy

    old = mesh.load_product_contract("catalog.stores")
    document = copy.deepcopy(old.raw)
    document["version"] = "2.0.0"
    channel = next(p for p in document["schema"][0]["properties"] if p["name"] == "channel")
    channel["enum"] = [{"value": "store"}, {"value": "web"}, {"value": "marketplace"}]
    document["schema"][0]["properties"] = [
        p for p in document["schema"][0]["properties"] if p["name"] != "opened_on"
    ]
    for server in document["servers"]:
        server["location"] = server["location"].replace("/stores/v1/", "/stores/v2/")
    new = mesh.parse_contract(document)
    assert mesh.diff_contracts(old, new).breaking  # removed column: needs the major bump

    def drop_opened_on(df: Any) -> Any:
        return df.drop("opened_on")

    result = mesh.publish_product(
        platform, spark, "catalog.stores", contract=new, transform=drop_opened_on
    )
    assert result.published, result.check.summary()
    assert result.location.endswith("/stores/v2/")
    v1 = _delta(platform, published["catalog.stores"].location)
    assert "opened_on" in [f.name for f in v1.schema().fields]
    entry = mesh.read_entry(platform.aws.s3(), platform.settings, "catalog.stores")
    assert entry is not None and sorted(entry["majors"]) == ["1", "2"]
    glue = platform.aws.client("glue")
    db = platform.settings.database("mesh_catalog")
    location = {
        name: glue.get_table(DatabaseName=db, Name=name)["Table"]["StorageDescriptor"]["Location"]
        for name in ("stores", "stores_v1", "stores_v2")
    }
    assert location == {
        "stores": result.location,
        "stores_v1": published["catalog.stores"].location,
        "stores_v2": result.location,
    }


def test_another_project_publishes_to_its_own_bucket_and_database(
    platform: Platform, spark: Any, published: dict[str, mesh.PublishResult]
) -> None:
    """Same local services, project ``acme``: the settings' names, not the contract's."""
    from goldmine.platform import connect
    from goldmine.settings import load_settings

    base = platform.settings
    settings = load_settings(
        **base.model_dump(exclude={"project", "buckets"}),
        project="acme",
        buckets={"landing": base.buckets.landing},  # the landed week
    )
    acme = connect(settings)
    before = mesh.read_entry(platform.aws.s3(), base, "catalog.stores")

    result = mesh.publish_product(acme, spark, "catalog.stores", run_id="test-acme")

    assert result.published, result.check.summary()
    assert result.location == "s3://acme-local-mesh-catalog/stores/v1/"
    table = platform.aws.client("glue").get_table(
        DatabaseName="acme_local_mesh_catalog", Name="stores_v1"
    )["Table"]
    assert table["StorageDescriptor"]["Location"] == result.location
    entry = mesh.read_entry(acme.aws.s3(), settings, "catalog.stores")
    assert entry is not None
    pub = mesh.publication(entry, 1)
    assert (pub["location"], pub["database"]) == (result.location, "acme_local_mesh_catalog")
    contract = mesh.load_product_contract("catalog.stores")
    assert pub["server"]["declared_location"] == contract.server("local").location
    assert pub["quality"]["great_expectations"]["result"].startswith(
        "s3://acme-local-mesh-catalog/_registry/stores/v1/runs/test-acme/"
    )
    stores = _delta(platform, result.location).to_pandas()
    assert len(stores) == published["catalog.stores"].check.rows
    # The default stack is untouched.
    assert mesh.read_entry(platform.aws.s3(), base, "catalog.stores") == before
