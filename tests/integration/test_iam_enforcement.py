"""Generated policies have a real effect: moto's IAM enforcement allows and denies S3 calls.

moto evaluates Action and Resource of identity policies but ignores ``StringLike``
conditions, so the ``s3:prefix`` condition of ListBucket is checked in the unit tests
(whole policy JSON), not here.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from goldmine.iam import consumer_policy, policy_for
from goldmine.settings import Settings
from tests.moto_iam import denied, enforce, s3_client_for

pytestmark = pytest.mark.integration

REGION = "us-east-1"


@pytest.fixture
def settings() -> Settings:
    return Settings(project="goldmine", environment="local")


@pytest.fixture
def aws(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "admin")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "admin")
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        for bucket, keys in {
            settings.buckets.mesh["sales"]: ["orders/part-0.parquet", "refunds/part-0.parquet"],
            settings.buckets.mesh["customer"]: ["customers/part-0.parquet"],
            settings.buckets.analytics: ["daily_sales/part-0.parquet"],
            settings.buckets.raw: ["orders/part-0.json"],
        }.items():
            s3.create_bucket(Bucket=bucket)
            for key in keys:
                s3.put_object(Bucket=bucket, Key=key, Body=b"data")
        yield


@pytest.mark.usefixtures("aws")
def test_consumer_of_sales_orders(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = s3_client_for([consumer_policy(settings, "sales", "orders")], "orders-consumer", REGION)
    sales = settings.buckets.mesh["sales"]
    enforce(monkeypatch)

    assert s3.get_object(Bucket=sales, Key="orders/part-0.parquet")["Body"].read() == b"data"
    listed = s3.list_objects_v2(Bucket=sales, Prefix="orders/")
    assert [o["Key"] for o in listed["Contents"]] == ["orders/part-0.parquet"]

    assert denied(s3.get_object, Bucket=sales, Key="refunds/part-0.parquet")  # neighbour prefix
    customer = settings.buckets.mesh["customer"]
    assert denied(s3.get_object, Bucket=customer, Key="customers/part-0.parquet")
    assert denied(s3.list_objects_v2, Bucket=customer)  # another domain's bucket
    assert denied(s3.put_object, Bucket=sales, Key="orders/part-1.parquet", Body=b"x")


@pytest.mark.usefixtures("aws")
def test_analyst_reads_gold_not_raw(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    s3 = s3_client_for(policy_for("analyst", settings), "analyst", REGION)
    enforce(monkeypatch)

    gold = settings.buckets.analytics
    assert s3.get_object(Bucket=gold, Key="daily_sales/part-0.parquet")["Body"].read() == b"data"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=gold)["Contents"]] == [
        "daily_sales/part-0.parquet"
    ]
    assert denied(s3.get_object, Bucket=settings.buckets.raw, Key="orders/part-0.json")
    assert denied(s3.list_objects_v2, Bucket=settings.buckets.raw)
    assert denied(s3.put_object, Bucket=gold, Key="daily_sales/x.parquet", Body=b"x")
