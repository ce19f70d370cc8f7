"""Storage: the buckets of every zone, layer and domain, with their KMS key."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import NagSuppressions
from constructs import Construct

from goldmine.settings import Settings
from goldmine_infra._naming import camel, prefix_of

#: Buckets whose data cannot be rebuilt from another bucket: versioned.
VERSIONED: frozenset[str] = frozenset({"landing", "raw"})
#: Days before raw objects move to Infrequent Access (S3's minimum is 30).
RAW_TO_IA_DAYS = 30
#: Days Athena query results are kept.
ATHENA_RESULTS_DAYS = 30
#: Days server access logs are kept.
ACCESS_LOG_DAYS = 365


class StorageStack(Stack):
    """Every bucket of the platform, SSE-KMS, private, TLS-only and access-logged.

    Attributes
    ----------
    key : kms.Key
        The data key every data bucket (and Athena results) is encrypted with.
    buckets : dict[str, s3.Bucket]
        ``{role: bucket}`` with roles as in ``Settings.buckets.all()``
        (``landing``, ..., ``mesh-sales``), including ``access_logs``.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = prefix_of(settings)
        self.key = kms.Key(
            self,
            "DataKey",
            alias=f"alias/{prefix}-data",
            description=f"{prefix}: data at rest in every bucket of the platform",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        names = settings.buckets.all()
        logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=names["access_logs"],
            # S3 server access logs can only be delivered to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[
                s3.LifecycleRule(id="expire-logs", expiration=Duration.days(ACCESS_LOG_DAYS))
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        NagSuppressions.add_resource_suppressions(
            logs,
            [
                {
                    "id": "AwsSolutions-S1",
                    "reason": "This is the server access log target; logging it into "
                    "itself would loop.",
                }
            ],
        )
        self.buckets: dict[str, s3.Bucket] = {"access_logs": logs}
        for role, name in names.items():
            if role == "access_logs":
                continue
            self.buckets[role] = self._data_bucket(role, name, logs)
        # EventBridge notifications on landing, set on the L1 bucket so no
        # notification custom resource (and its untagged Lambda) is needed.
        landing = self.buckets["landing"].node.default_child
        assert isinstance(landing, s3.CfnBucket)
        landing.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )

    def _data_bucket(self, role: str, name: str, logs: s3.Bucket) -> s3.Bucket:
        versioned = role in VERSIONED or role.startswith("mesh-")
        rules: list[s3.LifecycleRule] = [
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=Duration.days(7),
            )
        ]
        if role == "raw":
            rules.append(
                s3.LifecycleRule(
                    id="raw-to-infrequent-access",
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=Duration.days(RAW_TO_IA_DAYS),
                        )
                    ],
                )
            )
        if role == "athena_results":
            rules.append(
                s3.LifecycleRule(
                    id="expire-query-results", expiration=Duration.days(ATHENA_RESULTS_DAYS)
                )
            )
        if versioned:
            rules.append(
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=Duration.days(90),
                )
            )
        return s3.Bucket(
            self,
            camel(role),
            bucket_name=name,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=versioned,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=logs,
            server_access_logs_prefix=f"{name}/",
            lifecycle_rules=rules,
            removal_policy=RemovalPolicy.RETAIN,
        )
