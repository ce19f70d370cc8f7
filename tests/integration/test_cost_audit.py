"""`goldmine cost audit` on a moto server the test starts: untagged bucket -> 1, tagged -> 0."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer
from rich.console import Console
from typer.testing import CliRunner

from goldmine.aws import AwsClients
from goldmine.cli import cost as cost_cli
from goldmine.settings import Endpoints, Settings
from goldmine.tags import (
    TagViolation,
    audit_tags,
    tag_bucket,
    tag_glue_table,
    tag_platform_buckets,
    tags_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def clients(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AwsClients]:
    requests.post(f"{endpoint}/moto-api/reset", timeout=10)
    settings = Settings(
        project="goldmine", environment="local", data_dir=tmp_path_factory.mktemp("data")
    )
    yield AwsClients(settings, Endpoints(s3=endpoint, aws=endpoint))


def _plain_s3(clients: AwsClients) -> Any:
    """Return an S3 client that creates buckets without tags (like a console click)."""
    return boto3.client(
        "s3",
        endpoint_url=clients.endpoints.s3,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
    )


def _cli(clients: AwsClients, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    platform = SimpleNamespace(settings=clients.settings, aws=clients)
    monkeypatch.setattr(cost_cli, "_platform", lambda: platform)
    monkeypatch.setattr(cost_cli, "console", Console(width=200))
    result = CliRunner().invoke(cost_cli.app, list(args))
    return result.exit_code, result.output


def test_untagged_bucket_fails_the_audit_until_tagged(
    clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = clients.settings
    s3 = clients.s3()
    raw = settings.buckets.raw
    _plain_s3(clients).create_bucket(Bucket=raw)
    tagging = clients.client("resourcegroupstaggingapi")

    report = audit_tags(tagging, settings, s3_client=s3)
    assert report.resources == (f"arn:aws:s3:::{raw}",)
    assert [(f.arn, f.violation) for f in report.findings] == [
        (f"arn:aws:s3:::{raw}", TagViolation("project", "missing", None, "^[a-z][a-z0-9-]{1,62}$")),
        (f"arn:aws:s3:::{raw}", TagViolation("environment", "missing", None, "local|aws")),
        (
            f"arn:aws:s3:::{raw}",
            TagViolation(
                "domain", "missing", None, "platform|lake|lakehouse|sales|customer|catalog|finance"
            ),
        ),
        (
            f"arn:aws:s3:::{raw}",
            TagViolation("cost-center", "missing", None, "^[a-z0-9][a-z0-9-]{1,62}$"),
        ),
        (
            f"arn:aws:s3:::{raw}",
            TagViolation("owner", "missing", None, "^[a-z0-9][a-z0-9.@_-]{1,127}$"),
        ),
    ]
    code, output = _cli(clients, monkeypatch, "audit")
    assert code == 1, output
    assert "1 of 1 resources break the tag policy" in output

    assert tag_platform_buckets(s3, settings) == {raw: tags_for(settings, domain="lake")}
    assert audit_tags(tagging, settings, s3_client=s3).ok
    code, output = _cli(clients, monkeypatch, "audit")
    assert code == 0, output
    assert "1 platform resources comply" in output


def test_wrong_domain_and_untagged_product_table_are_reported(clients: AwsClients) -> None:
    settings = clients.settings
    s3 = clients.s3()
    bucket = settings.buckets.mesh["sales"]
    _plain_s3(clients).create_bucket(Bucket=bucket)
    tag_bucket(s3, bucket, tags_for(settings, domain="customer"))
    glue = clients.client("glue")
    database = settings.database("mesh_sales")
    glue.create_database(DatabaseInput={"Name": database})
    glue.create_table(DatabaseName=database, TableInput={"Name": "orders"})
    table_arn = tag_glue_table(
        glue, clients.client("sts"), database, "orders", tags_for(settings, domain="sales")
    )
    report = audit_tags(clients.client("resourcegroupstaggingapi"), settings, s3_client=s3)
    assert [(f.arn, f.violation) for f in report.findings] == [
        (table_arn, TagViolation("data-product", "missing", None, "^[a-z]+\\.[a-z_]+$")),
        (f"arn:aws:s3:::{bucket}", TagViolation("domain", "mismatch", "customer", "sales")),
    ]


def test_estimate_prints_per_architecture_and_notes(
    clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = clients.settings
    plain = _plain_s3(clients)
    plain.create_bucket(Bucket=settings.buckets.lakehouse)
    plain.put_object(
        Bucket=settings.buckets.lakehouse, Key="gold/t/part-0.parquet", Body=b"x" * 100
    )
    code, output = _cli(clients, monkeypatch, "estimate")
    assert code == 0, output
    assert "s3://goldmine-local-lakehouse/gold/" in output
    assert "note: no measured queries yet" in output
    assert "note: no EMR Serverless runs recorded" in output
    assert "copied on" in output
