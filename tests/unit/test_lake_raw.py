"""Raw zone: byte-identical copies, checksummed ledger, rerun no-op, conflicts refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import boto3
import pytest
from moto import mock_aws

from lake import NothingLandedError, RawConflictError
from lake.raw import ingest_day, list_landed_dates, raw_table_specs
from lake.raw._ingest import check_encoding

DAY = dt.date(2025, 1, 6)
ORDERS = b'{"order_id":"O1","items":[]}\n{"order_id":"O2"\n'
CUSTOMERS = "customer_id,email\nC1,zoë@example.com\n".encode()


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        for bucket in ("landing", "raw"):
            client.create_bucket(Bucket=bucket)
        client.put_object(
            Bucket="landing",
            Key="sales/orders/ingest_date=2025-01-06/orders-20250106.jsonl",
            Body=ORDERS,
        )
        client.put_object(
            Bucket="landing",
            Key="crm/customers/ingest_date=2025-01-06/customers-20250106.csv",
            Body=CUSTOMERS,
        )
        client.put_object(Bucket="landing", Key="stores/stores.csv", Body=b"store_id\nS1\n")
        client.put_object(Bucket="landing", Key="_manifests/manifest-20250106.json", Body=b"{}")
        yield client


def _etags(s3):
    return {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket="raw").get("Contents", [])}


def test_ingest_copies_bytes_by_feed_and_day_with_a_ledger(s3):
    [result] = ingest_day(s3, "landing", "raw", DAY)

    raw_orders = s3.get_object(
        Bucket="raw", Key="orders/ingest_date=2025-01-06/orders-20250106.jsonl"
    )
    assert raw_orders["Body"].read() == ORDERS
    keys = set(_etags(s3))
    assert keys == {
        "orders/ingest_date=2025-01-06/orders-20250106.jsonl",
        "customers/ingest_date=2025-01-06/customers-20250106.csv",
        "stores/ingest_date=2025-01-06/stores.csv",
        "_ledger/ingest/20250106.json",
    }
    ledger = json.loads(
        s3.get_object(Bucket="raw", Key="_ledger/ingest/20250106.json")["Body"].read()
    )
    by_key = {f["raw_key"]: f for f in ledger["files"]}
    orders = by_key["orders/ingest_date=2025-01-06/orders-20250106.jsonl"]
    assert orders["sha256"] == hashlib.sha256(ORDERS).hexdigest()
    assert orders["bytes"] == len(ORDERS)
    assert result.batch_id == "20250106" and len(result.copied) == 3


def test_rerun_is_a_no_op_and_stores_are_copied_once(s3):
    ingest_day(s3, "landing", "raw", DAY)
    before = _etags(s3)
    [again] = ingest_day(s3, "landing", "raw", DAY)
    assert again.copied == () and again.skipped == 3
    assert _etags(s3) == before

    s3.put_object(
        Bucket="landing",
        Key="sales/orders/ingest_date=2025-01-07/orders-20250107.jsonl",
        Body=ORDERS,
    )
    [next_day] = ingest_day(s3, "landing", "raw", dt.date(2025, 1, 7))
    assert [f.feed for f in next_day.files] == ["orders"]  # same stores.csv: not copied again
    assert list_landed_dates(s3, "landing") == [DAY, dt.date(2025, 1, 7)]


def _ledger(s3, batch_id):
    key = f"_ledger/ingest/{batch_id}.json"
    return json.loads(s3.get_object(Bucket="raw", Key=key)["Body"].read())


def test_batches_are_named_by_their_files_and_a_late_file_joins_its_batch(s3):
    """DATASET.md section 1: a batch is the ``<batch_id>`` of its file names, not the day."""
    ingest_day(s3, "landing", "raw", DAY)
    # A second batch on the same ingest date (a correction), and a late file of the first.
    s3.put_object(
        Bucket="landing",
        Key="sales/orders/ingest_date=2025-01-06/orders-20250106-fix1.jsonl",
        Body=ORDERS,
    )
    s3.put_object(
        Bucket="landing",
        Key="catalog/products/ingest_date=2025-01-06/products-20250106.csv",
        Body=b"product_id\nP1\n",
    )
    s3.put_object(Bucket="landing", Key="sales/orders/ingest_date=2025-01-06/notes.txt", Body=b"x")

    results = {r.batch_id: r for r in ingest_day(s3, "landing", "raw", DAY)}

    assert sorted(results) == ["20250106", "20250106-fix1"]
    assert [f.feed for f in results["20250106-fix1"].files] == ["orders"]
    assert results["20250106"].copied == ("products/ingest_date=2025-01-06/products-20250106.csv",)
    first = {f["raw_key"] for f in _ledger(s3, "20250106")["files"]}
    assert "products/ingest_date=2025-01-06/products-20250106.csv" in first
    assert "stores/ingest_date=2025-01-06/stores.csv" in first  # stays with its batch
    assert len(first) == 4
    fix = _ledger(s3, "20250106-fix1")
    assert fix["ingest_date"] == "2025-01-06" and len(fix["files"]) == 1
    assert "orders/ingest_date=2025-01-06/notes.txt" not in _etags(s3)  # not a source file


def test_other_bytes_for_an_existing_raw_object_are_refused(s3):
    ingest_day(s3, "landing", "raw", DAY)
    s3.put_object(
        Bucket="landing",
        Key="sales/orders/ingest_date=2025-01-06/orders-20250106.jsonl",
        Body=ORDERS + b"{}\n",
    )
    with pytest.raises(RawConflictError, match="already holds other bytes"):
        ingest_day(s3, "landing", "raw", DAY)
    body = s3.get_object(Bucket="raw", Key="orders/ingest_date=2025-01-06/orders-20250106.jsonl")
    assert body["Body"].read() == ORDERS


def test_a_day_without_files_is_a_clear_error(s3):
    with pytest.raises(NothingLandedError, match="nothing landed for 2025-02-01"):
        ingest_day(s3, "landing", "raw", dt.date(2025, 2, 1))


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", None),
        ("a,b\n1,é\n".encode(), None),
        ("a,b\n1,é\n".encode("latin-1"), "byte 0xe9 at offset 6"),
        ("a,b\n".encode("utf-16"), "UTF-16 byte-order mark"),
        ("a,b\n".encode("utf-16-le"), "NUL bytes"),
    ],
)
def test_check_encoding(body, expected):
    problem = check_encoding(body)
    assert problem is None if expected is None else expected in (problem or "")


def test_raw_tables_use_partition_projection():
    specs = {s.name: s for s in raw_table_specs("goldmine_local_lake_raw", "raw")}
    assert set(specs) == {"orders", "customers", "products", "fx_rates", "stores"}
    params = specs["orders"].to_table_input()["Parameters"]
    assert params["projection.enabled"] == "true"
    assert params["projection.ingest_date.type"] == "date"
    assert params["projection.ingest_date.format"] == "yyyy-MM-dd"
    assert params["storage.location.template"] == "s3://raw/orders/ingest_date=${ingest_date}/"
    assert params["classification"] == "json"
    assert specs["customers"].to_table_input()["Parameters"]["skip.header.line.count"] == "1"
