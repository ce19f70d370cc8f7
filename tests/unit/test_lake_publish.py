"""Publishing a run: staged partitions replace touched ones; nothing else moves."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from lake._ledger import encode_ledger, read_ledger, write_ledger
from lake._tables import LakeTable, partition_values, publish

TABLE = LakeTable("curated", "orders", "order_date", "order", ("order_id",))


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="curated")
        yield client


def _keys(s3, prefix):
    return sorted(
        o["Key"] for o in s3.list_objects_v2(Bucket="curated", Prefix=prefix).get("Contents", [])
    )


def test_publish_swaps_only_touched_partitions(s3):
    for day in ("2025-01-01", "2025-01-02", "2025-01-03"):
        s3.put_object(Bucket="curated", Key=f"orders/order_date={day}/old.parquet", Body=b"old")
    staged = "_staging/run/orders/"
    s3.put_object(Bucket="curated", Key=f"{staged}order_date=2025-01-02/new.parquet", Body=b"n")
    s3.put_object(Bucket="curated", Key=f"{staged}order_date=2025-01-04/new.parquet", Body=b"n")
    s3.put_object(Bucket="curated", Key=f"{staged}_temporary/0/x.parquet", Body=b"junk")

    published = publish(s3, TABLE, "run", touched={"2025-01-02", "2025-01-03", "2025-01-04"})

    assert published == [
        "orders/order_date=2025-01-02/new.parquet",
        "orders/order_date=2025-01-04/new.parquet",
    ]
    assert _keys(s3, "orders/") == [
        "orders/order_date=2025-01-01/old.parquet",  # untouched
        "orders/order_date=2025-01-02/new.parquet",
        "orders/order_date=2025-01-04/new.parquet",
    ]  # 2025-01-03 was touched and has no rows any more
    assert partition_values(s3, TABLE) == ["2025-01-01", "2025-01-02", "2025-01-04"]


def test_ledgers_are_canonical_and_rewritten_only_on_change(s3):
    entry = {"batch_id": "20250106", "files": [{"b": 1, "a": 2}]}
    assert write_ledger(s3, "curated", "build", "20250106", entry) is True
    etag = s3.head_object(Bucket="curated", Key="_ledger/build/20250106.json")["ETag"]
    assert write_ledger(s3, "curated", "build", "20250106", dict(reversed(entry.items()))) is False
    assert s3.head_object(Bucket="curated", Key="_ledger/build/20250106.json")["ETag"] == etag
    assert read_ledger(s3, "curated", "build", "20250106") == entry
    assert read_ledger(s3, "curated", "build", "20250107") is None
    assert encode_ledger(entry) == encode_ledger(dict(reversed(entry.items())))
