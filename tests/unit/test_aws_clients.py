"""AwsClients builds each boto3 client once and reuses it (no services needed)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from goldmine.aws import AwsClients
from goldmine.settings import Endpoints, load_settings


def _clients(tmp_path: Path) -> AwsClients:
    settings = load_settings(data_dir=tmp_path)
    return AwsClients(settings, Endpoints(s3="http://127.0.0.1:9", aws="http://127.0.0.1:9"))


def test_a_client_is_built_once_per_service(tmp_path: Path) -> None:
    aws = _clients(tmp_path)
    assert aws.s3() is aws.s3() is aws.client("s3")
    assert aws.client("glue") is aws.client("glue")
    assert aws.client("glue") is not aws.client("athena")
    assert aws.s3().meta.endpoint_url == "http://127.0.0.1:9"


def test_a_client_with_its_own_arguments_is_new_each_time(tmp_path: Path) -> None:
    aws = _clients(tmp_path)
    assert aws.client("sts", region_name="eu-west-1") is not aws.client("sts")
    assert aws.client("sts", region_name="eu-west-1").meta.region_name == "eu-west-1"


def test_threads_asking_at_once_share_one_client(tmp_path: Path) -> None:
    aws = _clients(tmp_path)
    with ThreadPoolExecutor(8) as pool:
        built = list(pool.map(lambda _: aws.client("glue"), range(32)))
    assert len({id(c) for c in built}) == 1


def test_a_shared_client_has_its_exception_classes_before_any_thread_uses_it(
    tmp_path: Path,
) -> None:
    """botocore builds a client's exception classes on first use, unlocked: threads using
    a shared client at once could build two sets, and ``except client.exceptions.X``
    would then miss the X raised (seen as Glue's AlreadyExistsException in ADR 0034)."""
    aws = _clients(tmp_path)
    for client in (aws.client("glue"), aws.client("dynamodb"), aws.s3()):
        assert client._exceptions is not None  # built with the client, under the lock


def test_every_client_retries_as_the_platform_says(tmp_path: Path) -> None:
    """One retry policy (ADR 0025): standard mode, 10 attempts, S3 and the rest alike."""
    aws = _clients(tmp_path)
    for client in (aws.s3(), aws.client("glue"), aws.client("dynamodb")):
        assert client.meta.config.retries == {"mode": "standard", "total_max_attempts": 10}
