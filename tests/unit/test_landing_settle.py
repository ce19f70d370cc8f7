"""The settle rule (ADR 0026): a build takes a batch once its manifest is complete or its
files have stopped arriving for the quiet period; one still arriving is left, said why."""

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from moto import mock_aws

from goldmine.landing import list_landed_batches, settle_landing

ORDERS = "sales/orders/ingest_date=2025-01-06/orders-{b}.jsonl"
CUSTOMERS = "crm/customers/ingest_date=2025-01-06/customers-{b}.csv"


@pytest.fixture
def s3():
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="landing")
        yield client


class Clock:
    """Time as the rule sees it: real landing times, plus the seconds a test lets pass."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.offset)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.offset += seconds


def _put(s3, key: str, body: bytes = b"x\n") -> None:
    s3.put_object(Bucket="landing", Key=key, Body=body)


def _manifest(s3, batch: str, files: dict[str, bytes]) -> None:
    listed = [{"key": k, "bytes": len(v)} for k, v in files.items()]
    body = json.dumps({"batch_id": batch, "files": listed})
    _put(s3, f"_manifests/manifest-{batch}.json", body.encode())


def test_a_batch_without_manifest_is_taken_once_no_file_landed_for_the_quiet_period(s3):
    _put(s3, ORDERS.format(b="B1"))
    clock, lines = Clock(), []

    judged = settle_landing(s3, "landing", 30, say=lines.append, clock=clock.now, sleep=clock.sleep)

    assert judged.settled == {"B1"} and not judged.unsettled
    assert len(clock.slept) == 1 and 29 < clock.slept[0] <= 31  # waited out the quiet period
    assert lines and lines[0].startswith("waiting")


def test_a_complete_manifest_settles_a_batch_at_once(s3):
    files = {ORDERS.format(b="B1"): b"o\n", CUSTOMERS.format(b="B1"): b"h\nc\n"}
    for key, body in files.items():
        _put(s3, key, body)
    _manifest(s3, "B1", {**files, "stores/stores.csv": b"s\n"})  # the stores list: no batch
    clock = Clock()

    judged = settle_landing(s3, "landing", 300, clock=clock.now, sleep=clock.sleep)

    assert judged.settled == {"B1"} and clock.slept == []


def test_a_manifest_naming_a_file_not_landed_leaves_the_batch_with_the_reason(s3):
    _put(s3, ORDERS.format(b="B1"), b"o\n")
    _manifest(s3, "B1", {ORDERS.format(b="B1"): b"o\n", CUSTOMERS.format(b="B1"): b"h\n"})
    _put(s3, ORDERS.format(b="B2"))  # another batch, settled by time
    clock, lines = Clock(), []
    clock.offset = 60

    judged = settle_landing(s3, "landing", 10, say=lines.append, clock=clock.now, sleep=clock.sleep)

    assert judged.settled == {"B2"}
    assert "its manifest lists 1 file(s) not landed" in judged.unsettled["B1"]
    assert lines == [f"batch B1 not settled: {judged.unsettled['B1']}"]


def test_a_batch_whose_files_keep_arriving_is_left_to_a_later_build(s3):
    _put(s3, ORDERS.format(b="B1"))
    clock = Clock()

    def sleep(seconds: float) -> None:  # while the build waits, another file of B1 lands
        _put(s3, CUSTOMERS.format(b="B1"))
        clock.offset += seconds - 25  # ...25 s before the wait ends

    judged = settle_landing(s3, "landing", 30, clock=clock.now, sleep=sleep)

    assert judged.settled == frozenset()
    assert "newest file landed" in judged.unsettled["B1"]


def test_the_listing_groups_files_by_batch_and_ignores_other_keys(s3):
    _put(s3, ORDERS.format(b="B1"))
    _put(s3, CUSTOMERS.format(b="B1"), b"h\nc\n")
    _put(s3, ORDERS.format(b="B2"))
    _put(s3, "stores/stores.csv")
    _put(s3, "sales/orders/ingest_date=2025-01-06/readme.txt")

    batches = list_landed_batches(s3, "landing")

    assert sorted(batches) == ["B1", "B2"]
    assert batches["B1"].sizes == {ORDERS.format(b="B1"): 2, CUSTOMERS.format(b="B1"): 4}
    assert not batches["B1"].manifest


def test_a_quiet_period_longer_than_the_longest_wait_leaves_the_batch_without_waiting(s3):
    _put(s3, ORDERS.format(b="B1"))
    clock = Clock()

    judged = settle_landing(s3, "landing", 600, max_wait=60, clock=clock.now, sleep=clock.sleep)

    assert clock.slept == [] and "quiet period 600 s" in judged.unsettled["B1"]
