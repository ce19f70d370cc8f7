"""Submit a job with ``spark-submit`` to ``local[*]`` or to the local standalone cluster."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from goldmine.jobs._environment import settings_environment
from goldmine.jobs._registry import JobSpec
from goldmine.platform import Platform
from goldmine.spark import small_landing, spark_conf


@dataclass(frozen=True)
class LocalRun:
    """A finished ``spark-submit`` run on this machine."""

    job: str
    master: str
    returncode: int
    log: Path
    output: str

    @property
    def succeeded(self) -> bool:
        """Whether the job exited 0."""
        return self.returncode == 0


def spark_home() -> Path:
    """Return ``SPARK_HOME``: the pyspark package, which ships ``bin/spark-submit``."""
    import pyspark

    return Path(next(iter(pyspark.__path__)))


def project_root(job: JobSpec) -> Path:
    """Return the folder that holds ``jobs/`` (and ``goldmine/``, ``lake/``, ...).

    It goes first on the job's ``PYTHONPATH``, as for ``python -m jobs.<name>`` run from
    the checkout, so the job imports this checkout's packages even when the installed
    copy is stale (e.g. an editable install made before a package had ``__init__.py``).
    """
    return job.path.parent.parent


def spark_submit_command(
    platform: Platform,
    job: JobSpec,
    argv: list[str],
    *,
    master: str,
    extra_conf: dict[str, str],
    quick_jit: bool = False,
) -> list[str]:
    """Return the ``spark-submit`` command line for ``job`` (pure; nothing runs).

    Every key of :func:`goldmine.spark.spark_conf` is passed with ``--conf``, so the
    driver JVM starts with the JARs, S3 and memory settings the session factory uses
    (``quick_jit``: C1 alone in the driver and executors, ADR 0038).
    """
    conf = spark_conf(
        platform.aws, master=master, app_name=f"goldmine-{job.name}", quick_jit=quick_jit
    )
    conf.update(
        {
            "spark.pyspark.python": sys.executable,
            "spark.pyspark.driver.python": sys.executable,
            # Executors' Python workers import the project as the driver does.
            "spark.executorEnv.PYTHONPATH": str(project_root(job)),
            **extra_conf,
        }
    )
    command = [str(spark_home() / "bin" / "spark-submit"), "--master", master]
    command += ["--name", conf.pop("spark.app.name")]
    conf.pop("spark.master", None)
    for key, value in sorted(conf.items()):
        command += ["--conf", f"{key}={value}"]
    return [*command, str(job.path), *argv]


def submit_local(
    platform: Platform,
    job: JobSpec,
    argv: list[str],
    *,
    master: str = "local[*]",
    extra_conf: dict[str, str] | None = None,
    echo: Callable[[str], None] | None = None,
) -> LocalRun:
    """Run ``job`` as a Spark application with ``spark-submit`` and wait for it.

    Parameters
    ----------
    platform
        The running platform; its settings and service endpoints go to the job.
    job
        The entry point to submit.
    argv
        The job's own arguments.
    master
        ``local[*]`` or a standalone master URL (``spark://127.0.0.1:7077``).
    extra_conf
        More Spark properties (e.g. executor size on the standalone cluster).
    echo
        Called with each line the job prints (the CLI prints them); ``None`` keeps quiet.

    Returns
    -------
    LocalRun
        Exit code, full output and the log file (``<data_dir>/logs/jobs/``).
    """
    settings = platform.settings
    logs = settings.data_dir / "logs" / "jobs"
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / f"{job.name}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"
    # an application is one job: on a small landing it runs C1 alone (ADR 0038)
    small = small_landing(platform.aws.s3(), settings.buckets.landing)
    command = spark_submit_command(
        platform, job, argv, master=master, extra_conf=dict(extra_conf or {}), quick_jit=small
    )
    env = {
        **os.environ,
        **settings_environment(settings, endpoints=platform.aws.endpoints),
        "GOLDMINE_SPARK_MASTER": master,
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "PYSPARK_DRIVER_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(project_root(job)), os.environ.get("PYTHONPATH", "")) if p
        ),
    }
    lines: list[str] = []
    with log.open("w") as out:
        out.write(" ".join(command) + "\n")
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            out.write(line)
            lines.append(line)
            if echo is not None:
                echo(line.rstrip("\n"))
        returncode = process.wait()
    return LocalRun(job.name, master, returncode, log, "".join(lines))
