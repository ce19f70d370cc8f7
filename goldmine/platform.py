"""Choose the adapters for an environment, in one place.

``connect(settings)`` is the only code that looks at ``settings.environment``: in
``local`` it starts the embedded services when they are not running, points every
client at them and creates the DynamoDB tables (Delta commit claims, run leases); in
``aws`` it uses the AWS endpoints. Everything downstream receives
the resulting :class:`Platform` and runs the same code in both.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from goldmine.aws import AwsClients
from goldmine.catalog import sync_catalog
from goldmine.lease import ensure_dynamodb_tables
from goldmine.settings import Endpoints, Settings
from goldmine.tags import tag_platform_buckets


@dataclass(frozen=True)
class Platform:
    """The settings and the clients of one running environment."""

    settings: Settings
    aws: AwsClients

    def s3_uri(self, bucket: str, key: str = "") -> str:
        """Return ``s3://bucket/key``: the one URI scheme, for Spark, Glue and readers."""
        return f"s3://{bucket}/{key}"


def connect(settings: Settings) -> Platform:
    """Return the platform for ``settings``, starting local services when needed."""
    if settings.is_local and settings.endpoints.s3 is None:
        from goldmine.local import ensure_services

        endpoints, api_started = ensure_services(settings)
        platform = Platform(settings, AwsClients(settings, endpoints))
        created = ensure_buckets(platform)
        ensure_dynamodb_tables(platform.aws.client("dynamodb"), settings)
        if api_started:
            restore_api_state(platform)
        if created or api_started:
            tag_platform_buckets(platform.aws.s3(), settings)
    else:
        endpoints = settings.endpoints if settings.is_local else Endpoints()
        platform = Platform(settings, AwsClients(settings, endpoints))
    return platform


def ensure_buckets(platform: Platform) -> list[str]:
    """Create every bucket of the settings that does not exist yet; return those created."""
    s3 = platform.aws.s3()
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created = []
    for name in platform.settings.buckets.all().values():
        if name not in existing:
            _create_bucket(s3, name, platform.settings.region)
            created.append(name)
    return created


def restore_api_state(platform: Platform) -> list[str]:
    """Re-create what a fresh local API endpoint lacks from what is on disk.

    The bucket shadows (for the tagging API) and every catalogued table are rebuilt
    (the caller re-applies the bucket tags); returns the tables re-registered.
    """
    s3 = platform.aws.s3()
    for name in platform.settings.buckets.all().values():
        _create_bucket(s3, name, platform.settings.region)  # mirrors the bucket to the API
    return sync_catalog(platform.aws.client("glue"), s3, platform.settings.buckets.all().values())


def _create_bucket(s3: Any, name: str, region: str) -> None:
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    with contextlib.suppress(
        s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists
    ):
        s3.create_bucket(**kwargs)
