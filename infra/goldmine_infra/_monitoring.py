"""Monitoring: alarms on failed job runs, quarantine rates and gold freshness; dashboards.

The platform dashboard shows the AWS services (EMR Serverless, Step Functions, Athena);
one dashboard per architecture shows the runs' own metrics (:mod:`._run_metrics`).
"""

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
from goldmine_infra._run_metrics import (
    FEEDS,
    GOLD_MAX_AGE_DAYS,
    QUARANTINE_RATE_MAX,
    dashboard_widgets,
    gold_age,
    quarantine_rate,
)


class MonitoringStack(Stack):
    """Alarms (to an encrypted SNS topic) and the platform dashboard.

    Attributes
    ----------
    alarms : dict[str, cw.Alarm]
        ``failed-jobs``, ``failed-<machine>`` per state machine, ``gold-freshness``
        and ``quarantine-<feed>`` per source feed.
    dashboards : dict[str, cw.Dashboard]
        ``platform`` and one per architecture (``lake``, ``lakehouse``, ``mesh``).
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
        self._alarm(
            "gold-freshness",
            gold_age(settings),
            f"{prefix}: gold is stale (newest order date built more than {GOLD_MAX_AGE_DAYS} "
            "days old, or no build reported one in 24 h)",
            action,
            threshold=GOLD_MAX_AGE_DAYS,
            comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            missing=cw.TreatMissingData.BREACHING,
        )
        for feed in FEEDS:
            self._alarm(
                f"quarantine-{feed.replace('_', '-')}",
                quarantine_rate(settings, feed),
                f"{prefix}: more than {QUARANTINE_RATE_MAX:g}% of the {feed} records of a run "
                "were quarantined",
                action,
                threshold=QUARANTINE_RATE_MAX,
                comparison=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            )

        self.dashboards: dict[str, cw.Dashboard] = {}
        for architecture in ("lake", "lakehouse", "mesh"):
            board = cw.Dashboard(
                self, camel(f"{architecture}-dashboard"), dashboard_name=f"{prefix}-{architecture}"
            )
            run_alarms = [a for n, a in self.alarms.items() if n.startswith("quarantine-")]
            if architecture != "mesh":
                run_alarms.append(self.alarms["gold-freshness"])
            for row in dashboard_widgets(settings, architecture, run_alarms):
                board.add_widgets(*row)
            self.dashboards[architecture] = board
        dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=f"{prefix}-platform")
        self.dashboards["platform"] = dashboard
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
