"""A real Spark standalone cluster on loopback: one master and two workers.

Started with ``spark-class`` from pyspark's own distribution (``SPARK_HOME`` is the
pyspark package). Ports and process ids are recorded in ``<data_dir>/cluster.json``
and logs go to ``<data_dir>/logs/``, as for the local services.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goldmine.jobs._submit_local import spark_home
from goldmine.local._state import free_port, pid_alive, port_open, spawn, terminate
from goldmine.settings import Settings

_STARTUP_TIMEOUT_S = 120.0
#: The master's and workers' JVM options: coordinators that do little work, like a short
#: app's driver they run C1 alone, with the serial collector of a small heap (ADR 0038;
#: the cluster starts in 3.8 s with 6 CPU-s instead of 5.7-6.0 s with 11). Options set
#: in ``SPARK_DAEMON_JAVA_OPTS`` come after these, so they win.
DAEMON_JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class ClusterError(RuntimeError):
    """The cluster could not be started or is not running; the message names the log."""


@dataclass(frozen=True)
class ClusterSpec:
    """Size of the local cluster (small: the machine is shared)."""

    workers: int = 2
    worker_cores: int = 1
    worker_memory: str = "1g"
    daemon_memory: str = "256m"

    def submit_conf(self) -> dict[str, str]:
        """Return the executor sizing a job on this cluster asks for (one per worker)."""
        return {
            "spark.executor.cores": str(self.worker_cores),
            "spark.executor.memory": _executor_memory(self.worker_memory),
            "spark.cores.max": str(self.workers * self.worker_cores),
        }


@dataclass(frozen=True)
class ClusterStatus:
    """The recorded cluster and what its master reports."""

    master_url: str | None
    webui_url: str | None
    running: bool
    alive_workers: int
    pids: dict[str, int] = field(default_factory=dict)
    logs: Path | None = None


def cluster_status(settings: Settings) -> ClusterStatus:
    """Return the cluster's status without starting anything."""
    state = _read(settings)
    if not state:
        return ClusterStatus(None, None, False, 0)
    master_url = f"spark://127.0.0.1:{state['port']}"
    webui = f"http://127.0.0.1:{state['webui_port']}"
    pids = {k: int(v) for k, v in state["pids"].items()}
    running = all(pid_alive(p) for p in pids.values()) and port_open(state["port"])
    alive = _alive_workers(webui) if running else 0
    return ClusterStatus(master_url, webui, running, alive, pids, settings.data_dir / "logs")


def master_json(status: ClusterStatus) -> dict[str, Any]:
    """Return the master's JSON API document (workers, active and completed apps)."""
    if not status.webui_url:
        raise ClusterError("the local Spark cluster is not running: goldmine local cluster up")
    with urllib.request.urlopen(f"{status.webui_url}/json/", timeout=5) as response:
        document: dict[str, Any] = json.loads(response.read())
    return document


def cluster_up(settings: Settings, spec: ClusterSpec | None = None) -> ClusterStatus:
    """Start the master and workers unless they run; wait until every worker is ALIVE.

    Raises
    ------
    ClusterError
        When a process exits or the workers do not register in time.
    """
    spec = spec or ClusterSpec()
    with _lock(settings):
        status = cluster_status(settings)
        if status.running and status.alive_workers >= spec.workers:
            return status
        _stop_recorded(settings)
        logs = settings.data_dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        port, webui_port = free_port(), free_port()
        env = _env(settings, spec)
        pids = {
            "master": _spawn(
                [
                    "org.apache.spark.deploy.master.Master",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--webui-port",
                    str(webui_port),
                ],
                env,
                logs / "spark-master.out",
            )
        }
        state: dict[str, Any] = {"port": port, "webui_port": webui_port, "pids": pids}
        _write(settings, state)
        _wait(lambda: port_open(port), pids, "master", logs / "spark-master.out")
        for index in range(1, spec.workers + 1):
            work = settings.data_dir / "spark" / "work" / f"worker-{index}"
            work.mkdir(parents=True, exist_ok=True)
            pids[f"worker-{index}"] = _spawn(
                [
                    "org.apache.spark.deploy.worker.Worker",
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    str(spec.worker_cores),
                    "--memory",
                    spec.worker_memory,
                    "--webui-port",
                    str(free_port()),
                    "--work-dir",
                    str(work),
                    f"spark://127.0.0.1:{port}",
                ],
                env,
                logs / f"spark-worker-{index}.out",
            )
            _write(settings, state)
        webui = f"http://127.0.0.1:{webui_port}"
        _wait(
            lambda: _alive_workers(webui) >= spec.workers,
            pids,
            "workers",
            logs / "spark-worker-1.out",
        )
    return cluster_status(settings)


def cluster_down(settings: Settings) -> list[str]:
    """Stop the cluster's processes; return the names stopped."""
    with _lock(settings):
        return _stop_recorded(settings)


def _stop_recorded(settings: Settings) -> list[str]:
    state = _read(settings)
    stopped = []
    for name, pid in state.get("pids", {}).items():
        if pid_alive(pid):
            terminate(pid, grace_s=10.0)
            stopped.append(name)
    _write(settings, {})
    return stopped


def _env(settings: Settings, spec: ClusterSpec) -> dict[str, str]:
    home = spark_home()
    return {
        **os.environ,
        "SPARK_HOME": str(home),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_DAEMON_MEMORY": spec.daemon_memory,
        "SPARK_DAEMON_JAVA_OPTS": " ".join(
            [*DAEMON_JAVA_OPTIONS, os.environ.get("SPARK_DAEMON_JAVA_OPTS", "")]
        ).strip(),
        "SPARK_LOG_DIR": str(settings.data_dir / "logs"),
        "SPARK_WORKER_DIR": str(settings.data_dir / "spark" / "work"),
        "SPARK_LOCAL_DIRS": str(settings.data_dir / "spark" / "tmp"),
    }


def _spawn(args: list[str], env: dict[str, str], log: Path) -> int:
    return spawn([str(spark_home() / "bin" / "spark-class"), *args], log, env)


def _wait(ready: Any, pids: dict[str, int], what: str, log: Path) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        dead = [name for name, pid in pids.items() if not pid_alive(pid)]
        if dead:
            raise ClusterError(f"Spark {', '.join(dead)} exited during start-up; see {log}")
        if ready():
            return
        time.sleep(0.5)
    raise ClusterError(f"Spark {what} not ready in {_STARTUP_TIMEOUT_S:.0f}s; see {log}")


def _alive_workers(webui: str) -> int:
    try:
        with urllib.request.urlopen(f"{webui}/json/", timeout=2) as response:
            document = json.loads(response.read())
    except (OSError, ValueError):
        return 0
    return sum(1 for w in document.get("workers", []) if w.get("state") == "ALIVE")


def _executor_memory(worker_memory: str) -> str:
    """Leave a quarter of the worker's memory to the executor JVM's overhead."""
    amount, unit = int(worker_memory[:-1]), worker_memory[-1].lower()
    megabytes = amount * 1024 if unit == "g" else amount
    return f"{megabytes * 3 // 4}m"


def _state_path(settings: Settings) -> Path:
    return settings.data_dir / "cluster.json"


def _read(settings: Settings) -> dict[str, Any]:
    path = _state_path(settings)
    if not path.exists():
        return {}
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def _write(settings: Settings, state: dict[str, Any]) -> None:
    path = _state_path(settings)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.replace(path)


@contextlib.contextmanager
def _lock(settings: Settings) -> Iterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with (settings.data_dir / "cluster.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
