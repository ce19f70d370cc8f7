"""The raw S3 data lake end to end on the local services (issue 4).

The week (fixture ``landed_week``) is ingested and built into the platform's raw,
curated and analytics buckets; gold must equal the independent oracle to the cent,
the quarantine must hold exactly the manifests' bad records, and rerunning every
step must leave every object's ETag unchanged. A second test lands corrupted files
on dates of their own (2025-03-17..), in a platform of its own, and checks they are
quarantined or rejected with a clear message while the batches around them are built.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from goldmine.spark import SessionOnDemand
from lake import build, ingest, lake_status
from tests.oracle import (
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_KEYS,
    assert_frames_equal,
    manifest_bad_reasons,
    read_landing,
    recompute,
)

pytestmark = [pytest.mark.integration, pytest.mark.spark]


def _etags(s3, bucket):
    etags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            if not obj["Key"].endswith("/"):
                etags[obj["Key"]] = obj["ETag"]
    return etags


def _lake_etags(platform):
    s3, buckets = platform.aws.s3(), platform.settings.buckets
    return {b: _etags(s3, b) for b in (buckets.raw, buckets.curated, buckets.analytics)}


def _landing_keys(s3, raw_bucket):
    """Raw URI -> landing key, from the ingest ledgers."""
    mapping = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=raw_bucket, Prefix="_ledger/ingest/"
    ):
        for obj in page.get("Contents", []):
            if obj["Key"].endswith(".json"):
                entry = json.loads(s3.get_object(Bucket=raw_bucket, Key=obj["Key"])["Body"].read())
                for f in entry["files"]:
                    mapping[f"s3://{raw_bucket}/{f['raw_key']}"] = f["landing_key"]
    return mapping


def _table(spark, bucket, name):
    frame = spark.read.parquet(f"s3://{bucket}/{name}/")
    if "batch_id" in frame.columns:  # a partition value Spark reads as a number if it can
        frame = frame.withColumn("batch_id", frame["batch_id"].cast("string"))
    return frame.toPandas()


def test_week_builds_gold_equal_to_the_oracle_and_reruns_change_nothing(
    platform, spark, landed_week, lake_built
):
    s3, buckets = platform.aws.s3(), platform.settings.buckets
    days = sorted(m.ingest_date for m in landed_week)
    first, last = days[0], days[-1]

    ingested, result = lake_built.ingested, lake_built.result
    assert [r.batch_id for r in ingested] == [m.batch_id for m in landed_week]
    assert result.batches == tuple(m.batch_id for m in landed_week)

    files = [
        f for f in read_landing(s3, buckets.landing)
        if f.ingest_date is None or first <= f.ingest_date <= last
    ]  # fmt: skip
    expected = recompute(files)
    gold = {
        name: _table(spark, buckets.analytics, name)
        for name in ("daily_sales", "customer_lifetime", "product_monthly")
    }
    assert_frames_equal(gold["daily_sales"], expected.daily_sales, DAILY_SALES_KEYS)
    assert_frames_equal(
        gold["customer_lifetime"], expected.customer_lifetime, CUSTOMER_LIFETIME_KEYS
    )
    assert_frames_equal(gold["product_monthly"], expected.product_monthly, PRODUCT_MONTHLY_KEYS)

    # Glue: one database per zone, Athena types, partitions, projection on raw.
    glue, settings = platform.aws.client("glue"), platform.settings
    daily = glue.get_table(DatabaseName=settings.database("lake_analytics"), Name="daily_sales")
    columns = {c["Name"]: c["Type"] for c in daily["Table"]["StorageDescriptor"]["Columns"]}
    assert columns["revenue_usd"] == "decimal(18,2)" and columns["store_id"] == "string"
    assert daily["Table"]["PartitionKeys"][0]["Name"] == "order_date"
    assert daily["Table"]["Parameters"]["classification"] == "parquet"
    partitions = glue.get_partitions(
        DatabaseName=settings.database("lake_analytics"), TableName="daily_sales"
    )["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == sorted(
        {str(d)[:10] for d in gold["daily_sales"]["order_date"]}
    )
    raw_orders = glue.get_table(DatabaseName=settings.database("lake_raw"), Name="orders")
    assert raw_orders["Table"]["Parameters"]["projection.ingest_date.type"] == "date"
    curated = glue.get_tables(DatabaseName=settings.database("lake_curated"))["TableList"]
    assert {"orders", "order_lines", "customers", "quarantine"} <= {t["Name"] for t in curated}

    # Quarantine: exactly the manifests' bad records, with their reasons.
    landing_key = _landing_keys(s3, buckets.raw)
    quarantine = _table(spark, buckets.curated, "quarantine")
    actual_bad = {
        (landing_key[r.source_file], int(r.line_number), _int(r.line_no), r.reason)
        for r in quarantine.itertuples()
    }
    manifest_bad = {
        (b.key, b.line, b.line_no, b.reason) for m in landed_week for b in m.bad_records
    }
    assert len(quarantine) == sum(m.bad_record_count for m in landed_week)
    assert actual_bad == manifest_bad
    raw_text = {
        (landing_key[r.source_file], int(r.line_number)): r.raw for r in quarantine.itertuples()
    }
    for row in expected.quarantine.itertuples():
        assert raw_text[(row.key, row.line)] == row.raw

    # Reconciliation per feed: read = accepted + quarantined + duplicates.
    recon = expected.reconciliation.groupby("feed")[
        ["read", "accepted", "quarantined", "duplicates"]
    ].sum()
    for feed, counts in result.counts.items():
        assert (counts.read, counts.accepted, counts.quarantined, counts.duplicates) == tuple(
            int(v) for v in recon.loc[feed]
        ), feed
    assert result.counts["orders"].duplicates == sum(m.duplicate_count for m in landed_week)

    # Validation: great-expectations reported on what the split judged, JSON next to the
    # build ledgers; every bad record of the manifests is an unexpected value there.
    reports = {r.suite: r for r in result.validation}
    assert set(reports) == {"orders", "order_items"}
    prefix = f"_ledger/validation/{result.batches[0]}-{result.batches[-1]}/"
    for suite, bad in manifest_bad_reasons(landed_week).items():
        report = reports[suite]
        assert report.result_path == f"s3://{buckets.curated}/{prefix}{suite}.json"
        saved = json.loads(
            s3.get_object(Bucket=buckets.curated, Key=f"{prefix}{suite}.json")["Body"].read()
        )
        assert saved["success"] is False and len(saved["results"]) == len(report.outcomes)
        assert bad and all(report.failed_rules.get(r, 0) >= n for r, n in bad.items()), suite
    assert reports["orders"].element_count == result.counts["orders"].read
    # great-expectations read the rejects only, and agrees with the split's counts.
    assert all(r.validated < r.element_count and not r.disagreements for r in reports.values())

    # Every step again: nothing changes, byte for byte.
    before = _lake_etags(platform)
    again = ingest(platform, days)
    assert all(r.copied == () for r in again)
    on_demand = SessionOnDemand(lambda: spark)  # as `goldmine lake build` hands it
    assert build(platform, on_demand, date_from=first, date_to=last).batches == ()
    assert not on_demand.started  # nothing to build: no Spark (ADR 0036)
    assert _lake_etags(platform) == before

    status = lake_status(platform)
    assert set(m.batch_id for m in landed_week) <= set(status.built)
    assert sum(status.quarantine.values()) >= len(manifest_bad)


def _int(value):
    return None if value is None or value != value else int(value)


CORRUPT_DAYS = [dt.date(2025, 3, 17), dt.date(2025, 3, 18), dt.date(2025, 3, 19)]


def test_corrupted_files_are_quarantined_or_rejected_and_other_batches_go_on(platform, spark):
    from goldmine.platform import connect
    from tests.conftest import make_settings

    # A platform of its own (project ``corrupt``: its own buckets and Glue databases on
    # the same local services), so the shared week's lake stays exactly the week.
    isolated = connect(make_settings(platform.settings.data_dir, project="corrupt"))
    s3, buckets = isolated.aws.s3(), isolated.settings.buckets

    def put(key, body):
        s3.put_object(Bucket=buckets.landing, Key=key, Body=body)

    _land_and_check_corrupted(isolated, spark, put)


def _land_and_check_corrupted(platform, spark, put):
    from goldmine.rules import raw_bytes

    buckets = platform.settings.buckets
    good, bad, after = CORRUPT_DAYS
    order = (
        '{"order_id":"OX-%d","customer_id":"C00000001","store_id":"S001",'
        '"order_ts":"%sT10:00:00+00:00","status":"placed","currency":"USD",'
        '"updated_at":"%sT10:00:00+00:00","items":[{"line_no":1,"product_id":"P000001",'
        '"quantity":1,"unit_price":10.00}]}'
    )

    def orders_key(day):
        return f"sales/orders/ingest_date={day}/orders-{day:%Y%m%d}.jsonl"

    put(orders_key(good), (order % (1, good, good) + "\n").encode())
    # The product the orders sell (this platform has no other source).
    put(
        f"catalog/products/ingest_date={good}/products-{good:%Y%m%d}.csv",
        b"product_id,sku,name,category,subcategory,list_price,currency,active,updated_at\n"
        b"P000001,SKU-1,Book,books,fiction,10.00,USD,true,2025-03-17T00:00:00+00:00\n",
    )
    # The corrupted batch: a truncated JSON file, a CSV with a broken quote, an empty
    # file and files in the wrong encoding.
    full = order % (2, bad, bad)
    put(orders_key(bad), (order % (3, bad, bad) + "\n" + full[: len(full) // 2]).encode())
    put(
        f"catalog/products/ingest_date={bad}/products-{bad:%Y%m%d}.csv",
        b"product_id,sku,name,category,subcategory,list_price,currency,active,updated_at\n"
        b'P900001,SKU-9,"Broken, quote,books,fiction,1.00,USD,true,2025-03-18T00:00:00+00:00\n',
    )
    put(f"finance/fx_rates/ingest_date={bad}/fx-{bad:%Y%m%d}.csv", b"")
    put(
        f"crm/customers/ingest_date={bad}/customers-{bad:%Y%m%d}.csv",
        "customer_id,email,first_name,last_name,country,city,segment,updated_at\n"
        "C09000001,zoe@example.com,Zoë,Müller,DE,Köln,consumer,2025-03-18T00:00:00+00:00\n".encode(
            "latin-1"
        ),
    )
    put(
        f"crm/customers/ingest_date={after}/customers-{after:%Y%m%d}.csv",
        "customer_id,email\nC1,a@b.c\n".encode("utf-16"),
    )
    put(orders_key(after), (order % (4, after, after) + "\n").encode())

    results = ingest(platform, CORRUPT_DAYS)
    problems = {f.raw_key: f.problem for r in results for f in r.files if f.problem}
    assert any("byte 0x" in p and "latin-1" in p for p in problems.values())
    assert any("UTF-16" in p for p in problems.values())

    result = build(platform, spark, date_from=good, date_to=after)
    assert result.batches == tuple(f"{d:%Y%m%d}" for d in CORRUPT_DAYS)
    assert len(result.rejected_files) == 2
    assert all("re-export the file as UTF-8" in r for r in result.rejected_files)

    quarantine = _table(spark, buckets.curated, "quarantine")
    mine = quarantine[quarantine["batch_id"] == f"{bad:%Y%m%d}"]
    assert sorted(zip(mine["feed"], mine["reason"], strict=True)) == [
        ("customers", "unparseable"),  # the latin-1 file's row, read and kept (ADR 0018)
        ("orders", "unparseable"),  # the truncated last line
        ("products", "unparseable"),  # the broken quote
    ]
    latin = mine[mine["feed"] == "customers"]["raw"].iloc[0]
    assert raw_bytes(latin).decode("latin-1").startswith("C09000001,zoe@example.com,Zoë")
    assert result.counts["fx_rates"].read == 0  # the empty file: read, nothing in it
    orders = _table(spark, buckets.curated, "orders")
    assert {"OX-1", "OX-3", "OX-4"} <= set(orders["order_id"])
    assert "OX-2" not in set(orders["order_id"])


BATCH_DAY = dt.date(2025, 4, 7)
_ORDER = (
    '{"order_id":"%s","customer_id":"C00000001","store_id":"S001",'
    '"order_ts":"2025-04-07T10:00:00+00:00","status":"placed","currency":"USD",'
    '"updated_at":"2025-04-07T10:00:00+00:00","items":[{"line_no":1,"product_id":"P000001",'
    '"quantity":%d,"unit_price":10.00}]}\n'
)


def _dated(feed_path: str, name: str, batch_id: str, ext: str) -> str:
    return f"{feed_path}/ingest_date={BATCH_DAY}/{name}-{batch_id}.{ext}"


def test_batches_are_named_by_their_files_late_files_are_built_and_unsettled_ones_wait(
    platform, spark
):
    """Issues 19 and 20: one batch identity (the file name's ``<batch_id>``) in the lake.

    A second batch landed for an ingest date already built is built (it used to be
    skipped in silence), a file landed late for a built batch gets the batch built again
    whole, a batch still arriving waits, and gold equals the oracle over what was built.
    """
    from goldmine.platform import connect
    from tests.conftest import make_settings

    isolated = connect(make_settings(platform.settings.data_dir, project="batches"))
    s3, buckets = isolated.aws.s3(), isolated.settings.buckets

    def put(key, body):
        s3.put_object(Bucket=buckets.landing, Key=key, Body=body)

    first = "20250407"
    put(_dated("sales/orders", "orders", first, "jsonl"), (_ORDER % ("OB-1", 1)).encode())
    put(
        _dated("catalog/products", "products", first, "csv"),
        b"product_id,sku,name,category,subcategory,list_price,currency,active,updated_at\n"
        b"P000001,SKU-1,Book,books,fiction,10.00,USD,true,2025-04-07T00:00:00+00:00\n",
    )
    ingest(isolated, [BATCH_DAY])
    assert build(isolated, spark).batches == (first,)

    # Later the same day: a new batch (a correction export) and a file of the first batch.
    put(_dated("sales/orders", "orders", "20250407-b", "jsonl"), (_ORDER % ("OB-2", 2)).encode())
    put(
        _dated("crm/customers", "customers", first, "csv"),
        b"customer_id,email,first_name,last_name,country,city,segment,updated_at\n"
        b"C00000001,ann@example.com,Ann,Lee,US,Boston,consumer,2025-04-07T00:00:00+00:00\n",
    )
    # And a batch whose second file has landed but is not in the raw zone yet.
    put(_dated("sales/orders", "orders", "20250407-c", "jsonl"), (_ORDER % ("OB-3", 3)).encode())
    ingest(isolated, [BATCH_DAY])
    put(_dated("finance/fx_rates", "fx", "20250407-c", "csv"), b"rate_date,currency,usd_per_unit\n")

    result = build(isolated, spark)

    assert result.batches == (first, "20250407-b") and result.late == (first,)
    assert "not in the raw zone yet" in result.waiting["20250407-c"]
    assert lake_status(isolated).pending == ("20250407-c",)
    built = [
        f for f in read_landing(s3, buckets.landing) if f.batch_id in (first, "20250407-b", None)
    ]
    expected = recompute(built)
    daily = _table(spark, buckets.analytics, "daily_sales")
    assert_frames_equal(daily, expected.daily_sales, DAILY_SALES_KEYS)
    lifetime = _table(spark, buckets.analytics, "customer_lifetime")
    assert_frames_equal(lifetime, expected.customer_lifetime, CUSTOMER_LIFETIME_KEYS)
    versions = _table(spark, buckets.curated, "order_versions")
    assert sorted(zip(versions["batch_id"], versions["order_id"], strict=True)) == [
        (first, "OB-1"),  # read once, though its batch was built twice
        ("20250407-b", "OB-2"),
    ]
    customers = _table(spark, buckets.curated, "customers")
    assert set(customers["segment"].dropna()) == {"consumer"}  # the late file's record

    # A batch landing now, with a quiet period longer than a build waits: left, said why.
    patient = connect(
        make_settings(platform.settings.data_dir, project="batches", settle_seconds=600)
    )
    put(_dated("sales/orders", "orders", "20250407-d", "jsonl"), (_ORDER % ("OB-4", 4)).encode())
    ingest(patient, [BATCH_DAY])
    waiting = build(patient, spark)
    assert waiting.batches == ()
    assert "not settled" in waiting.waiting["20250407-d"]
    assert "quiet period 600 s" in waiting.waiting["20250407-d"]
    assert "waiting: batch 20250407-d" in waiting.summary()
