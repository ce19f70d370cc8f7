"""Secrets: the source-system credentials, KMS-encrypted, rotated by a small Lambda."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as sm
from cdk_nag import NagSuppressions
from constructs import Construct

from goldmine.settings import Settings
from goldmine_infra._naming import prefix_of

#: Days between two rotations of the source-system password.
ROTATION_DAYS = 30
_ROTATION_CODE = Path(__file__).parent / "lambdas" / "rotate_source_secret"


class SecretsStack(Stack):
    """The secret named ``settings.source_secret_name`` and its rotation schedule.

    Attributes
    ----------
    secret : sm.Secret
        The source-system credentials (``{"username", "password"}``).
    rotation : lambda_.Function
        The rotation function.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, settings: Settings, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = prefix_of(settings)
        key = kms.Key(
            self,
            "SecretKey",
            alias=f"alias/{prefix}-secrets",
            description=f"{prefix}: source-system credentials",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.secret = sm.Secret(
            self,
            "SourceSecret",
            secret_name=settings.source_secret_name,
            description=f"{settings.project}: credentials of the sales source system",
            encryption_key=key,
            generate_secret_string=sm.SecretStringGenerator(
                secret_string_template=json.dumps({"username": settings.project}),
                generate_string_key="password",
                exclude_punctuation=True,
                password_length=32,
            ),
            removal_policy=RemovalPolicy.RETAIN,
        )
        log_group = logs.LogGroup(
            self,
            "RotationLogs",
            log_group_name=f"/aws/lambda/{prefix}-rotate-source-secret",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "RotationRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{prefix}: rotates {settings.source_secret_name}",
        )
        log_group.grant_write(role)
        role.add_to_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetRandomPassword"], resources=["*"])
        )
        self.rotation = lambda_.Function(
            self,
            "RotateSourceSecret",
            function_name=f"{prefix}-rotate-source-secret",
            runtime=lambda_.Runtime.PYTHON_3_14,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(_ROTATION_CODE)),
            timeout=Duration.seconds(30),
            memory_size=128,
            role=role,
            log_group=log_group,
            description="Rotates the source-system password (createSecret .. finishSecret)",
        )
        self.schedule = self.secret.add_rotation_schedule(
            "Rotation",
            rotation_lambda=self.rotation,
            automatically_after=Duration.days(ROTATION_DAYS),
        )
        NagSuppressions.add_resource_suppressions(
            role,
            [
                {
                    "id": "AwsSolutions-IAM5",
                    "reason": "secretsmanager:GetRandomPassword has no resource type; "
                    "it only returns random bytes.",
                    "appliesTo": ["Resource::*"],
                }
            ],
            apply_to_children=True,
        )
