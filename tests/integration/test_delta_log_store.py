"""Delta commits through the DynamoDB LogStore (ADR 0023): claims, recovery, four drivers.

The cheap tests use the session's Spark on a small table of their own; the four-driver
proof starts four Spark drivers (``append_one_batch.py``) and is ``slow``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from goldmine.read_delta import delta_log_reader, open_delta
from goldmine.rules import list_landed_files
from goldmine.spark import LOG_STORE_CLASS
from lakehouse._delta import batches_present
from lakehouse.bronze import append_bronze

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def _claims(platform, table_uri: str) -> dict[str, dict]:
    """Return the DynamoDB claims of a Delta table, by commit file name."""
    items = platform.aws.client("dynamodb").query(
        TableName=platform.settings.delta_log_table,
        KeyConditionExpression="tablePath = :t",
        ExpressionAttributeValues={":t": {"S": table_uri}},
        ConsistentRead=True,
    )["Items"]
    return {i["fileName"]["S"]: i for i in items}


@pytest.fixture
def table(platform) -> Iterator[Callable[[str], tuple[str, str, str]]]:
    """Make scratch Delta table locations; delete them after the test.

    They sit in the session's lakehouse bucket (where the builds' Delta tables live),
    which other tests compare whole (the standalone job's snapshot): nothing may stay.
    """
    bucket = platform.settings.buckets.lakehouse

    def make(name: str) -> tuple[str, str, str]:
        prefix = f"_test_logstore/{name}-{uuid.uuid4().hex[:8]}"
        return platform.s3_uri(bucket, prefix), bucket, prefix

    yield make
    _delete_all(platform.aws.s3(), bucket, "_test_logstore")  # every scratch table, and its root


def _delete_all(s3: Any, bucket: str, prefix: str) -> None:
    """Delete every key under ``prefix``, directory markers too, deepest first.

    The local store answers the DELETE of a marker whose directory is not empty after
    10 s (docs/benchmarks.md, "A trap of the local store") and lists a directory that
    the deletes emptied as a new marker: each round deletes deepest keys first, and the
    prefix is listed again until nothing is left.
    """
    for _ in range(8):
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        keys = sorted((o["Key"] for p in pages for o in p.get("Contents", [])), reverse=True)
        if not keys:
            return
        for key in keys:
            s3.delete_object(Bucket=bucket, Key=key)


def test_every_commit_is_claimed_in_dynamodb_at_the_local_endpoint(platform, spark, table):
    assert spark.conf.get("spark.delta.logStore.s3.impl") == LOG_STORE_CLASS
    uri, _, _ = table("claims")
    for n in range(2):
        spark.range(n * 10, n * 10 + 10).write.format("delta").mode("append").save(uri)
    claims = _claims(platform, uri)  # the tablePath is the s3:// URI the builds use
    assert sorted(claims) == [f"{v:020d}.json" for v in range(2)]
    for item in claims.values():
        assert item["complete"]["S"] == "true"
        assert item["tempPath"]["S"].startswith(".tmp/")
        assert int(item["expireTime"]["N"]) > 0
    assert spark.read.format("delta").load(uri).count() == 20


def _kill_writer_of(platform, uri: str, bucket: str, prefix: str, version: int) -> bytes:
    """Leave ``version`` of the table as a writer that died after its claim leaves it.

    The claim (incomplete) and the temp file are there, ``N.json`` (and the checksum
    written after it) are not. Returns the commit's content.
    """
    s3 = platform.aws.s3()
    key = f"{prefix}/_delta_log/{version:020d}.json"
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    temp = f".tmp/{version:020d}.json.dead"
    s3.put_object(Bucket=bucket, Key=f"{prefix}/_delta_log/{temp}", Body=body)
    s3.delete_object(Bucket=bucket, Key=key)
    s3.delete_object(Bucket=bucket, Key=key.replace(".json", ".crc"))  # written after N.json
    platform.aws.client("dynamodb").put_item(
        TableName=platform.settings.delta_log_table,
        Item={
            "tablePath": {"S": uri},
            "fileName": {"S": f"{version:020d}.json"},
            "tempPath": {"S": temp},
            "complete": {"S": "false"},
        },
    )
    return body


def test_a_claimed_commit_whose_writer_died_is_finished_by_the_next_reader(platform, spark, table):
    uri, bucket, prefix = table("recover")
    for n in range(2):
        spark.range(n * 10, n * 10 + 10).write.format("delta").mode("append").save(uri)
    s3 = platform.aws.s3()
    key = f"{prefix}/_delta_log/{1:020d}.json"
    body = _kill_writer_of(platform, uri, bucket, prefix, 1)
    assert spark.read.format("delta").load(uri).count() == 20
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == body
    assert _claims(platform, uri)[f"{1:020d}.json"]["complete"]["S"] == "true"
    spark.range(20, 25).write.format("delta").mode("append").save(uri)
    assert spark.read.format("delta").load(uri).count() == 25


def test_delta_rs_reads_are_trusted_only_once_no_commit_is_half_written(platform, spark, table):
    """A build reads which batches a table holds with delta-rs (ADR 0041), not past a claim.

    delta-rs lists ``N.json`` files: it cannot see a commit whose writer died between
    its claim and its ``N.json``, and a bronze append that trusted it would append that
    commit's batch again. The reader answers ``None`` then, and ``batches_present``
    asks Spark, whose LogStore finishes the commit.
    """
    from pyspark.sql import functions as F

    uri, bucket, prefix = table("presence")
    log = delta_log_reader(platform.aws)
    assert log.values(uri, "batch_id") == set()  # no table yet
    for batch in ("a", "b"):
        rows = spark.range(3).withColumn("batch_id", F.lit(batch))
        rows.write.format("delta").mode("append").partitionBy("batch_id").save(uri)
    assert log.values(uri, "batch_id") == {"a", "b"}  # from the log's partition values
    assert log.values(uri, "id") == {0, 1, 2}  # a data column: read

    _kill_writer_of(platform, uri, bucket, prefix, 1)
    assert open_delta(uri, platform.aws.storage_options()).version() == 0  # delta-rs: "a" only
    assert not log.settled(uri)
    assert log.values(uri, "batch_id") is None
    assert batches_present(spark, uri, log) == {"a", "b"}  # Spark's read finished version 1
    assert log.settled(uri)
    assert log.values(uri, "batch_id") == {"a", "b"}


def test_a_small_table_is_read_in_the_driver_as_spark_reads_it_and_a_large_one_by_spark(
    platform, spark, table
):
    """``read_delta_table`` (ADR 0044): the rows and types Spark reads, without a Delta scan."""
    from decimal import Decimal

    from goldmine.read_delta import read_delta_table, small_frame

    uri, bucket, prefix = table("small")
    log = delta_log_reader(platform.aws)
    rows = spark.sql(
        "SELECT CAST(id AS STRING) AS product_id, CAST(id * 1.25 AS DECIMAL(10,2)) AS price, "
        "TIMESTAMP'2026-01-02 03:04:05' + make_interval(0, 0, 0, id) AS valid_from, "
        "IF(id = 2, NULL, DATE'2026-01-01') AS since FROM range(4)"
    )
    rows.write.format("delta").save(uri)
    by_spark = spark.read.format("delta").load(uri)
    expected = sorted(by_spark.collect())

    small = read_delta_table(spark, uri, log)
    assert small.schema == by_spark.schema
    assert sorted(small.collect()) == expected
    assert sorted(small.collect())[1]["price"] == Decimal("1.25")
    assert small.inputFiles() == []  # the driver's rows, not the table's files

    assert small_frame(spark, uri, log, max_bytes=0) is None  # over the size: Spark
    large = read_delta_table(spark, uri, None)  # no reader: Spark reads it
    assert large.inputFiles() and all(f.endswith(".parquet") for f in large.inputFiles())
    assert large.schema == by_spark.schema

    rows.write.format("delta").mode("append").save(uri)
    assert read_delta_table(spark, uri, log).count() == 8
    at_zero = small_frame(spark, uri, log, version=0)  # a registered version (the mesh's)
    assert at_zero is not None and sorted(at_zero.collect()) == expected
    _kill_writer_of(platform, uri, bucket, prefix, 1)  # a claimed, unwritten commit
    assert log.small_table(uri, 2**20) is None  # delta-rs cannot see it: Spark reads
    assert log.small_table(uri, 2**20, version=0) is not None  # version 0 is written


def test_a_table_deleted_without_its_claims_fails_the_next_commit_with_the_reason(
    platform, spark, table
):
    uri, bucket, prefix = table("deleted")
    spark.range(3).write.format("delta").mode("append").save(uri)
    _delete_all(platform.aws.s3(), bucket, prefix)  # its files go, its claim of 0 stays
    # Delta would retry version 0 for ever (its listing ends before 0, the claim stays).
    with pytest.raises(Exception, match=r"complete in the DynamoDB table .* the file is missing"):
        spark.range(5).write.format("delta").mode("append").save(uri)
    ddb = platform.aws.client("dynamodb")
    for name in _claims(platform, uri):
        ddb.delete_item(
            TableName=platform.settings.delta_log_table,
            Key={"tablePath": {"S": uri}, "fileName": {"S": name}},
        )
    spark.range(5).write.format("delta").mode("append").save(uri)
    assert spark.read.format("delta").load(uri).count() == 5


def _commit_batches(s3, bucket: str, prefix: str) -> dict[int, set[str]]:
    """Return, per Delta log version, the ``batch_id`` partitions its added files carry."""
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/_delta_log/")["Contents"]
    versions = {}
    for obj in listed:
        name = obj["Key"].rsplit("/", 1)[-1]
        if name.endswith(".json") and name[:20].isdigit():
            lines = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().splitlines()
            actions = [json.loads(line) for line in lines]
            versions[int(name[:20])] = {
                a["add"]["partitionValues"]["batch_id"] for a in actions if "add" in a
            }
    return versions


def append_concurrently(platform, uri: str, batches: list[str], tmp: Path, log_store: str = ""):
    """Start one Spark driver per batch, release them at once, return their row counts."""
    barrier = tmp / f"go-{uuid.uuid4().hex[:6]}"
    args = [str(platform.settings.data_dir), "", uri, str(barrier)] + (
        [log_store] * bool(log_store)
    )
    children = []
    for batch in batches:
        args[1] = batch
        command = [sys.executable, "-m", "tests.integration.append_one_batch", *args]
        children.append(subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True))
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        barrier.touch()
        outputs = [child.communicate(timeout=600)[0] for child in children]
    finally:
        for child in children:
            child.kill()
    assert all(c.returncode == 0 for c in children), outputs
    return {
        r["batch"]: r["rows"] for r in (json.loads(o.strip().splitlines()[-1]) for o in outputs)
    }


@pytest.mark.slow
def test_four_drivers_appending_four_batches_at_once_all_land_once(
    platform, spark, landed_week, tmp_path, table
):
    s3 = platform.aws.s3()
    batches = sorted(m.batch_id for m in landed_week)[:5]
    uri, bucket, prefix = table("bronze-orders")
    first = [
        f
        for f in list_landed_files(s3, platform.settings.buckets.landing, batch_id=batches[0])
        if f.feed == "orders"
    ]
    append_bronze(spark, s3, {"orders": uri, "stores": f"{uri}-no-stores"}, first)  # version 0

    rows = append_concurrently(platform, uri, batches[1:], tmp_path)

    table = spark.read.format("delta").load(uri)
    per_batch = Counter(
        {r["batch_id"]: r["count"] for r in table.groupBy("batch_id").count().collect()}
    )
    for batch in batches[1:]:
        key = next(
            f.uri for f in list_landed_files(s3, platform.settings.buckets.landing, batch_id=batch)
            if f.feed == "orders"
        )  # fmt: skip
        landed_b, landed_k = key.removeprefix("s3://").split("/", 1)
        lines = s3.get_object(Bucket=landed_b, Key=landed_k)["Body"].read().splitlines()
        assert per_batch[batch] == rows[batch] == len(lines), batch
    assert table.select("source_file", "line_number").distinct().count() == table.count()
    commits = _commit_batches(s3, bucket, prefix)
    assert sorted(commits) == [0, 1, 2, 3, 4]  # one commit per batch, none lost
    assert sorted(b for v in range(1, 5) for b in commits[v]) == batches[1:]
    assert all(len(commits[v]) == 1 for v in range(1, 5))
    assert all(c["complete"]["S"] == "true" for c in _claims(platform, uri).values())


def test_lines_kept_by_bronze_appends_are_released_when_one_append_fails(
    platform, spark, landed_week, table
):
    """``append_bronze(keep=True)``: a feed's append fails (its table holds no
    ``batch_id``); the other feed's lines, kept on disk by its append, are released
    before the error is raised (its commit stays)."""
    s3 = platform.aws.s3()
    batch = landed_week[0].batch_id
    files = [
        f
        for f in list_landed_files(s3, platform.settings.buckets.landing, batch_id=batch)
        if f.feed in ("orders", "customers")
    ]
    orders, _, _ = table("bronze-orders")
    broken, _, _ = table("not-bronze")
    spark.range(1).write.format("delta").save(broken)  # no batch_id column

    def disk_only_rdds() -> set[int]:
        rdds = spark.sparkContext._jsc.getPersistentRDDs()
        return {
            int(i) for i, rdd in rdds.items()
            if rdd.getStorageLevel().useDisk() and not rdd.getStorageLevel().useMemory()
        }  # fmt: skip

    before = disk_only_rdds()
    uris = {"orders": orders, "customers": broken, "stores": f"{orders}-no-stores"}
    with pytest.raises(Exception, match="batch_id"):
        append_bronze(spark, s3, uris, files, keep=True)
    assert batches_present(spark, orders) == {batch}  # the orders' append committed
    assert disk_only_rdds() == before  # and its kept lines were released
