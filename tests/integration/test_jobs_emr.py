"""Submission to EMR on EC2 and EMR Serverless, checked against the local API endpoint.

The local endpoint (moto server) accepts these calls but executes nothing: no cluster
starts, no Spark runs, a job run's state is made up. So these tests check call shapes
only: the exact requests sent (captured with a botocore event hook on the real client,
then sent for real to the endpoint, which must accept them) and that the artifact they
reference exists in the artifacts bucket. They never check results.
"""

from __future__ import annotations

import copy
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from goldmine.jobs import (
    PackageError,
    find_artifact,
    get_job,
    require_artifact,
    submit_emr,
    submit_serverless,
    upload_package,
)
from goldmine.jobs._package import Artifact

pytestmark = pytest.mark.integration

VERSION = "0.1.0-emrtest00001"
PREFIX = f"s3://goldmine-local-artifacts/jobs/{VERSION}"
TAGS = {
    "project": "goldmine",
    "environment": "local",
    "domain": "platform",
    "cost-center": "data-platform",
    "owner": "data-platform-team",
}
#: What the job's driver gets, so that load_settings() on EMR sees the submitter's buckets.
DRIVER_ENV = {
    "GOLDMINE_ENVIRONMENT": "aws",
    "GOLDMINE_PROJECT": "goldmine",
    "GOLDMINE_REGION": "us-east-1",
    "GOLDMINE_BUCKETS__LANDING": "goldmine-local-landing",
    "GOLDMINE_BUCKETS__RAW": "goldmine-local-raw",
    "GOLDMINE_BUCKETS__CURATED": "goldmine-local-curated",
    "GOLDMINE_BUCKETS__ANALYTICS": "goldmine-local-analytics",
    "GOLDMINE_BUCKETS__LAKEHOUSE": "goldmine-local-lakehouse",
    "GOLDMINE_BUCKETS__ATHENA_RESULTS": "goldmine-local-athena-results",
    "GOLDMINE_BUCKETS__ARTIFACTS": "goldmine-local-artifacts",
    "GOLDMINE_BUCKETS__ACCESS_LOGS": "goldmine-local-access-logs",
    "GOLDMINE_BUCKETS__MESH__SALES": "goldmine-local-mesh-sales",
    "GOLDMINE_BUCKETS__MESH__CUSTOMER": "goldmine-local-mesh-customer",
    "GOLDMINE_BUCKETS__MESH__CATALOG": "goldmine-local-mesh-catalog",
    "GOLDMINE_BUCKETS__MESH__FINANCE": "goldmine-local-mesh-finance",
    "GOLDMINE_TAGS__COST_CENTER": "data-platform",
    "GOLDMINE_TAGS__OWNER": "data-platform-team",
    "GOLDMINE_SPARK_SHUFFLE_PARTITIONS": "2",
    "GOLDMINE_DELTA_LOG_TABLE": "goldmine-local-delta-log",
    "GOLDMINE_LEASE_TABLE": "goldmine-local-leases",
    "GOLDMINE_LEASE_SECONDS": "60.0",
}
SPARK_CONF = {
    "spark.sql.extensions": "io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "2",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.databricks.delta.schema.autoMerge.enabled": "false",
    "spark.databricks.delta.snapshotPartitions": "2",
    "spark.databricks.delta.allFilesInCrc.enabled": "false",
    "spark.sql.inMemoryColumnarStorage.compressed": "false",  # ADR 0042
    # every Delta commit claimed in DynamoDB (ADR 0023); AWS's endpoint and credentials
    "spark.delta.logStore.s3.impl": "io.goldmine.delta.DynamoDBLogStore",
    "spark.delta.logStore.s3a.impl": "io.goldmine.delta.DynamoDBLogStore",
    "spark.io.delta.storage.S3DynamoDBLogStore.ddb.tableName": "goldmine-local-delta-log",
    "spark.io.delta.storage.S3DynamoDBLogStore.ddb.region": "us-east-1",
    "spark.io.delta.storage.S3DynamoDBLogStore.ddb.ttl": "86400",
    "spark.hadoop.hive.metastore.client.factory.class": (
        "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
    ),
    "spark.archives": f"{PREFIX}/environment.tar.gz#environment",
    "spark.jars": (
        "/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar,"
        f"{PREFIX}/jars/goldmine-delta-logstore-1.jar"
    ),
}


def expected_conf(driver_env: str) -> dict[str, str]:
    return {
        **SPARK_CONF,
        f"{driver_env}PYSPARK_PYTHON": "./environment/bin/python",
        f"{driver_env}PYSPARK_DRIVER_PYTHON": "./environment/bin/python",
        "spark.executorEnv.PYSPARK_PYTHON": "./environment/bin/python",
        **{f"{driver_env}{k}": v for k, v in DRIVER_ENV.items()},
    }


def conf_args(conf: dict[str, str]) -> list[str]:
    return [arg for k, v in conf.items() for arg in ("--conf", f"{k}={v}")]


@pytest.fixture(scope="module")
def artifact(platform, tmp_path_factory) -> Artifact:
    """A small stand-in artifact, uploaded with the real upload code (no 1 GB build here)."""
    build: Path = tmp_path_factory.mktemp("artifact")
    job = get_job("smoke")
    (build / "jobs").mkdir()
    (build / "jobs" / "smoke.py").write_bytes(job.path.read_bytes())
    (build / "goldmine-0.1.0-py3-none-any.whl").write_bytes(b"stand-in wheel")
    with tarfile.open(build / "environment.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo("bin/python")
        tar.addfile(info, io.BytesIO(b""))
    files = ("environment.tar.gz", "goldmine-0.1.0-py3-none-any.whl", "jobs/smoke.py")
    manifest = {
        "version": VERSION,
        "release_label": "emr-7.12.0",
        "python": "3.11",
        "spark": "3.5.9",
        "files": [*files, "manifest.json"],
    }
    (build / "manifest.json").write_text(json.dumps(manifest))
    built = Artifact(VERSION, platform.settings.buckets.artifacts, "emr-7.12.0", "3.11", "3.5.9",
                     (*files, "manifest.json"), local_dir=build)  # fmt: skip
    upload_package(platform.aws.s3(), built)
    return require_artifact(platform.aws.s3(), platform.settings, VERSION)


def capture(client: Any) -> list[tuple[str, dict[str, Any]]]:
    """Record every request's parameters as the caller passed them (then it is sent)."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        sent.append((model.name, copy.deepcopy(params)))

    client.meta.events.register("before-parameter-build", record)
    return sent


def assert_exists(s3: Any, uri: str) -> None:
    bucket, key = uri.removeprefix("s3://").split("#")[0].split("/", 1)
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] >= 0, uri


def test_transient_cluster_request(platform, artifact):
    emr = platform.aws.client("emr")
    sent = capture(emr)
    run = submit_emr(emr, platform.settings, get_job("smoke"), artifact, ["--days", "1"])

    name, request = sent[0]
    assert name == "RunJobFlow"
    step_args = [
        "spark-submit", "--deploy-mode", "cluster", "--name", "goldmine-smoke",
        *conf_args(expected_conf("spark.yarn.appMasterEnv.")),
        f"{PREFIX}/jobs/smoke.py", "--days", "1",
    ]  # fmt: skip
    assert request == {
        "Name": "goldmine-local-smoke",
        "ReleaseLabel": "emr-7.12.0",
        "LogUri": "s3://goldmine-local-artifacts/logs/emr/",
        "Applications": [{"Name": "Spark"}],
        "Configurations": [
            {"Classification": "delta-defaults", "Properties": {"delta.enabled": "true"}},
            {
                "Classification": "spark-hive-site",
                "Properties": {
                    "hive.metastore.client.factory.class": (
                        "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
                    )
                },
            },
        ],
        "Instances": {
            "InstanceGroups": [
                {"Name": "primary", "InstanceRole": "MASTER", "InstanceType": "m6i.xlarge",
                 "InstanceCount": 1},
                {"Name": "core", "InstanceRole": "CORE", "InstanceType": "m6i.xlarge",
                 "InstanceCount": 2},
            ],
            "KeepJobFlowAliveWhenNoSteps": False,
            "TerminationProtected": False,
        },
        "Steps": [
            {
                "Name": f"goldmine-smoke ({VERSION})",
                "ActionOnFailure": "TERMINATE_CLUSTER",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": step_args},
            }
        ],
        "AutoTerminationPolicy": {"IdleTimeout": 3600},
        "JobFlowRole": "goldmine-local-spark-lakehouse",
        "ServiceRole": "EMR_DefaultRole",
        "VisibleToAllUsers": True,
        "Tags": [{"Key": k, "Value": v} for k, v in TAGS.items()],
    }  # fmt: skip
    # The endpoint accepted it: the cluster and its step exist there (nothing runs).
    cluster = emr.describe_cluster(ClusterId=run.cluster_id)["Cluster"]
    assert cluster["ReleaseLabel"] == "emr-7.12.0"
    assert cluster["LogUri"] == "s3://goldmine-local-artifacts/logs/emr/"
    assert {t["Key"]: t["Value"] for t in cluster["Tags"]} == TAGS
    step = emr.describe_step(ClusterId=run.cluster_id, StepId=run.step_id)["Step"]
    assert step["Config"]["Args"] == step_args
    s3 = platform.aws.s3()
    assert_exists(s3, f"{PREFIX}/jobs/smoke.py")
    assert_exists(s3, f"{PREFIX}/environment.tar.gz")


def test_step_on_a_running_cluster(platform, artifact):
    emr = platform.aws.client("emr")
    cluster = submit_emr(emr, platform.settings, get_job("smoke"), artifact, []).cluster_id
    sent = capture(emr)
    run = submit_emr(
        emr, platform.settings, get_job("smoke"), artifact, ["--seed", "3"], cluster_id=cluster
    )
    name, request = sent[0]
    assert name == "AddJobFlowSteps"
    assert request["JobFlowId"] == cluster
    (step,) = request["Steps"]
    assert step["ActionOnFailure"] == "CONTINUE"  # a shared cluster outlives a failed job
    assert step["HadoopJarStep"]["Jar"] == "command-runner.jar"
    args = step["HadoopJarStep"]["Args"]
    assert args[:3] == ["spark-submit", "--deploy-mode", "cluster"]
    assert args[-3:] == [f"{PREFIX}/jobs/smoke.py", "--seed", "3"]
    assert run.step_id in {s["Id"] for s in emr.list_steps(ClusterId=cluster)["Steps"]}


def test_serverless_job_run_request(platform, artifact):
    client = platform.aws.client("emr-serverless")
    app = client.create_application(name="goldmine-local-spark", releaseLabel="emr-7.12.0",
                                    type="SPARK")["applicationId"]  # fmt: skip
    sent = capture(client)
    role = "arn:aws:iam::123456789012:role/goldmine-local-spark-lakehouse"
    run = submit_serverless(client, platform.settings, get_job("smoke"), artifact, ["--days", "1"],
                            application_id=app, role_arn=role)  # fmt: skip

    name, request = sent[0]
    assert name == "StartJobRun"
    parameters = " ".join(
        f"--conf {k}={v}" for k, v in expected_conf("spark.emr-serverless.driverEnv.").items()
    )
    assert request == {
        "applicationId": app,
        "clientToken": request["clientToken"],
        "executionRoleArn": role,
        "name": "goldmine-smoke",
        "jobDriver": {
            "sparkSubmit": {
                "entryPoint": f"{PREFIX}/jobs/smoke.py",
                "entryPointArguments": ["--days", "1"],
                "sparkSubmitParameters": parameters,
            }
        },
        "configurationOverrides": {
            "monitoringConfiguration": {
                "s3MonitoringConfiguration": {
                    "logUri": "s3://goldmine-local-artifacts/logs/emr-serverless/"
                }
            }
        },
        "tags": TAGS,
    }
    assert len(request["clientToken"]) == 32
    stored = client.get_job_run(applicationId=app, jobRunId=run.job_run_id)["jobRun"]
    assert stored["jobDriver"] == request["jobDriver"]
    assert stored["executionRole"] == role
    s3 = platform.aws.s3()
    assert_exists(s3, f"{PREFIX}/jobs/smoke.py")
    assert_exists(s3, f"{PREFIX}/environment.tar.gz")


def test_role_arn_names_the_deployed_job_role(platform):
    from goldmine.jobs import job_role_arn

    arn = job_role_arn(platform.settings, get_job("smoke"), platform.aws.client("sts"))
    assert arn == "arn:aws:iam::123456789012:role/goldmine-local-spark-lakehouse"


def test_submission_needs_an_uploaded_artifact(platform, artifact):
    assert find_artifact(platform.aws.s3(), platform.settings.buckets.artifacts) == artifact
    with pytest.raises(PackageError, match="run `goldmine jobs package`"):
        require_artifact(platform.aws.s3(), platform.settings, "0.0.0-missing")
