"""Submit a job to EMR on EC2: a step on a running cluster, or a transient cluster."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from goldmine.jobs._package import Artifact
from goldmine.jobs._registry import JobSpec
from goldmine.jobs._remote import EMR_LOG_PREFIX, job_tags, log_uri, remote_conf
from goldmine.settings import Settings

_GLUE_FACTORY = "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"


@dataclass(frozen=True)
class EmrClusterSpec:
    """Shape of a transient cluster (one primary and ``core_count`` core nodes)."""

    instance_type: str = "m6i.xlarge"
    core_count: int = 2
    idle_timeout_s: int = 3600
    service_role: str = "EMR_DefaultRole"
    instance_profile: str | None = None  # default: the job role's instance profile


@dataclass(frozen=True)
class EmrRun:
    """A submitted step and where its logs go."""

    cluster_id: str
    step_id: str
    log_uri: str
    transient: bool


def step_args(settings: Settings, job: JobSpec, artifact: Artifact, argv: list[str]) -> list[str]:
    """Return the ``command-runner.jar`` arguments: ``spark-submit`` in cluster mode."""
    conf = remote_conf(settings, job, artifact, driver_env_prefix="spark.yarn.appMasterEnv.")
    args = ["spark-submit", "--deploy-mode", "cluster", "--name", f"goldmine-{job.name}"]
    for key, value in conf.items():
        args += ["--conf", f"{key}={value}"]
    return [*args, artifact.job_uri(job.name), *argv]


def emr_step(
    settings: Settings,
    job: JobSpec,
    artifact: Artifact,
    argv: list[str],
    *,
    action_on_failure: str = "CONTINUE",
) -> dict[str, Any]:
    """Return the EMR step of ``job`` (pure)."""
    return {
        "Name": f"goldmine-{job.name} ({artifact.version})",
        "ActionOnFailure": action_on_failure,
        "HadoopJarStep": {
            "Jar": "command-runner.jar",
            "Args": step_args(settings, job, artifact, argv),
        },
    }


def transient_cluster_request(
    settings: Settings,
    job: JobSpec,
    artifact: Artifact,
    argv: list[str],
    spec: EmrClusterSpec | None = None,
) -> dict[str, Any]:
    """Return the ``run_job_flow`` request of a cluster that runs ``job`` and terminates."""
    spec = spec or EmrClusterSpec()
    prefix = f"{settings.project}-{settings.environment}"
    tags = job_tags(settings, job)
    return {
        "Name": f"{prefix}-{job.name.replace('_', '-')}",
        "ReleaseLabel": settings.emr_release_label,
        "LogUri": log_uri(settings, EMR_LOG_PREFIX),
        "Applications": [{"Name": "Spark"}],
        "Configurations": [
            {"Classification": "delta-defaults", "Properties": {"delta.enabled": "true"}},
            {
                "Classification": "spark-hive-site",
                "Properties": {"hive.metastore.client.factory.class": _GLUE_FACTORY},
            },
        ],
        "Instances": {
            "InstanceGroups": [
                {
                    "Name": "primary",
                    "InstanceRole": "MASTER",
                    "InstanceType": spec.instance_type,
                    "InstanceCount": 1,
                },
                {
                    "Name": "core",
                    "InstanceRole": "CORE",
                    "InstanceType": spec.instance_type,
                    "InstanceCount": spec.core_count,
                },
            ],
            "KeepJobFlowAliveWhenNoSteps": False,
            "TerminationProtected": False,
        },
        "Steps": [emr_step(settings, job, artifact, argv, action_on_failure="TERMINATE_CLUSTER")],
        "AutoTerminationPolicy": {"IdleTimeout": spec.idle_timeout_s},
        "JobFlowRole": spec.instance_profile or f"{prefix}-{job.job_role}",
        "ServiceRole": spec.service_role,
        "VisibleToAllUsers": True,
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


def submit_emr(
    emr: Any,
    settings: Settings,
    job: JobSpec,
    artifact: Artifact,
    argv: list[str],
    *,
    cluster_id: str | None = None,
    spec: EmrClusterSpec | None = None,
) -> EmrRun:
    """Add ``job`` as a step to ``cluster_id``, or start a transient cluster that runs it.

    Parameters
    ----------
    emr
        An ``emr`` client (``platform.aws.client("emr")``).
    settings, job, artifact, argv
        What to run, from which uploaded artifact, with which arguments.
    cluster_id
        A running cluster (``j-...``); ``None`` starts a transient one.
    spec
        Shape of the transient cluster.
    """
    logs = log_uri(settings, EMR_LOG_PREFIX)
    if cluster_id:
        response = emr.add_job_flow_steps(
            JobFlowId=cluster_id, Steps=[emr_step(settings, job, artifact, argv)]
        )
        return EmrRun(cluster_id, response["StepIds"][0], logs, transient=False)
    request = transient_cluster_request(settings, job, artifact, argv, spec)
    cluster = emr.run_job_flow(**request)["JobFlowId"]
    for _ in range(10):  # the step of a new cluster is listed a moment after creation
        steps = emr.list_steps(ClusterId=cluster)["Steps"]
        if steps:
            return EmrRun(cluster, steps[-1]["Id"], logs, transient=True)
        time.sleep(1)
    raise RuntimeError(f"cluster {cluster} started but lists no step")


def step_log_location(run: EmrRun) -> str:
    """Return where EMR writes the step's logs (``<LogUri><cluster>/steps/<step>/``)."""
    return f"{run.log_uri}{run.cluster_id}/steps/{run.step_id}/"
