"""``goldmine jobs``: list, run, package and submit the Spark jobs of ``jobs/``."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cli._context import get_platform, get_settings

if TYPE_CHECKING:
    from goldmine.jobs import JobSpec

app = typer.Typer(
    help=(
        "Run Spark jobs in-process, submit them to local[*], the local standalone "
        "cluster, EMR on EC2 or EMR Serverless, and package them for AWS.\n\n"
        "Example: goldmine jobs submit smoke --target standalone -- --days 2"
    ),
    no_args_is_help=True,
)
console = Console()
_EXTRA = {"allow_extra_args": True, "ignore_unknown_options": True}


class Target(StrEnum):
    """Where ``goldmine jobs submit`` runs a job."""

    local = "local"
    standalone = "standalone"
    emr = "emr"
    emr_serverless = "emr-serverless"


@app.command("list")
def list_jobs() -> None:
    """List the job entry points found in jobs/.

    Example: goldmine jobs list
    """
    from goldmine.jobs import discover_jobs

    table = Table("job", "architecture", "EMR role", "entry point")
    for job in discover_jobs().values():
        table.add_row(job.name, job.architecture, job.job_role, str(job.path))
    console.print(table)


@app.command(context_settings=_EXTRA)
def run(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="Job name (see `goldmine jobs list`).")],
) -> None:
    """Run a job in this process; arguments after the job name (or `--`) go to the job.

    Example: goldmine jobs run smoke -- --days 2 --scale 0.02
    """
    from goldmine.jobs import run_job

    code = run_job(job, list(ctx.args))
    if code:
        raise typer.Exit(code)


@app.command(context_settings=_EXTRA)
def submit(
    ctx: typer.Context,
    job: Annotated[str, typer.Argument(help="Job name (see `goldmine jobs list`).")],
    target: Annotated[Target, typer.Option(help="Where the job runs.")] = Target.local,
    cluster_id: Annotated[
        str | None, typer.Option(help="emr: a running cluster (j-...); none = transient.")
    ] = None,
    application_id: Annotated[
        str | None, typer.Option(help="emr-serverless: the application id.")
    ] = None,
    role_arn: Annotated[
        str | None,
        typer.Option(help="emr-serverless: job role ARN; default <project>-<env>-spark-<arch>."),
    ] = None,
    artifact_version: Annotated[
        str | None, typer.Option(help="emr targets: artifact version; default the latest.")
    ] = None,
    instance_type: Annotated[str, typer.Option(help="emr transient: instance type.")] = (
        "m6i.xlarge"
    ),
    core_count: Annotated[int, typer.Option(help="emr transient: core nodes.")] = 2,
    wait: Annotated[
        bool, typer.Option("--wait", help="emr targets: follow the run until it ends.")
    ] = False,
) -> None:
    """Submit a job as a Spark application; arguments after `--` go to the job.

    local and standalone wait for the job and exit with its code; emr and
    emr-serverless return at once unless --wait is given.

    Example: goldmine jobs submit smoke --target emr-serverless --application-id 00f... --wait
    """
    from goldmine.jobs import get_job

    spec = get_job(job)
    argv = list(ctx.args)
    if target in (Target.local, Target.standalone):
        _submit_here(spec, argv, standalone=target is Target.standalone)
    elif target is Target.emr:
        _submit_emr(spec, argv, cluster_id, artifact_version, instance_type, core_count, wait)
    else:
        if not application_id:
            raise typer.BadParameter("--application-id is required for emr-serverless")
        _submit_serverless(spec, argv, application_id, role_arn, artifact_version, wait)


@app.command()
def package(
    upload: Annotated[bool, typer.Option(help="Upload to the artifacts bucket.")] = True,
) -> None:
    """Build the job artifact (wheel, packed environment, job scripts) once and upload it.

    Example: goldmine jobs package
    """
    from goldmine.jobs import build_package, upload_package

    settings = get_settings()
    with console.status("building the job artifact") as status:
        artifact = build_package(settings, log=lambda line: status.update(line))
        if upload:
            s3 = get_platform().aws.s3()
            artifact = upload_package(s3, artifact, log=lambda line: status.update(line))
    console.print(
        f"artifact  {artifact.version} (Python {artifact.python}, Spark {artifact.spark})"
    )
    console.print(f"built in  {artifact.local_dir}")
    if upload:
        console.print(f"uploaded  s3://{artifact.bucket}/{artifact.prefix}")


def _submit_here(spec: JobSpec, argv: list[str], *, standalone: bool) -> None:
    from goldmine.jobs import ClusterSpec, cluster_status, submit_local

    platform = get_platform()
    master, extra = "local[*]", {}
    if standalone:
        state = cluster_status(platform.settings)
        if not state.running or not state.master_url:
            raise typer.BadParameter(
                "the local Spark cluster is not running: goldmine local cluster up",
                param_hint="--target standalone",
            )
        master, extra = state.master_url, ClusterSpec().submit_conf()
    result = submit_local(platform, spec, argv, master=master, extra_conf=extra, echo=console.out)
    console.print(f"log: {result.log}")
    if not result.succeeded:
        console.print(f"[red]job {spec.name} failed[/red] (exit {result.returncode}) on {master}")
        raise typer.Exit(result.returncode or 1)


def _submit_emr(
    spec: JobSpec,
    argv: list[str],
    cluster_id: str | None,
    version: str | None,
    instance_type: str,
    core_count: int,
    wait: bool,
) -> None:
    from goldmine.jobs import (
        EmrClusterSpec,
        emr_step_state,
        require_artifact,
        step_log_location,
        submit_emr,
        wait_for_run,
    )

    platform = get_platform()
    artifact = require_artifact(platform.aws.s3(), platform.settings, version)
    emr = platform.aws.client("emr")
    shape = EmrClusterSpec(instance_type=instance_type, core_count=core_count)
    run = submit_emr(
        emr, platform.settings, spec, artifact, argv, cluster_id=cluster_id, spec=shape
    )
    logs = step_log_location(run)
    console.print(f"cluster {run.cluster_id} step {run.step_id} (artifact {artifact.version})")
    console.print(f"logs: {logs}")
    if wait:
        wait_for_run(
            lambda: emr_step_state(emr, run.cluster_id, run.step_id),
            what=f"step {run.step_id}",
            logs=logs,
            console=console,
        )


def _submit_serverless(
    spec: JobSpec,
    argv: list[str],
    application_id: str,
    role_arn: str | None,
    version: str | None,
    wait: bool,
) -> None:
    from goldmine.jobs import (
        job_role_arn,
        job_run_log_location,
        require_artifact,
        serverless_state,
        submit_serverless,
        wait_for_run,
    )

    platform = get_platform()
    settings = platform.settings
    artifact = require_artifact(platform.aws.s3(), settings, version)
    role = role_arn or job_role_arn(settings, spec, platform.aws.client("sts"))
    client = platform.aws.client("emr-serverless")
    run = submit_serverless(
        client, settings, spec, artifact, argv, application_id=application_id, role_arn=role
    )
    logs = job_run_log_location(run)
    console.print(f"application {application_id} job run {run.job_run_id}")
    console.print(f"logs: {logs}")
    if wait:
        wait_for_run(
            lambda: serverless_state(client, application_id, run.job_run_id),
            what=f"job run {run.job_run_id}",
            logs=logs,
            console=console,
        )
