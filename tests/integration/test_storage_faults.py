"""The fault-injecting proxy answers real S3 errors, and the boto3 path survives 20% of them.

The proxy (``goldmine.local.FaultProxy``, ADR 0025) sits in front of the session's local
S3 store. A client with the platform's retry settings (``goldmine.aws.BOTO_RETRIES``)
uploads, lists, reads and deletes through it with 20% of requests failing; a client that
does not retry sees every injected fault, as the S3 error botocore parsed from the XML.
The full builds under faults are in ``test_storage_faults_builds.py`` (``slow``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError

from goldmine.aws import AwsClients, retry_arrow_read
from goldmine.local import FAULT_KINDS, FaultProxy
from goldmine.query import s3_filesystem
from goldmine.settings import Endpoints

if TYPE_CHECKING:
    from goldmine.platform import Platform

pytestmark = pytest.mark.integration

PREFIX = "_test_faults/"


@pytest.fixture
def proxy(platform: Platform) -> Iterator[FaultProxy]:
    with FaultProxy(str(platform.aws.endpoints.s3), rate=0.2, seed=19) as started:
        yield started


def _through(platform: Platform, proxy: FaultProxy) -> AwsClients:
    """The platform's clients, with S3 reached through ``proxy``."""
    return AwsClients(platform.settings, Endpoints(s3=proxy.url, aws=platform.aws.endpoints.aws))


def _objects() -> dict[str, bytes]:
    """Small objects, one above botocore's Expect: 100-continue size, one multipart."""
    small = {f"{PREFIX}part-{i:03d}.json": f'{{"n": {i}}}\n'.encode() * (i + 1) for i in range(20)}
    return {
        **small,
        f"{PREFIX}big.bin": bytes(range(256)) * 8_192,  # 2 MiB
        f"{PREFIX}multipart.bin": b"goldmine" * 1_600_000,  # 12.8 MB, three parts
    }


def test_boto3_with_the_platform_retries_survives_20_percent_faults(
    platform: Platform, proxy: FaultProxy
) -> None:
    s3 = _through(platform, proxy).s3()
    bucket = platform.settings.buckets.artifacts
    objects = _objects()
    multipart = TransferConfig(multipart_threshold=5 * 2**20, multipart_chunksize=5 * 2**20)
    for key, body in objects.items():
        s3.upload_fileobj(io.BytesIO(body), bucket, key, Config=multipart)
    listed: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=PREFIX, PaginationConfig={"PageSize": 7}
    ):
        listed.extend(o["Key"] for o in page.get("Contents", []))
    read = {key: s3.get_object(Bucket=bucket, Key=key)["Body"].read() for key in listed}
    heads = {key: s3.head_object(Bucket=bucket, Key=key)["ContentLength"] for key in listed}
    for key in listed:
        s3.delete_object(Bucket=bucket, Key=key)
    left = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX).get("KeyCount")

    assert sorted(listed) == sorted(objects)
    assert read == objects
    assert heads == {key: len(body) for key, body in objects.items()}
    assert left == 0
    counts = proxy.counts()
    # the calls that succeeded: 21 puts, a multipart upload of 3 parts (5 calls), 4 list
    # pages, a get, a head and a delete per object, the last list; faults come on top
    assert counts.requests >= 21 + 5 + 4 + 3 * len(objects) + 1 + counts.injected
    assert counts.injected >= 0.1 * counts.requests
    assert all(counts.faults[kind] > 0 for kind in FAULT_KINDS), counts.faults


def test_a_client_that_does_not_retry_sees_every_injected_fault(
    platform: Platform, proxy: FaultProxy
) -> None:
    """The faults are real S3 answers: botocore parses their code from the error XML."""
    no_retries = boto3.client(
        "s3",
        endpoint_url=proxy.url,
        region_name=platform.settings.region,
        aws_access_key_id=platform.settings.local_access_key,
        aws_secret_access_key=platform.settings.local_secret_key,
        config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
    )
    bucket = platform.settings.buckets.artifacts
    seen: dict[str, int] = {}
    for i in range(60):
        try:
            no_retries.put_object(Bucket=bucket, Key=f"{PREFIX}plain-{i}", Body=b"x")
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            seen[code] = seen.get(code, 0) + 1
        except HTTPClientError as exc:  # the connection was reset before the answer
            seen[type(exc).__name__] = seen.get(type(exc).__name__, 0) + 1
    counts = proxy.counts()
    expected = {
        "SlowDown": counts.faults["slowdown"],
        "InternalError": counts.faults["internal"],
        "ConnectionClosedError": counts.faults["reset"],
    }
    assert counts.requests == 60
    assert counts.injected > 0
    assert seen == {code: n for code, n in expected.items() if n}
    _delete_prefix(platform.aws.s3(), bucket)


def _delete_prefix(s3: Any, bucket: str) -> None:
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=PREFIX).get("Contents", [])
    for item in listed:
        s3.delete_object(Bucket=bucket, Key=item["Key"])


def test_pyarrow_column_reads_survive_faults_with_retry_arrow_read(platform: Platform) -> None:
    """pyarrow's S3 (the AWS C++ SDK) gives up on a 503/500 answer to a small ranged GET:
    the error XML overflows the SDK's buffer sized for the range, and it reports a
    non-retryable INTERNAL_FAILURE. ``retry_arrow_read`` retries those reads (ADR 0025);
    a pyarrow that retried them itself would fail the first half of this test."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    bucket, key = platform.settings.buckets.artifacts, f"{PREFIX}quarantine.parquet"
    frame = pa.table({"reason": ["D6"] * 100, "blob": [bytes(range(256)) * 40] * 100})
    sink = pa.BufferOutputStream()
    pq.write_table(frame, sink, compression="none")  # the tiny column: a small ranged GET
    platform.aws.s3().put_object(Bucket=bucket, Key=key, Body=sink.getvalue().to_pybytes())

    def read_reasons() -> pa.Table:
        return pq.read_table([f"{bucket}/{key}"], columns=["reason"], filesystem=filesystem)

    # Only the column chunk's small ranged GET fails: the SDK retries the failed reads it
    # can (the whole-file footer read), with backoffs of seconds that prove nothing here.
    with FaultProxy(
        str(platform.aws.endpoints.s3),
        rate=0.5,
        seed=5,
        kinds=("slowdown", "internal"),
        max_range_bytes=1024,
    ) as proxy:
        filesystem = s3_filesystem(_through(platform, proxy))
        failed = []
        for _ in range(15):
            try:
                read_reasons()
            except OSError as exc:
                failed.append(str(exc))
                break
        # Pauses a tenth of the default: the proxy is on loopback and answers at once
        # (the backoff's schedule itself: tests/unit/test_retry_arrow.py).
        proxy.reset()  # count the retried reads' faults alone
        read = [retry_arrow_read(read_reasons, first_pause_s=0.1) for _ in range(6)]
        counts = proxy.counts()
    assert failed and "Failed to flush response stream" in failed[0], failed
    assert all(t.column("reason").to_pylist() == ["D6"] * 100 for t in read)
    assert counts.faults_of("arrow") >= 3, counts.by_client  # several reads were retried
    _delete_prefix(platform.aws.s3(), bucket)
