"""Event-driven ingestion, the daily build and backfills, as Step Functions over EMR Serverless.

Every run goes through ``emr-serverless:startJobRun.sync`` so the state machine waits
for the job and fails when it fails. The job entry point and its arguments are one
contract with ``jobs/`` (see ``JOB_ENTRY_POINT``); ``ClientToken`` makes a retried
start of the same batch a no-op.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct

from goldmine.settings import Settings
from goldmine_infra._naming import camel, prefix_of
from goldmine_infra._processing import JOB_LOG_PREFIX

#: Key of the job entry point in the artifacts bucket (uploaded by the jobs release).
JOB_ENTRY_POINT = "jobs/entrypoint.py"
#: The daily build: UTC hour of the scheduled run.
DAILY_BUILD_HOUR = "3"
#: Architectures the daily build rebuilds, in parallel.
ARCHITECTURES: tuple[str, ...] = ("lake", "lakehouse", "mesh")
#: Most job runs a backfill keeps in flight at once.
BACKFILL_CONCURRENCY = 8
_SYNC_RULE = "StepFunctionsGetEventsForEMRServerlessJobRule"


class IngestionStack(Stack):
    """EventBridge rules and the state machines they start.

    Attributes
    ----------
    landing_rule : events.Rule
        Object Created in the landing bucket -> ``ingest`` state machine.
    daily_rule : events.Rule
        Daily schedule -> ``daily-build`` state machine.
    machines : dict[str, sfn.StateMachine]
        ``ingest``, ``daily-build`` and ``backfill``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        landing: s3.IBucket,
        artifacts: s3.IBucket,
        application_id: str,
        application_arn: str,
        job_roles: dict[str, iam.Role],
        ingest_role: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._prefix = prefix_of(settings)
        self._application_id = application_id
        self._roles = job_roles
        self._entry_point = f"s3://{artifacts.bucket_name}/{JOB_ENTRY_POINT}"
        self._log_uri = f"s3://{artifacts.bucket_name}/{JOB_LOG_PREFIX}"
        self.machines: dict[str, sfn.StateMachine] = {}

        ingest = self._job(
            "IngestObject",
            role=ingest_role,
            name="States.Format('ingest-{}', $.id)",
            token="$.id",
            arguments="States.Array('lake', 'ingest', '--source', "
            "States.Format('s3://{}/{}', $.detail.bucket.name, $.detail.object.key))",
        )
        self._machine("ingest", ingest, application_arn)

        builds = sfn.Parallel(self, "BuildArchitectures")
        for arch in ARCHITECTURES:
            builds.branch(
                self._job(
                    f"Build{camel(arch)}",
                    role=f"spark-{arch}",
                    name=f"States.Format('build-{arch}-{{}}', $.id)",
                    token=f"States.Format('{arch}-{{}}', $.id)",
                    arguments=f"States.Array('{arch}', 'build', '--as-of', $.time)",
                )
            )
        self._machine("daily-build", builds, application_arn)

        backfill = sfn.Map(
            self,
            "BackfillDays",
            items_path="$.dates",
            max_concurrency=BACKFILL_CONCURRENCY,
            item_selector={"date.$": "$$.Map.Item.Value", "run.$": "$$.Execution.Name"},
        )
        backfill.item_processor(
            self._job(
                "BackfillDay",
                role=ingest_role,
                name="States.Format('backfill-{}', $.date)",
                token="States.Format('{}-{}', $.run, $.date)",
                arguments="States.Array('lake', 'ingest', '--batch-date', $.date)",
            )
        )
        self._machine("backfill", backfill, application_arn)

        self.landing_rule = events.Rule(
            self,
            "LandingObjectCreated",
            rule_name=f"{self._prefix}-landing-object-created",
            description="A new object in the landing bucket starts its ingestion",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={"bucket": {"name": [landing.bucket_name]}},
            ),
            targets=[targets.SfnStateMachine(self.machines["ingest"])],
        )
        self.daily_rule = events.Rule(
            self,
            "DailyBuildSchedule",
            rule_name=f"{self._prefix}-daily-build",
            description="Rebuilds lake, lakehouse and mesh once a day",
            schedule=events.Schedule.cron(minute="0", hour=DAILY_BUILD_HOUR),
            targets=[targets.SfnStateMachine(self.machines["daily-build"])],
        )

    def _job(
        self, construct_id: str, *, role: str, name: str, token: str, arguments: str
    ) -> sfn.CustomState:
        parameters: dict[str, Any] = {
            "ApplicationId": self._application_id,
            "ExecutionRoleArn": self._roles[role].role_arn,
            "Name.$": name,
            "JobDriver": {
                "SparkSubmit": {"EntryPoint": self._entry_point, "EntryPointArguments.$": arguments}
            },
            "ConfigurationOverrides": {
                "MonitoringConfiguration": {
                    "S3MonitoringConfiguration": {
                        # Encrypted by the bucket's default SSE-KMS (through S3).
                        "LogUri": self._log_uri,
                    }
                }
            },
        }
        parameters["ClientToken.$" if token.startswith(("$", "States.")) else "ClientToken"] = token
        return sfn.CustomState(
            self,
            construct_id,
            state_json={
                "Type": "Task",
                "Resource": "arn:aws:states:::emr-serverless:startJobRun.sync",
                "Parameters": parameters,
                "Retry": [
                    {
                        "ErrorEquals": ["EMRServerless.ThrottlingException"],
                        "IntervalSeconds": 30,
                        "MaxAttempts": 5,
                        "BackoffRate": 2,
                    }
                ],
            },
        )

    def _machine(self, name: str, body: sfn.IChainable, application_arn: str) -> None:
        log_group = logs.LogGroup(
            self,
            f"{camel(name)}Logs",
            log_group_name=f"/aws/vendedlogs/states/{self._prefix}-{name}",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        machine = sfn.StateMachine(
            self,
            camel(name),
            state_machine_name=f"{self._prefix}-{name}",
            definition_body=sfn.DefinitionBody.from_chainable(body),
            timeout=Duration.hours(12),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL),
        )
        jobruns = f"{application_arn}/jobruns/*"
        sync_rule = f"arn:{Aws.PARTITION}:events:{Aws.REGION}:{Aws.ACCOUNT_ID}:rule/{_SYNC_RULE}"
        for statement in (
            iam.PolicyStatement(
                actions=["emr-serverless:StartJobRun"], resources=[application_arn]
            ),
            iam.PolicyStatement(
                actions=["emr-serverless:GetJobRun", "emr-serverless:CancelJobRun"],
                resources=[jobruns],
            ),
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[r.role_arn for r in self._roles.values()],
                conditions={
                    "StringEquals": {"iam:PassedToService": "emr-serverless.amazonaws.com"}
                },
            ),
            iam.PolicyStatement(
                actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
                resources=[sync_rule],
            ),
        ):
            machine.add_to_role_policy(statement)
        NagSuppressions.add_resource_suppressions(
            machine,
            [
                NagPackSuppression(
                    id="AwsSolutions-IAM5",
                    reason="Job runs get their id at start; the grant is limited to the runs "
                    "of this one EMR Serverless application. X-Ray and log delivery actions "
                    "have no resource type (added by CDK).",
                    applies_to=[
                        "Resource::*",
                        RegexAppliesTo(regex="/^Resource::<.*Spark.*Arn>\\/jobruns\\/\\*$/g"),
                        RegexAppliesTo(regex="/^Resource::.*jobruns\\/\\*$/g"),
                    ],
                )
            ],
            apply_to_children=True,
        )
        self.machines[name] = machine
