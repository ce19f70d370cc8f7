"""Tag policy, tag helpers (against in-process moto) and the cost estimate arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from goldmine.cost import (
    NO_QUERIES,
    NO_RUNS,
    AthenaScan,
    CostLine,
    JobRunUsage,
    Measurements,
    Prices,
    StorageUsage,
    billed_athena_bytes,
    estimate_monthly,
    load_prices,
    measure_storage,
    read_athena_scans,
    read_job_runs,
)
from goldmine.settings import Settings
from goldmine.tags import (
    TagPolicyError,
    TagViolation,
    bucket_domains,
    check_tags,
    glue_table_arn,
    tag_athena_workgroup,
    tag_bucket,
    tag_emr_cluster,
    tag_emr_serverless_application,
    tag_glue_database,
    tag_glue_table,
    tag_policy,
    tags_for,
)

REGION = "us-east-1"
MIB = 1024**2
GIB = 1024**3
TIB = 1024**4


@pytest.fixture
def settings() -> Settings:
    return Settings(project="goldmine", environment="local")


# --- policy -------------------------------------------------------------------------


def test_tags_for_a_bucket(settings: Settings) -> None:
    assert tags_for(settings, domain="lake") == {
        "project": "goldmine",
        "environment": "local",
        "domain": "lake",
        "cost-center": "data-platform",
        "owner": "data-platform-team",
    }


def test_tags_for_a_data_product(settings: Settings) -> None:
    assert tags_for(settings, domain="sales", data_product="sales.orders") == {
        "project": "goldmine",
        "environment": "local",
        "domain": "sales",
        "cost-center": "data-platform",
        "owner": "data-platform-team",
        "data-product": "sales.orders",
    }


def test_tags_for_rejects_values_outside_the_policy(settings: Settings) -> None:
    with pytest.raises(TagPolicyError) as err:
        tags_for(settings, domain="marketing", data_product="Sales-Orders")
    assert str(err.value) == (
        "tag domain='marketing' is invalid: expected "
        "platform|lake|lakehouse|sales|customer|catalog|finance; "
        "tag data-product='Sales-Orders' is invalid: expected ^[a-z]+\\.[a-z_]+$"
    )


def test_check_tags_reports_missing_and_invalid() -> None:
    violations = check_tags(
        {"project": "goldmine", "environment": "prod", "domain": "sales", "owner": "x"},
        require_data_product=True,
    )
    assert violations == [
        TagViolation("environment", "invalid", "prod", "local|aws"),
        TagViolation("cost-center", "missing", None, "^[a-z0-9][a-z0-9-]{1,62}$"),
        TagViolation("owner", "invalid", "x", "^[a-z0-9][a-z0-9.@_-]{1,127}$"),
        TagViolation("data-product", "missing", None, "^[a-z]+\\.[a-z_]+$"),
    ]
    assert [v.message() for v in violations[:2]] == [
        "tag environment='prod' is invalid: expected local|aws",
        "missing tag 'cost-center' (expected ^[a-z0-9][a-z0-9-]{1,62}$)",
    ]


def test_check_tags_reports_mismatches(settings: Settings) -> None:
    tags = tags_for(settings, domain="lake") | {"data-product": "sales.orders"}
    assert check_tags(tags, expected={"domain": "sales", "environment": "local"}) == [
        TagViolation("domain", "mismatch", "lake", "sales"),
        TagViolation("data-product", "mismatch", "sales.orders", "lake.*"),
    ]


def test_compliant_tags_have_no_violation(settings: Settings) -> None:
    tags = tags_for(settings, domain="catalog", data_product="catalog.stores")
    assert check_tags(tags, require_data_product=True) == []


def test_every_bucket_has_a_domain(settings: Settings) -> None:
    assert bucket_domains(settings) == {
        "goldmine-local-landing": "platform",
        "goldmine-local-raw": "lake",
        "goldmine-local-curated": "lake",
        "goldmine-local-analytics": "lake",
        "goldmine-local-lakehouse": "lakehouse",
        "goldmine-local-athena-results": "platform",
        "goldmine-local-artifacts": "platform",
        "goldmine-local-access-logs": "platform",
        "goldmine-local-mesh-sales": "sales",
        "goldmine-local-mesh-customer": "customer",
        "goldmine-local-mesh-catalog": "catalog",
        "goldmine-local-mesh-finance": "finance",
    }


def test_tag_policy_is_plain_data(settings: Settings) -> None:
    policy = tag_policy(settings)
    assert json.loads(json.dumps(policy)) == policy
    assert policy["required"] == ["project", "environment", "domain", "cost-center", "owner"]
    assert policy["conditional"] == ["data-product"]
    assert policy["defaults"] == {
        "project": "goldmine",
        "environment": "local",
        "cost-center": "data-platform",
        "owner": "data-platform-team",
    }
    assert policy["rules"]["environment"] == {
        "pattern": "^(local|aws)$",
        "allowed": ["local", "aws"],
        "description": "named deployment (local|aws)",
    }
    assert policy["rules"]["data-product"] == {
        "pattern": "^[a-z]+\\.[a-z_]+$",
        "allowed": None,
        "description": "data product id <domain>.<product>, e.g. sales.orders",
    }
    assert policy["buckets"] == bucket_domains(settings)
    assert "buckets" not in tag_policy()


# --- apply helpers (in-process moto: call shapes) ------------------------------------


@mock_aws
def test_tag_bucket_merges_existing_tags(settings: Settings) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="goldmine-local-raw")
    s3.put_bucket_tagging(
        Bucket="goldmine-local-raw",
        Tagging={
            "TagSet": [{"Key": "team-note", "Value": "keep"}, {"Key": "domain", "Value": "x"}]
        },
    )
    merged = tag_bucket(s3, "goldmine-local-raw", tags_for(settings, domain="lake"))
    stored = s3.get_bucket_tagging(Bucket="goldmine-local-raw")["TagSet"]
    assert (
        {t["Key"]: t["Value"] for t in stored}
        == merged
        == {
            "team-note": "keep",
            "domain": "lake",
            "project": "goldmine",
            "environment": "local",
            "cost-center": "data-platform",
            "owner": "data-platform-team",
        }
    )


@mock_aws
def test_tag_glue_database_and_table(settings: Settings) -> None:
    glue = boto3.client("glue", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    glue.create_database(DatabaseInput={"Name": "goldmine_local_mesh_sales"})
    glue.create_table(DatabaseName="goldmine_local_mesh_sales", TableInput={"Name": "orders"})
    tags = tags_for(settings, domain="sales", data_product="sales.orders")
    db_arn = tag_glue_database(glue, sts, "goldmine_local_mesh_sales", tags)
    table_arn = tag_glue_table(glue, sts, "goldmine_local_mesh_sales", "orders", tags)
    assert db_arn == "arn:aws:glue:us-east-1:123456789012:database/goldmine_local_mesh_sales"
    assert table_arn == "arn:aws:glue:us-east-1:123456789012:table/goldmine_local_mesh_sales/orders"
    assert glue.get_tags(ResourceArn=table_arn)["Tags"] == tags


@mock_aws
def test_a_client_asks_sts_for_its_account_once(settings: Settings) -> None:
    glue = boto3.client("glue", region_name=REGION)
    sts = boto3.client("sts", region_name=REGION)
    asked: list[str] = []
    sts.meta.events.register("before-call.sts.GetCallerIdentity", lambda **_: asked.append("x"))
    glue.create_database(DatabaseInput={"Name": "db"})
    for name in ("a", "b", "c"):
        glue.create_table(DatabaseName="db", TableInput={"Name": name})
        tag_glue_table(glue, sts, "db", name, {"owner": "me"})
    tag_glue_database(glue, sts, "db", {"owner": "me"})
    assert len(asked) == 1  # a build tags each of its tables: one request, not one each
    other = boto3.client("sts", region_name=REGION)  # another client asks for itself
    other.meta.events.register("before-call.sts.GetCallerIdentity", lambda **_: asked.append("y"))
    tag_glue_table(glue, other, "db", "a", {"owner": "me"})
    assert asked == ["x", "y"]
    assert glue.get_tags(ResourceArn=glue_table_arn(REGION, "123456789012", "db", "c"))["Tags"] == {
        "owner": "me"
    }


@mock_aws
def test_tag_athena_workgroup_and_emr_cluster(settings: Settings) -> None:
    sts = boto3.client("sts", region_name=REGION)
    tags = tags_for(settings, domain="platform")
    athena = boto3.client("athena", region_name=REGION)
    athena.create_work_group(Name="goldmine-analysts")
    arn = tag_athena_workgroup(athena, sts, "goldmine-analysts", tags)
    assert arn == "arn:aws:athena:us-east-1:123456789012:workgroup/goldmine-analysts"
    listed = athena.list_tags_for_resource(ResourceARN=arn)["Tags"]
    assert {t["Key"]: t["Value"] for t in listed} == tags

    emr = boto3.client("emr", region_name=REGION)
    cluster = emr.run_job_flow(
        Name="c",
        ReleaseLabel="emr-7.12.0",
        Instances={"InstanceCount": 1, "MasterInstanceType": "m5.xlarge"},
        JobFlowRole="EMR_EC2_DefaultRole",
        ServiceRole="EMR_DefaultRole",
    )["JobFlowId"]
    tag_emr_cluster(emr, cluster, tags)
    described = emr.describe_cluster(ClusterId=cluster)["Cluster"]["Tags"]
    assert {t["Key"]: t["Value"] for t in described} == tags


def test_tag_emr_serverless_application_call_shape(settings: Settings) -> None:
    # moto does not implement emr-serverless TagResource: check the call with a Stubber.
    serverless = boto3.client(
        "emr-serverless", region_name=REGION, aws_access_key_id="k", aws_secret_access_key="s"
    )
    arn = "arn:aws:emr-serverless:us-east-1:123456789012:/applications/00abc"
    tags = tags_for(settings, domain="lakehouse")
    with Stubber(serverless) as stub:
        stub.add_response("tag_resource", {}, {"resourceArn": arn, "tags": tags})
        tag_emr_serverless_application(serverless, arn, tags)
        stub.assert_no_pending_responses()


# --- estimate --------------------------------------------------------------------------


def _prices() -> Prices:
    return Prices.model_validate(
        {
            "region": "us-east-1",
            "currency": "USD",
            "copied_on": "2026-01-01",
            "s3_standard": {"usd_per_gb_month": 0.023, "gb_bytes": GIB, "source": "s3"},
            "athena": {
                "usd_per_tb_scanned": 5.0,
                "tb_bytes": TIB,
                "minimum_bytes_per_query": 10 * MIB,
                "round_up_bytes": MIB,
                "source": "athena",
            },
            "emr_serverless": {
                "usd_per_vcpu_hour": 0.052624,
                "usd_per_memory_gb_hour": 0.0057785,
                "usd_per_storage_gb_hour": 0.000111,
                "source": "emr",
            },
            "assumptions": {"athena_query_runs_per_month": 30, "job_runs_per_month": 10},
        }
    )


def test_athena_billing_rounds_up_to_the_mb_with_a_10_mb_minimum() -> None:
    price = _prices().athena
    assert billed_athena_bytes(0, price) == 10 * MIB
    assert billed_athena_bytes(1, price) == 10 * MIB
    assert billed_athena_bytes(10 * MIB + 1, price) == 11 * MIB
    assert billed_athena_bytes(3 * TIB, price) == 3 * TIB


def test_estimate_arithmetic() -> None:
    measurements = Measurements(
        storage=(
            StorageUsage("goldmine-local-raw", "orders/", 2 * GIB, 4, "lake", "lake"),
            StorageUsage("goldmine-local-mesh-sales", "orders/", GIB // 2, 2, "mesh", "sales"),
        ),
        athena_scans=(
            AthenaScan("daily_sales", 1_000, "lake", "lake"),  # billed as 10 MB
            AthenaScan("top_products", TIB, "lakehouse", "lakehouse", runs_per_month=2),
        ),
        job_runs=(JobRunUsage("build_gold", "lakehouse", "lakehouse", 2.0, 8.0, 20.0),),
    )
    estimate = estimate_monthly(measurements, _prices())
    tiny_tb = 10 * MIB * 30 / TIB
    assert estimate.lines == (
        CostLine(
            "storage", "lake", "lake", "s3://goldmine-local-raw/orders/", 2.0, "GB-month", 0.046
        ),
        CostLine(
            "storage",
            "mesh",
            "sales",
            "s3://goldmine-local-mesh-sales/orders/",
            0.5,
            "GB-month",
            0.0115,
        ),
        CostLine("athena", "lake", "lake", "daily_sales", tiny_tb, "TB scanned", tiny_tb * 5.0),
        CostLine("athena", "lakehouse", "lakehouse", "top_products", 2.0, "TB scanned", 10.0),
        CostLine(
            "emr_serverless",
            "lakehouse",
            "lakehouse",
            "build_gold",
            20.0,
            "vCPU-hours",
            pytest.approx((2 * 0.052624 + 8 * 0.0057785 + 20 * 0.000111) * 10),
        ),
    )
    assert estimate.notes == ()
    by_arch = estimate.by_architecture()
    assert by_arch == {
        "lake": pytest.approx(0.046 + 0.001430511474609375),
        "lakehouse": pytest.approx(10.0 + 1.53696),
        "mesh": pytest.approx(0.0115),
        "shared": 0.0,
    }
    assert estimate.by_domain() == {
        "lake": pytest.approx(0.047430511474609375),
        "lakehouse": pytest.approx(11.53696),
        "sales": pytest.approx(0.0115),
    }
    assert estimate.total == pytest.approx(0.047430511474609375 + 11.53696 + 0.0115)


def test_estimate_without_queries_or_runs_says_so() -> None:
    estimate = estimate_monthly(Measurements(), _prices())
    assert estimate.lines == ()
    assert estimate.notes == (NO_QUERIES, NO_RUNS)
    assert NO_QUERIES == "no measured queries yet"
    assert estimate.total == 0.0


def test_price_file_cites_region_sources_and_date() -> None:
    prices = load_prices()
    assert prices.region == "us-east-1"
    assert prices.athena.usd_per_tb_scanned == 5.0
    assert prices.athena.minimum_bytes_per_query == 10 * MIB
    assert prices.s3_standard.source == "https://aws.amazon.com/s3/pricing/"
    assert prices.athena.source == "https://aws.amazon.com/athena/pricing/"
    assert prices.emr_serverless.source == "https://aws.amazon.com/emr/pricing/"
    assert len(prices.copied_on) == 10 and prices.copied_on[4] == "-"


def test_read_runs_keeps_the_last_run_of_each_job(tmp_path: Path) -> None:
    runs = tmp_path / "runs"
    runs.mkdir()
    assert read_athena_scans(runs) is None
    (runs / "athena-scans.json").write_text(
        json.dumps([["q1", 5], {"query": "q2", "bytes_scanned": 7, "architecture": "lake"}])
    )
    record = {"architecture": "lake", "job": "raw_orders", "vcpu_hours": 1, "memory_gb_hours": 4}
    (runs / "a.json").write_text(json.dumps({**record, "finished_at": "2026-01-01T00:00:00"}))
    (runs / "b.json").write_text(
        json.dumps({**record, "vcpu_hours": 3, "finished_at": "2026-01-02T00:00:00"})
    )
    (runs / "c.json").write_text(json.dumps({"something": "else"}))
    assert read_athena_scans(runs) == (AthenaScan("q1", 5), AthenaScan("q2", 7, "lake"))
    assert read_job_runs(runs) == (JobRunUsage("raw_orders", "lake", "lake", 3.0, 4.0, 0.0),)
    assert read_job_runs(tmp_path / "missing") == ()


@mock_aws
def test_measure_storage_sums_sizes_per_top_level_prefix(settings: Settings) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="goldmine-local-raw")
    s3.create_bucket(Bucket="not-the-platform")
    s3.put_object(Bucket="goldmine-local-raw", Key="orders/a.parquet", Body=b"x" * 10)
    s3.put_object(Bucket="goldmine-local-raw", Key="orders/b/c.parquet", Body=b"x" * 5)
    s3.put_object(Bucket="goldmine-local-raw", Key="_manifest", Body=b"x" * 3)
    s3.put_object(Bucket="not-the-platform", Key="k", Body=b"x")
    assert measure_storage(s3, settings) == (
        StorageUsage("goldmine-local-raw", "", 3, 1, "lake", "lake"),
        StorageUsage("goldmine-local-raw", "orders/", 15, 2, "lake", "lake"),
    )
