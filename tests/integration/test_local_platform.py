"""The embedded local environment: S3 store on disk, API endpoint, Spark + Delta over S3."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from goldmine.catalog import TableSpec, register_table
from goldmine.local import service_status, stop_services
from goldmine.platform import connect
from goldmine.secrets import SecretNotFoundError, SecretStore
from tests.conftest import make_settings

pytestmark = pytest.mark.integration


def test_buckets_of_the_settings_exist(platform):
    names = {b["Name"] for b in platform.aws.s3().list_buckets()["Buckets"]}
    assert set(platform.settings.buckets.all().values()) <= names


def test_secrets_manager_round_trip_through_the_local_endpoint(platform):
    store = SecretStore(platform.aws.client("secretsmanager"))
    name = f"goldmine/test-{uuid.uuid4().hex[:8]}"
    store.put(name, {"username": "etl", "password": "s3cr3t"})
    assert store.get_json(name) == {"username": "etl", "password": "s3cr3t"}
    store.put(name, {"username": "etl", "password": "rotated"})
    assert store.get_json(name)["password"] == "rotated"
    # A second store reads through the endpoint, not the first one's cache.
    assert SecretStore(platform.aws.client("secretsmanager")).get_json(name)["password"] == (
        "rotated"
    )
    with pytest.raises(SecretNotFoundError, match="not found"):
        store.get("goldmine/does-not-exist")


def test_data_and_catalog_survive_down_and_up(tmp_path: Path):
    settings = make_settings(tmp_path / "data")
    first = connect(settings)
    try:
        s3 = first.aws.s3()
        bucket = settings.buckets.raw
        s3.put_object(Bucket=bucket, Key="keep/me.txt", Body=b"still here")
        spec = TableSpec(
            database=settings.database("lake_raw"),
            name="kept",
            location=f"s3://{bucket}/keep/",
            columns=(("line", "string", "a line"),),
            table_format="csv",
        )
        register_table(first.aws.client("glue"), s3, spec)
        assert sorted(stop_services(settings)) == ["aws", "s3"]
        assert not any(s.running for s in service_status(settings))

        second = connect(settings)
        body = second.aws.s3().get_object(Bucket=bucket, Key="keep/me.txt")["Body"].read()
        assert body == b"still here"
        table = second.aws.client("glue").get_table(DatabaseName=spec.database, Name="kept")
        assert table["Table"]["StorageDescriptor"]["Columns"] == [
            {"Name": "line", "Type": "string", "Comment": "a line"}
        ]
    finally:
        stop_services(settings)


@pytest.mark.spark
def test_spark_reads_landing_and_writes_delta_on_the_local_store(platform, spark, landed_week):
    from deltalake import DeltaTable

    from goldmine.smoke import SMOKE_TABLE, run_smoke

    result = run_smoke(platform, spark, landed_week)
    assert result.batches == len(landed_week) == 7
    assert result.records_read == result.order_lines_generated > 0
    assert result.delta_rows == result.records_read
    # A reader that does not use Spark sees the same Delta table on the same store.
    table = DeltaTable(result.location, storage_options=platform.aws.storage_options())
    assert table.to_pyarrow_table().num_rows == result.delta_rows
    glue = platform.aws.client("glue")
    registered = glue.get_table(
        DatabaseName=platform.settings.database("platform"), Name=SMOKE_TABLE
    )["Table"]
    assert registered["Parameters"]["table_type"] == "DELTA"
    assert registered["StorageDescriptor"]["Location"] == result.location
    assert [c["Name"] for c in registered["StorageDescriptor"]["Columns"]] == [
        "value",
        "source_file",
    ]


def test_cost_audit_on_the_local_services_flags_an_untagged_bucket_until_tagged(platform):
    from goldmine.tags import audit_tags, tag_bucket, tags_for

    s3, tagging = platform.aws.s3(), platform.aws.client("resourcegroupstaggingapi")
    # The platform tagged its own buckets when it created them.
    assert audit_tags(tagging, platform.settings, s3_client=s3).ok
    scratch = f"{platform.settings.project}-local-scratch-{uuid.uuid4().hex[:6]}"
    s3.create_bucket(Bucket=scratch)
    report = audit_tags(tagging, platform.settings, s3_client=s3)
    assert not report.ok
    assert {f.arn for f in report.findings} == {f"arn:aws:s3:::{scratch}"}
    tag_bucket(s3, scratch, tags_for(platform.settings, domain="platform"))
    assert audit_tags(tagging, platform.settings, s3_client=s3).ok
    s3.delete_bucket(Bucket=scratch)
