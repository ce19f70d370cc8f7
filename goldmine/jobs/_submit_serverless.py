"""Submit a job to an EMR Serverless application with ``start_job_run``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from goldmine.jobs._package import Artifact
from goldmine.jobs._registry import JobSpec
from goldmine.jobs._remote import SERVERLESS_LOG_PREFIX, job_tags, log_uri, remote_conf
from goldmine.settings import Settings


@dataclass(frozen=True)
class ServerlessRun:
    """A submitted job run and where its logs go."""

    application_id: str
    job_run_id: str
    log_uri: str


def spark_submit_parameters(settings: Settings, job: JobSpec, artifact: Artifact) -> str:
    """Return ``sparkSubmitParameters``: ``--conf k=v`` pairs (no value has a space)."""
    conf = remote_conf(settings, job, artifact, driver_env_prefix="spark.emr-serverless.driverEnv.")
    bad = [k for k, v in conf.items() if " " in v]
    if bad:
        raise ValueError(f"Spark properties with spaces cannot travel in one string: {bad}")
    return " ".join(f"--conf {key}={value}" for key, value in conf.items())


def start_job_run_request(
    settings: Settings,
    job: JobSpec,
    artifact: Artifact,
    argv: list[str],
    *,
    application_id: str,
    role_arn: str,
    client_token: str | None = None,
) -> dict[str, Any]:
    """Return the ``start_job_run`` request of ``job`` (pure)."""
    return {
        "applicationId": application_id,
        "clientToken": client_token or uuid.uuid4().hex,
        "executionRoleArn": role_arn,
        "name": f"goldmine-{job.name}",
        "jobDriver": {
            "sparkSubmit": {
                "entryPoint": artifact.job_uri(job.name),
                "entryPointArguments": list(argv),
                "sparkSubmitParameters": spark_submit_parameters(settings, job, artifact),
            }
        },
        "configurationOverrides": {
            "monitoringConfiguration": {
                "s3MonitoringConfiguration": {"logUri": log_uri(settings, SERVERLESS_LOG_PREFIX)}
            }
        },
        "tags": job_tags(settings, job),
    }


def submit_serverless(
    client: Any,
    settings: Settings,
    job: JobSpec,
    artifact: Artifact,
    argv: list[str],
    *,
    application_id: str,
    role_arn: str,
) -> ServerlessRun:
    """Start ``job`` on an EMR Serverless application; return the run.

    Parameters
    ----------
    client
        An ``emr-serverless`` client (``platform.aws.client("emr-serverless")``).
    role_arn
        The job execution role (see :func:`goldmine.jobs.job_role_arn`).
    """
    request = start_job_run_request(
        settings, job, artifact, argv, application_id=application_id, role_arn=role_arn
    )
    response = client.start_job_run(**request)
    return ServerlessRun(
        application_id, response["jobRunId"], log_uri(settings, SERVERLESS_LOG_PREFIX)
    )


def job_run_log_location(run: ServerlessRun) -> str:
    """Return where EMR Serverless writes the run's driver logs."""
    return f"{run.log_uri}applications/{run.application_id}/jobs/{run.job_run_id}/"
