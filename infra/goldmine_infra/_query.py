"""Query: Athena workgroups with enforced, encrypted, capped configuration."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_athena as athena
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from goldmine.settings import DOMAINS, Settings
from goldmine_infra._naming import camel, prefix_of

#: Largest scan one query may do (10 GiB); a runaway query is cancelled, not billed.
BYTES_SCANNED_CUTOFF = 10 * 1024**3


class QueryStack(Stack):
    """One workgroup per mesh domain plus the analysts' workgroup from settings.

    Attributes
    ----------
    workgroups : dict[str, str]
        ``{domain or "analysts": workgroup name}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        results: s3.IBucket,
        key: kms.IKey,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = prefix_of(settings)
        self.workgroups: dict[str, str] = {"analysts": settings.athena_workgroup}
        self.workgroups.update({d: f"{prefix}-{d}" for d in DOMAINS})
        self.cfn_workgroups: dict[str, athena.CfnWorkGroup] = {}
        for owner, name in self.workgroups.items():
            self.cfn_workgroups[owner] = athena.CfnWorkGroup(
                self,
                camel(owner),
                name=name,
                description=f"{settings.project}: Athena queries of {owner}",
                state="ENABLED",
                work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                    enforce_work_group_configuration=True,
                    bytes_scanned_cutoff_per_query=BYTES_SCANNED_CUTOFF,
                    publish_cloud_watch_metrics_enabled=True,
                    engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                        selected_engine_version="Athena engine version 3"
                    ),
                    result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                        output_location=f"s3://{results.bucket_name}/{name}/",
                        encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                            encryption_option="SSE_KMS", kms_key=key.key_arn
                        ),
                    ),
                ),
            )
