"""Processing: the EMR Serverless Spark application, its image repository and job roles."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_emrserverless as emrs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from goldmine.settings import Settings
from goldmine_infra._naming import prefix_of
from goldmine_infra._roles import RoleSpec, add_role

#: Minutes an idle application waits before it stops (and stops billing).
IDLE_TIMEOUT_MINUTES = 15
#: Prefix of the EMR Serverless job logs in the artifacts bucket.
JOB_LOG_PREFIX = "logs/emr-serverless/"


class ProcessingStack(Stack):
    """EMR Serverless application (auto-start, auto-stop) and the job roles it runs as.

    Attributes
    ----------
    application : emrs.CfnApplication
        The Spark application; ``attr_application_id`` and ``attr_arn`` are used downstream.
    job_roles : dict[str, iam.Role]
        ``{goldmine.iam role name: role}`` for the roles EMR Serverless assumes.
    repository : ecr.Repository
        Where ``infra/docker/Dockerfile``'s job image is pushed.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        job_roles: list[RoleSpec],
        artifacts: s3.IBucket,
        key: kms.IKey,
        image_tag: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = prefix_of(settings)
        self.repository = ecr.Repository(
            self,
            "JobImage",
            repository_name=f"{prefix}/spark-jobs",
            image_scan_on_push=True,
            image_tag_mutability=ecr.TagMutability.IMMUTABLE,
            encryption=ecr.RepositoryEncryption.KMS,
            encryption_key=key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # EMR Serverless pulls the image with the service principal.
        self.repository.add_to_resource_policy(
            iam.PolicyStatement(
                sid="EmrServerlessPull",
                principals=[iam.ServicePrincipal("emr-serverless.amazonaws.com")],
                actions=["ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"],
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            )
        )
        image = (
            emrs.CfnApplication.ImageConfigurationInputProperty(
                image_uri=self.repository.repository_uri_for_tag(image_tag)
            )
            if image_tag
            else None
        )
        self.application = emrs.CfnApplication(
            self,
            "Spark",
            name=f"{prefix}-spark",
            release_label=settings.emr_release_label,
            type="SPARK",
            architecture="X86_64",
            auto_start_configuration=emrs.CfnApplication.AutoStartConfigurationProperty(
                enabled=True
            ),
            auto_stop_configuration=emrs.CfnApplication.AutoStopConfigurationProperty(
                enabled=True, idle_timeout_minutes=IDLE_TIMEOUT_MINUTES
            ),
            maximum_capacity=emrs.CfnApplication.MaximumAllowedResourcesProperty(
                cpu="64 vCPU", memory="256 GB", disk="2000 GB"
            ),
            image_configuration=image,
            monitoring_configuration=emrs.CfnApplication.MonitoringConfigurationProperty(
                s3_monitoring_configuration=emrs.CfnApplication.S3MonitoringConfigurationProperty(
                    # Encrypted by the bucket's default SSE-KMS (through S3).
                    log_uri=f"s3://{artifacts.bucket_name}/{JOB_LOG_PREFIX}",
                ),
            ),
        )
        emr = iam.ServicePrincipal(
            "emr-serverless.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
        )
        self.job_roles: dict[str, iam.Role] = {
            spec.name: add_role(self, settings, spec, assumed_by=emr) for spec in job_roles
        }
