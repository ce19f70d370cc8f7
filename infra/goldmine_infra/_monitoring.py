"""Monitoring: alarms on failed job runs and on gold freshness, and one dashboard."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from goldmine.settings import Settings
from goldmine_infra._naming import camel, prefix_of

#: Gold is stale when no daily build succeeded within this window.
GOLD_FRESHNESS = Duration.hours(24)


class MonitoringStack(Stack):
    """Alarms (to an encrypted SNS topic) and the platform dashboard.

    Attributes
    ----------
    alarms : dict[str, cw.Alarm]
        ``failed-jobs``, ``gold-freshness`` and ``failed-<machine>`` per state machine.
    topic : sns.Topic
        Where alarms are sent; subscribe the on-call address after deploying.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        application_id: str,
        machines: dict[str, sfn.StateMachine],
        workgroups: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        prefix = prefix_of(settings)
        key = kms.Key(
            self,
            "AlarmKey",
            alias=f"alias/{prefix}-alarms",
            description=f"{prefix}: alarm notifications",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        key.grant(
            iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*"
        )
        self.topic = sns.Topic(
            self, "Alarms", topic_name=f"{prefix}-alarms", master_key=key, enforce_ssl=True
        )
        action = cw_actions.SnsAction(self.topic)
        self.alarms: dict[str, cw.Alarm] = {}

        failed_jobs = cw.Metric(
            namespace="AWS/EMRServerless",
            metric_name="FailedJobs",
            dimensions_map={"ApplicationId": application_id},
            statistic="Sum",
            period=Duration.minutes(5),
        )
        self._alarm(
            "failed-jobs",
            failed_jobs,
            f"{prefix}: an EMR Serverless job run failed",
            action,
            threshold=1,
            comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        for name, machine in machines.items():
            self._alarm(
                f"failed-{name}",
                machine.metric_failed(period=Duration.minutes(5), statistic="Sum"),
                f"{prefix}: a {name} execution failed",
                action,
                threshold=1,
                comparison=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            )
        fresh = machines["daily-build"].metric_succeeded(period=GOLD_FRESHNESS, statistic="Sum")
        self._alarm(
            "gold-freshness",
            fresh,
            f"{prefix}: gold is stale (no successful daily build in 24 h)",
            action,
            threshold=1,
            comparison=cw.ComparisonOperator.LESS_THAN_THRESHOLD,
            missing=cw.TreatMissingData.BREACHING,
        )

        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"{prefix}-platform")
        dashboard.add_widgets(
            cw.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms.values()), width=24),
        )
        jobs = [
            cw.Metric(
                namespace="AWS/EMRServerless",
                metric_name=m,
                dimensions_map={"ApplicationId": application_id},
                statistic="Sum",
                period=Duration.minutes(5),
            )
            for m in ("SubmittedJobs", "SuccessJobs", "FailedJobs")
        ]
        dashboard.add_widgets(
            cw.GraphWidget(title="EMR Serverless job runs", left=jobs, width=12),
            cw.GraphWidget(
                title="Pipeline executions (failed)",
                left=[m.metric_failed(statistic="Sum") for m in machines.values()],
                width=12,
            ),
        )
        dashboard.add_widgets(
            cw.GraphWidget(
                title="Athena bytes scanned per workgroup",
                left=[
                    cw.Metric(
                        namespace="AWS/Athena",
                        metric_name="ProcessedBytes",
                        dimensions_map={"WorkGroup": wg},
                        statistic="Sum",
                        period=Duration.hours(1),
                        label=owner,
                    )
                    for owner, wg in workgroups.items()
                ],
                width=24,
            )
        )

    def _alarm(
        self,
        name: str,
        metric: cw.IMetric,
        description: str,
        action: cw.IAlarmAction,
        *,
        threshold: float,
        comparison: cw.ComparisonOperator,
        missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING,
    ) -> None:
        alarm = cw.Alarm(
            self,
            camel(name),
            alarm_name=f"{self.stack_name}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=comparison,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(action)
        self.alarms[name] = alarm
