"""Build boto3 clients against AWS or the embedded local services."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from goldmine.settings import Endpoints, Settings

# S3 bucket operations the local object store does not implement; locally they are
# served by the local AWS API endpoint, which keeps a shadow of every bucket so the
# resource-groups tagging API sees them (docs/adr/0003-local-services.md).
_CONTROL_PLANE_OPS = frozenset({"PutBucketTagging", "GetBucketTagging", "DeleteBucketTagging"})

#: Tries per request of every S3 client of the platform: boto3 here (attempts, the first
#: included), S3A (``fs.s3a.attempts.maximum``, the SDK's retries: goldmine.spark) and
#: pyarrow's S3 filesystem. At 20% of requests failing, 10 tries leave one request in
#: ~10 million failing for good (0.2 ** 10); the former 6 left one in ~15,000 (ADR 0025).
S3_MAX_ATTEMPTS = 10

#: The retries of every boto3 client, in both environments: "standard" mode retries
#: throttling (503 SlowDown), 5xx and dropped connections with exponential backoff and
#: jitter; "adaptive" would also slow the client down on each throttle, which a burst of
#: injected or real SlowDowns turns into minutes of waiting (ADR 0025).
BOTO_RETRIES: dict[str, Any] = {"mode": "standard", "total_max_attempts": S3_MAX_ATTEMPTS}


@dataclass(frozen=True)
class AwsClients:
    """Factory of boto3 clients for one environment.

    Parameters
    ----------
    settings
        The platform settings (region, credentials of the local services).
    endpoints
        Resolved endpoints; ``Endpoints()`` (all ``None``) means real AWS.
    """

    settings: Settings
    endpoints: Endpoints = field(default_factory=Endpoints)
    #: Clients built so far, by service: a boto3 session and client cost ~0.3 s each
    #: (credentials, service model); built clients are thread-safe and reused.
    _built: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    @property
    def is_local(self) -> bool:
        """Whether the clients point at local services."""
        return self.endpoints.s3 is not None or self.endpoints.aws is not None

    def session(self) -> boto3.Session:
        """Return a boto3 session with the right credentials and region."""
        if self.is_local:
            return boto3.Session(
                aws_access_key_id=self.settings.local_access_key,
                aws_secret_access_key=self.settings.local_secret_key,
                region_name=self.settings.region,
            )
        return boto3.Session(region_name=self.settings.region)

    def client(self, service: str, **kwargs: Any) -> Any:
        """Return a boto3 client for ``service`` at the configured endpoint.

        Without ``kwargs`` the client is built once and reused (boto3 clients are
        thread-safe); with them, a new one is built each call.
        """
        if service == "s3":
            return self.s3()
        if kwargs:
            return self._new_client(service, **kwargs)
        return self._reused(service, lambda: self._new_client(service))

    def s3(self) -> Any:
        """Return the S3 client (path-style addressing against a local store); built once."""
        return self._reused("s3", self._new_s3)

    def _reused(self, service: str, build: Any) -> Any:
        with self._lock:
            if service not in self._built:
                client = build()
                # Built now, under the lock: botocore builds a client's exception classes
                # on first use, unlocked; two threads could each build a set, and an
                # ``except client.exceptions.X`` would miss the X another thread raised.
                client.exceptions  # noqa: B018
                self._built[service] = client
            return self._built[service]

    def _new_client(self, service: str, **kwargs: Any) -> Any:
        kwargs.setdefault("config", Config(retries=BOTO_RETRIES))  # type: ignore[arg-type]
        return self.session().client(service, endpoint_url=self.endpoints.aws, **kwargs)  # type: ignore[call-overload]

    def _new_s3(self) -> Any:
        config = Config(
            s3={"addressing_style": "path"} if self.endpoints.s3 else {},
            retries=BOTO_RETRIES,  # type: ignore[arg-type]
        )
        client = self.session().client("s3", endpoint_url=self.endpoints.s3, config=config)
        if self.endpoints.s3 and self.endpoints.aws:
            _route_control_plane(client, self.endpoints.s3, self.endpoints.aws)
        return client

    def storage_options(self) -> dict[str, str]:
        """Return object-store options for delta-rs / pyarrow / DuckDB readers."""
        if not self.endpoints.s3:
            return {"AWS_REGION": self.settings.region}
        return {
            "AWS_ENDPOINT_URL": self.endpoints.s3,
            "AWS_ACCESS_KEY_ID": self.settings.local_access_key,
            "AWS_SECRET_ACCESS_KEY": self.settings.local_secret_key,
            "AWS_REGION": self.settings.region,
            "AWS_ALLOW_HTTP": "true",
            "AWS_S3_ALLOW_UNSAFE_RENAME": "true",
        }


def _route_control_plane(client: Any, store_url: str, api_url: str) -> None:
    """Send bucket tagging calls to the local API endpoint; mirror bucket creation there."""

    def redirect(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _CONTROL_PLANE_OPS:
            params["url"] = params["url"].replace(store_url.rstrip("/"), api_url.rstrip("/"), 1)

    def mirror_create(params: dict[str, Any], **_: Any) -> None:
        shadow = boto3.client(
            "s3",
            endpoint_url=api_url,
            region_name=client.meta.region_name,
            aws_access_key_id="shadow",
            aws_secret_access_key="shadow",
            config=Config(s3={"addressing_style": "path"}),
        )
        bucket = params["Bucket"]
        with contextlib.suppress(shadow.exceptions.BucketAlreadyOwnedByYou):
            shadow.create_bucket(Bucket=bucket)

    client.meta.events.register("before-call.s3", redirect)
    client.meta.events.register("before-parameter-build.s3.CreateBucket", mirror_create)


def configure_wrangler(clients: AwsClients) -> None:
    """Point awswrangler's global endpoints at the same services as ``clients``.

    Called by the code that uses awswrangler, right before it does: importing it
    costs seconds, which commands that never touch it should not pay.
    """
    import awswrangler as wr

    wr.config.s3_endpoint_url = clients.endpoints.s3
    wr.config.botocore_config = Config(retries=BOTO_RETRIES)  # type: ignore[arg-type]
    for name in ("glue", "sts", "secretsmanager", "athena", "emr", "cloudwatch"):
        setattr(wr.config, f"{name}_endpoint_url", clients.endpoints.aws)
