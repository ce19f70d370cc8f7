"""Real runs in processes of their own, on the test platform, and their gold (ADR 0023).

The slow tests of runs that meet (two builds at once, a build killed with SIGKILL) start
the platform's own front doors as subprocesses: the CLI (``goldmine ...``, the installed
console script) or a Spark job (``python -m jobs....``). Each is its own Python and its
own Spark driver, on the session's local services (its data directory). Their gold is
then compared with the oracle's, as after a serial build.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tests.oracle import GOLD, assert_frames_equal, expected_from_s3

if TYPE_CHECKING:
    import pandas as pd

    from goldmine.platform import Platform

REPO = Path(__file__).resolve().parents[1]


def run_env(platform: Platform, **settings: str) -> dict[str, str]:
    """Return the environment of a run on ``platform``'s local services.

    Its data directory and JARs, a small Spark driver (2 shuffle partitions, 1 GB), and
    ``settings`` as ``GOLDMINE_<NAME>`` variables, e.g.
    ``run_env(platform, BUCKETS__LAKEHOUSE="b", LEASE_SECONDS="20")``.
    """
    base = platform.settings
    return {
        **os.environ,
        "GOLDMINE_DATA_DIR": str(base.data_dir),
        "GOLDMINE_JAR_DIR": str(base.jar_dir),
        "GOLDMINE_SPARK_SHUFFLE_PARTITIONS": "2",
        "GOLDMINE_SPARK_DRIVER_MEMORY": "1g",
        **{f"GOLDMINE_{name.upper()}": value for name, value in settings.items()},
    }


def cli(*args: str) -> list[str]:
    """Return the command line of ``goldmine <args>`` (this environment's console script)."""
    return [str(Path(sys.executable).with_name("goldmine")), *args]


def job(module: str, *args: str) -> list[str]:
    """Return the command line of the Spark job ``python -m jobs.<module> <args>``."""
    return [sys.executable, "-m", f"jobs.{module}", *args]


def start(command: list[str], env: dict[str, str], *, group: bool = False) -> subprocess.Popen:
    """Start ``command`` from the repo root, stdout and stderr merged into one text pipe.

    ``group``: in a process group of its own, so that its Spark JVM can be killed with it
    (``os.killpg``).
    """
    return subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=group,
    )


def run(command: list[str], env: dict[str, str], timeout: float = 900) -> str:
    """Run ``command`` to its end; return its output, failing the test if it exits non-zero."""
    proc = start(command, env)
    output = proc.communicate(timeout=timeout)[0]
    assert proc.returncode == 0, output
    return output


@dataclass(frozen=True)
class Ran:
    """One finished run: its process id and its output (stdout and stderr)."""

    pid: int
    output: str


def run_together(command: list[str], env: dict[str, str], timeout: float = 1500) -> list[Ran]:
    """Start two runs of ``command`` at the same moment; return them once both have ended.

    Both must exit 0.
    """
    procs = [start(command, env) for _ in range(2)]
    runs = [Ran(p.pid, p.communicate(timeout=timeout)[0]) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [r.output for r in runs]
    return runs


def one_ran_one_waited(runs: list[Ran], lease: str) -> tuple[str, str]:
    """Assert exactly one of two runs waited for ``lease``, held by the other run.

    ``lease`` is how the waiting lines name it, from its start: ``"lake "`` for exactly
    ``lake``, ``"mesh:"`` for any product's. Returns the outputs of the run that held
    it and of the one that waited.
    """
    waited = [r for r in runs if "waiting: " in r.output]
    assert len(waited) == 1, [r.output for r in runs]  # exactly one found the lease held
    (held,) = [r for r in runs if r not in waited]
    lines = [x for x in waited[0].output.splitlines() if x.startswith("waiting: ")]
    assert all(f"(pid {held.pid} on " in x for x in lines), lines
    assert all(f"holds lease {lease}" in x for x in lines), lines
    return held.output, waited[0].output


def project_platform(platform: Platform, project: str) -> Platform:
    """Return a platform of its own (``project``: its buckets, databases, DynamoDB tables)
    on the same local services, reading the session's landed week."""
    from goldmine.platform import connect
    from tests.conftest import make_settings

    landing = platform.settings.buckets.landing
    return connect(
        make_settings(platform.settings.data_dir, project=project, buckets={"landing": landing})
    )


def project_env(platform: Platform, project: str, **settings: str) -> dict[str, str]:
    """Return the environment of a run on :func:`project_platform`'s platform."""
    landing = platform.settings.buckets.landing
    return run_env(platform, PROJECT=project, BUCKETS__LANDING=landing, **settings)


def delta_gold(platform: Platform, bucket: str) -> dict[str, pd.DataFrame]:
    """Return the lakehouse's gold tables as written in ``bucket`` (read with delta-rs)."""
    from deltalake import DeltaTable

    options = platform.aws.storage_options()
    return {
        name: DeltaTable(f"s3://{bucket}/gold/{name}", storage_options=options).to_pandas()
        for name in GOLD
    }


def queried_gold(
    platform: Platform, build: str, tables: tuple[str, ...]
) -> dict[str, pd.DataFrame]:
    """Return ``tables`` of ``build``'s gold as an analyst reads them (local engine, Glue)."""
    from goldmine.query import run_query

    return {
        name: run_query(platform, f"SELECT {', '.join(GOLD[name][0])} FROM {name}", build).frame
        for name in tables
    }


def assert_gold_equals_oracle(platform: Platform, gold: dict[str, pd.DataFrame]) -> None:
    """Assert each of ``gold``'s tables equals the oracle's, recomputed from the landed week."""
    expected = expected_from_s3(platform.aws.s3(), platform.settings.buckets.landing)
    for name, frame in gold.items():
        assert len(frame) > 0, name
        assert_frames_equal(frame, getattr(expected, name), GOLD[name][1])
