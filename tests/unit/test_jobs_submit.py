"""Job registry, release checks, submission requests and run following (no services)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from goldmine.jobs import (
    PackageError,
    RunFailedError,
    RunState,
    check_release,
    cost_domain,
    discover_jobs,
    get_job,
    settings_environment,
    spark_submit_command,
    wait_for_run,
)
from goldmine.jobs._package import Artifact
from goldmine.jobs._registry import JobNotFoundError, JobSpec
from goldmine.settings import Endpoints, load_settings


def test_discovers_modules_with_main(tmp_path: Path):
    (tmp_path / "good.py").write_text("def main(argv):\n    return 0\n")
    (tmp_path / "lake_step.py").write_text("def main(argv=None):\n    return 0\n")
    (tmp_path / "helper.py").write_text("def run():\n    pass\n")
    (tmp_path / "_private.py").write_text("def main(argv):\n    return 0\n")
    (tmp_path / "broken.py").write_text("def main(:\n")
    jobs = discover_jobs(tmp_path)
    assert sorted(jobs) == ["good", "lake_step"]
    assert jobs["lake_step"].architecture == "lake"
    assert jobs["good"].module == "jobs.good"
    with pytest.raises(JobNotFoundError, match="known jobs: good, lake_step"):
        get_job("nope", tmp_path)


def test_the_smoke_job_exists():
    assert "smoke" in discover_jobs()


@pytest.mark.parametrize(
    ("name", "architecture", "role", "domain"),
    [
        ("smoke", "platform", "spark-lakehouse", "platform"),
        ("lake_build", "lake", "spark-lake", "lake"),
        ("lakehouse_silver", "lakehouse", "spark-lakehouse", "lakehouse"),
        ("mesh_sales_publish", "mesh", "spark-mesh", "sales"),
        ("mesh_publish", "mesh", "spark-mesh", "platform"),
    ],
)
def test_job_architecture_role_and_cost_domain(name, architecture, role, domain):
    job = JobSpec(name, Path(f"/x/{name}.py"))
    assert (job.architecture, job.job_role, cost_domain(job)) == (architecture, role, domain)


def test_release_table_accepts_emr7_and_refuses_a_mismatch():
    assert check_release("emr-7.12.0", python="3.11", spark="3.5.9").spark == ("3.5",)
    with pytest.raises(PackageError, match=r"emr-6.15.0 runs Spark .* Python 3.7"):
        check_release("emr-6.15.0", python="3.11", spark="3.5.9")
    with pytest.raises(PackageError, match=r"Python 3\.12"):
        check_release("emr-7.12.0", python="3.12", spark="3.5.9")
    with pytest.raises(PackageError, match="unknown EMR release"):
        check_release("emr-5.36.0", python="3.11", spark="3.5.9")


def test_settings_travel_to_a_local_job(tmp_path: Path, monkeypatch):
    settings = load_settings(data_dir=tmp_path, spark_shuffle_partitions=3)
    endpoints = Endpoints(s3="http://127.0.0.1:1", aws="http://127.0.0.1:2")
    for key, value in settings_environment(settings, endpoints=endpoints).items():
        monkeypatch.setenv(key, value)
    seen = load_settings()
    assert seen.endpoints == endpoints
    assert seen.model_copy(update={"endpoints": Endpoints()}) == settings


def test_settings_travel_to_a_remote_job_as_flat_variables(monkeypatch):
    settings = load_settings(buckets={"raw": "my-raw"})
    env = settings_environment(settings, remote=True)
    assert env["GOLDMINE_ENVIRONMENT"] == "aws"
    assert env["GOLDMINE_BUCKETS__RAW"] == "my-raw"
    assert not any(k in env for k in ("GOLDMINE_DATA_DIR", "GOLDMINE_ENDPOINTS"))
    assert all("{" not in v and " " not in v for v in env.values())
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    remote = load_settings()
    assert remote.buckets == settings.buckets and remote.environment == "aws"


def test_spark_submit_command_passes_the_session_conf(tmp_path: Path):
    from goldmine.aws import AwsClients
    from goldmine.platform import Platform

    jars = tmp_path / "jars" / "spark"
    jars.mkdir(parents=True)
    for name in ("delta-spark_2.12-3.3.3", "delta-storage-3.3.3", "hadoop-aws-3.3.4",
                 "aws-java-sdk-bundle-1.12.262", "goldmine-delta-logstore-1"):  # fmt: skip
        (jars / f"{name}.jar").touch()
    settings = load_settings(data_dir=tmp_path / "data", jar_dir=tmp_path / "jars")
    platform = Platform(settings, AwsClients(settings, Endpoints(s3="http://127.0.0.1:9")))
    job = JobSpec("smoke", Path("/repo/jobs/smoke.py"))
    command = spark_submit_command(
        platform, job, ["--days", "1"], master="spark://127.0.0.1:7077",
        extra_conf={"spark.cores.max": "2"},
    )  # fmt: skip
    assert command[0].endswith("pyspark/bin/spark-submit")
    assert command[1:5] == ["--master", "spark://127.0.0.1:7077", "--name", "goldmine-smoke"]
    assert command[-3:] == ["/repo/jobs/smoke.py", "--days", "1"]
    pairs = [command[i + 1] for i, a in enumerate(command) if a == "--conf"]
    conf = dict(p.split("=", 1) for p in pairs)
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9"
    assert conf["spark.jars"].count(".jar") == 5
    assert conf["spark.cores.max"] == "2"
    assert "spark.master" not in conf


def test_wait_for_run_follows_until_success():
    states = iter([RunState("PENDING", False, False), RunState("RUNNING", False, False),
                   RunState("COMPLETED", True, False)])  # fmt: skip
    console = Console(record=True, width=200)
    final = wait_for_run(lambda: next(states), what="step s-1", logs="s3://b/logs/",
                         console=console, sleep=lambda _s: None)  # fmt: skip
    assert final.state == "COMPLETED"
    assert "logs: s3://b/logs/" in console.export_text()


def test_wait_for_run_fails_with_the_reason_and_the_logs():
    states = iter([RunState("RUNNING", False, False),
                   RunState("FAILED", True, True, "Step failed: exit 1")])  # fmt: skip
    with pytest.raises(RunFailedError, match=r"FAILED: Step failed: exit 1; logs: s3://b/l/"):
        wait_for_run(lambda: next(states), what="step", logs="s3://b/l/",
                     console=Console(record=True), sleep=lambda _s: None)  # fmt: skip


def test_artifact_uris():
    artifact = Artifact("0.1.0-abc", "art", "emr-7.12.0", "3.11", "3.5.9", ())
    assert artifact.job_uri("smoke") == "s3://art/jobs/0.1.0-abc/jobs/smoke.py"
    assert artifact.archive_uri == "s3://art/jobs/0.1.0-abc/environment.tar.gz#environment"


def test_cli_passes_arguments_after_the_job_name_to_the_job():
    import typer
    from typer.testing import CliRunner

    from goldmine.cli import jobs

    app = typer.Typer()
    app.add_typer(jobs.app, name="jobs")
    app.callback()(lambda: None)
    result = CliRunner().invoke(app, ["jobs", "run", "smoke", "--", "--help"])
    assert result.exit_code == 0
    assert "usage: smoke" in result.output
    result = CliRunner().invoke(app, ["jobs", "submit", "nope"])
    assert result.exit_code == 1
    assert "known jobs:" in str(result.exception)
