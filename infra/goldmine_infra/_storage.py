"""Storage: the buckets of every zone, layer and domain, with their KMS key; DynamoDB tables."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from cdk_nag import NagSuppressions
from constructs import Construct

from goldmine.lease import DynamoTable, dynamodb_tables
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
    tables : dict[str, dynamodb.Table]
        ``{role: table}``: ``delta-log`` (Delta commit claims of the multi-writer
        LogStore) and ``leases`` (run leases), as ``goldmine.lease.dynamodb_tables``
        describes them (docs/adr/0023).
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
        self.tables = {t.role: self._dynamodb_table(t) for t in dynamodb_tables(settings)}
        # EventBridge notifications on landing, set on the L1 bucket so no
        # notification custom resource (and its untagged Lambda) is needed.
        landing = self.buckets["landing"].node.default_child
        assert isinstance(landing, s3.CfnBucket)
        landing.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
            event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(
                event_bridge_enabled=True
            )
        )

    def _dynamodb_table(self, spec: DynamoTable) -> dynamodb.Table:
        """On-demand, point-in-time recovery, TTL where the items carry one; kept on delete."""
        string = dynamodb.AttributeType.STRING
        return dynamodb.Table(
            self,
            f"{camel(spec.role)}Table",
            table_name=spec.name,
            partition_key=dynamodb.Attribute(name=spec.hash_key, type=string),
            sort_key=dynamodb.Attribute(name=spec.range_key, type=string)
            if spec.range_key
            else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=spec.ttl_attribute,
            removal_policy=RemovalPolicy.RETAIN,
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
