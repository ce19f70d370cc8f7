"""Run and submit the Spark jobs of ``jobs/``: in-process, local, standalone, EMR, Serverless.

Examples
--------
>>> from goldmine.jobs import discover_jobs
>>> "smoke" in discover_jobs()
True
"""

from goldmine.jobs._cluster import (
    ClusterError,
    ClusterSpec,
    ClusterStatus,
    cluster_down,
    cluster_status,
    cluster_up,
    master_json,
)
from goldmine.jobs._environment import settings_environment
from goldmine.jobs._package import (
    RELEASES,
    Artifact,
    PackageError,
    ReleaseRuntime,
    build_package,
    check_release,
    find_artifact,
    require_artifact,
    upload_package,
)
from goldmine.jobs._registry import JobNotFoundError, JobSpec, discover_jobs, get_job, run_job
from goldmine.jobs._remote import EMR_DELTA_JARS, cost_domain, job_role_arn, job_tags
from goldmine.jobs._submit_emr import (
    EmrClusterSpec,
    EmrRun,
    emr_step,
    step_log_location,
    submit_emr,
    transient_cluster_request,
)
from goldmine.jobs._submit_local import LocalRun, spark_submit_command, submit_local
from goldmine.jobs._submit_serverless import (
    ServerlessRun,
    job_run_log_location,
    spark_submit_parameters,
    start_job_run_request,
    submit_serverless,
)
from goldmine.jobs._wait import (
    RunFailedError,
    RunState,
    emr_step_state,
    serverless_state,
    wait_for_run,
)

__all__ = [
    "EMR_DELTA_JARS",
    "RELEASES",
    "Artifact",
    "ClusterError",
    "ClusterSpec",
    "ClusterStatus",
    "EmrClusterSpec",
    "EmrRun",
    "JobNotFoundError",
    "JobSpec",
    "LocalRun",
    "PackageError",
    "ReleaseRuntime",
    "RunFailedError",
    "RunState",
    "ServerlessRun",
    "build_package",
    "check_release",
    "cluster_down",
    "cluster_status",
    "cluster_up",
    "cost_domain",
    "discover_jobs",
    "emr_step",
    "emr_step_state",
    "find_artifact",
    "get_job",
    "job_role_arn",
    "job_run_log_location",
    "job_tags",
    "master_json",
    "require_artifact",
    "run_job",
    "serverless_state",
    "settings_environment",
    "spark_submit_command",
    "spark_submit_parameters",
    "start_job_run_request",
    "step_log_location",
    "submit_emr",
    "submit_local",
    "submit_serverless",
    "transient_cluster_request",
    "upload_package",
    "wait_for_run",
]
