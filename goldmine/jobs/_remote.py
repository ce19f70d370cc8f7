"""What EMR and EMR Serverless submissions share: Spark properties, tags, role, log URIs."""

from __future__ import annotations

from typing import Any

from goldmine.aws import AwsClients
from goldmine.jobs._environment import settings_environment
from goldmine.jobs._package import Artifact
from goldmine.jobs._registry import JobSpec
from goldmine.settings import DOMAINS, Endpoints, Settings
from goldmine.spark import spark_conf
from goldmine.tags import tags_for

#: Delta Lake JARs as installed on EMR 7 images (EMR on EC2 and EMR Serverless).
EMR_DELTA_JARS = (
    "/usr/share/aws/delta/lib/delta-spark.jar",
    "/usr/share/aws/delta/lib/delta-storage.jar",
)
PYTHON_IN_ARCHIVE = "./environment/bin/python"
EMR_LOG_PREFIX = "logs/emr/"
SERVERLESS_LOG_PREFIX = "logs/emr-serverless/"


def remote_conf(
    settings: Settings, job: JobSpec, artifact: Artifact, *, driver_env_prefix: str
) -> dict[str, str]:
    """Return the Spark properties of a job run in AWS, in a stable order.

    Parameters
    ----------
    settings
        The submitter's settings; bucket names and tags travel to the job as
        ``GOLDMINE_*`` driver environment variables.
    job, artifact
        What runs, and the uploaded artifact whose environment archive it uses.
    driver_env_prefix
        ``spark.yarn.appMasterEnv.`` (EMR, cluster mode) or
        ``spark.emr-serverless.driverEnv.`` (EMR Serverless).
    """
    conf = spark_conf(AwsClients(settings, Endpoints()), app_name=f"goldmine-{job.name}")
    conf.pop("spark.app.name")
    conf.update(
        {
            "spark.archives": artifact.archive_uri,
            "spark.jars": ",".join([*EMR_DELTA_JARS, artifact.log_store_jar_uri]),
            f"{driver_env_prefix}PYSPARK_PYTHON": PYTHON_IN_ARCHIVE,
            f"{driver_env_prefix}PYSPARK_DRIVER_PYTHON": PYTHON_IN_ARCHIVE,
            "spark.executorEnv.PYSPARK_PYTHON": PYTHON_IN_ARCHIVE,
        }
    )
    for key, value in settings_environment(settings, remote=True).items():
        conf[f"{driver_env_prefix}{key}"] = value
    return conf


def job_tags(settings: Settings, job: JobSpec) -> dict[str, str]:
    """Return the cost tags of a job run: its architecture's (or mesh domain's) domain."""
    return tags_for(settings, domain=cost_domain(job))


def cost_domain(job: JobSpec) -> str:
    """Return the cost-allocation domain of ``job`` (``mesh_sales_x`` -> ``sales``)."""
    if job.architecture == "mesh":
        parts = job.name.split("_")
        return parts[1] if len(parts) > 1 and parts[1] in DOMAINS else "platform"
    return job.architecture


def job_role_arn(settings: Settings, job: JobSpec, sts: Any) -> str:
    """Return the ARN of the role the job runs as (deployed by ``infra/``'s processing stack)."""
    account = sts.get_caller_identity()["Account"]
    return f"arn:aws:iam::{account}:role/{settings.project}-{settings.environment}-{job.job_role}"


def log_uri(settings: Settings, prefix: str) -> str:
    """Return the ``s3://`` log location in the artifacts bucket."""
    return f"s3://{settings.buckets.artifacts}/{prefix}"
