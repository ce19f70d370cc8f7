"""Start, stop and report the local services (S3Proxy store, moto API endpoint)."""

from __future__ import annotations

import os
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from goldmine.local._state import (
    free_port,
    pid_alive,
    port_open,
    read_state,
    spawn,
    state_lock,
    terminate,
    write_state,
)
from goldmine.settings import Endpoints, Settings
from goldmine.spark import LEAN_JIT

_STARTUP_TIMEOUT_S = 60.0

_LOGBACK = """<configuration>
  <appender name="FILE" class="ch.qos.logback.core.FileAppender">
    <file>{log}</file>
    <encoder><pattern>%d{{ISO8601}} %-5level %logger{{36}} - %msg%n</pattern></encoder>
  </appender>
  <root level="WARN"><appender-ref ref="FILE"/></root>
</configuration>
"""


class LocalServiceError(RuntimeError):
    """A local service could not be started; the message says why and where the log is."""


@dataclass(frozen=True)
class ServiceStatus:
    """One local service as recorded in the data directory."""

    name: str
    port: int | None
    pid: int | None
    running: bool
    detail: str

    @property
    def url(self) -> str | None:
        """Return the service's loopback URL, when it has a port."""
        return f"http://127.0.0.1:{self.port}" if self.port else None


def service_status(settings: Settings) -> list[ServiceStatus]:
    """Return the status of the local services without starting anything.

    The S3 store and the API endpoint always; Trino only when it was started.
    """
    state = read_state(settings.data_dir)
    statuses = []
    services = [("s3", str(_s3_root(settings))), ("aws", "moto server (in memory)")]
    if "trino" in state:
        services.append(("trino", "Trino (optional: --engine trino)"))
    for name, detail in services:
        entry = state.get(name, {})
        pid, port = entry.get("pid"), entry.get("port")
        running = bool(pid and port and pid_alive(pid) and port_open(port))
        statuses.append(ServiceStatus(name, port, pid, running, str(detail)))
    return statuses


def ensure_services(settings: Settings) -> tuple[Endpoints, bool]:
    """Start the local services that are not running and return their endpoints.

    Returns
    -------
    tuple
        The endpoints, and whether the API endpoint was (re)started, in which case
        the caller must re-create its in-memory state from disk.
    """
    with state_lock(settings.data_dir):
        state = read_state(settings.data_dir)
        running = {s.name: s for s in service_status(settings) if s.running}
        # both start at once: the store's JVM and moto's imports each take a second or two
        starting: dict[str, _Starting] = {}
        try:
            for name, spawn_service in (("s3", _spawn_s3proxy), ("aws", _spawn_moto)):
                if name not in running:
                    starting[name] = spawn_service(settings)
            for service in starting.values():
                _wait_ready(service)
        except BaseException:  # none is recorded as running: stop those spawned
            for service in starting.values():
                terminate(service.pid)
            raise
        state.update({name: {"pid": s.pid, "port": s.port} for name, s in starting.items()})
        api_started = "aws" in starting
        write_state(settings.data_dir, state)
    endpoints = Endpoints(
        s3=f"http://127.0.0.1:{state['s3']['port']}",
        aws=f"http://127.0.0.1:{state['aws']['port']}",
    )
    return endpoints, api_started


def stop_services(settings: Settings) -> list[str]:
    """Stop the local services; data of the S3 store stays on disk. Returns names stopped."""
    stopped = []
    with state_lock(settings.data_dir):
        state = read_state(settings.data_dir)
        for name, entry in state.items():
            pid = entry.get("pid")
            if pid and pid_alive(pid):
                terminate(pid)
                stopped.append(name)
        write_state(settings.data_dir, {})
    return stopped


def _s3_root(settings: Settings) -> Path:
    return settings.data_dir / "s3"


@dataclass(frozen=True)
class _Starting:
    """A service process spawned and not yet answering."""

    name: str
    pid: int
    port: int
    url: str
    log: Path


def _spawn_s3proxy(settings: Settings) -> _Starting:
    jars = settings.jar_dir / "s3proxy"
    if not any(jars.glob("s3proxy-*.jar")):
        raise LocalServiceError(
            f"S3Proxy JARs missing in {jars}: run `make jars` (Maven fetches them once)"
        )
    root = _s3_root(settings)
    root.mkdir(parents=True, exist_ok=True)
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = settings.data_dir / "s3proxy.conf"
    conf.write_text(
        "\n".join(
            [
                f"s3proxy.endpoint=http://127.0.0.1:{port}",
                "s3proxy.authorization=aws-v2-or-v4",
                f"s3proxy.identity={settings.local_access_key}",
                f"s3proxy.credential={settings.local_secret_key}",
                "s3proxy.ignore-unknown-headers=true",
                "jclouds.provider=filesystem",
                f"jclouds.filesystem.basedir={root}",
                f"jclouds.identity={settings.local_access_key}",
                f"jclouds.credential={settings.local_secret_key}",
                f"jclouds.region={settings.region}",
                "",
            ]
        )
    )
    logback = settings.data_dir / "s3proxy-logback.xml"
    logback.write_text(_LOGBACK.format(log=logs / "s3proxy.log"))
    command = [
        "java",
        "-Xmx512m",
        *LEAN_JIT,  # a short-lived local service, like the driver (ADR 0029)
        f"-Dlogback.configurationFile={logback}",
        "-cp",
        f"{jars}/*",
        "org.gaul.s3proxy.Main",
        "--properties",
        str(conf),
    ]
    pid = _spawn(command, logs / "s3proxy.out")
    return _Starting("S3 store", pid, port, f"http://127.0.0.1:{port}/", logs / "s3proxy.out")


def _spawn_moto(settings: Settings) -> _Starting:
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    pid = _spawn(command, logs / "moto.out")
    url = f"http://127.0.0.1:{port}/moto-api/"
    return _Starting("AWS API endpoint", pid, port, url, logs / "moto.out")


def _spawn(command: list[str], log: Path) -> int:
    return spawn(command, log, {**os.environ, "LOG_LEVEL": "warn"})


def _wait_ready(service: _Starting) -> None:
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    name, url, log = service.name, service.url, service.log
    while time.monotonic() < deadline:
        if not pid_alive(service.pid):
            raise LocalServiceError(f"{name} exited during start-up; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return  # it answers: an HTTP error status still means it is up
        except OSError:
            time.sleep(0.1)
    raise LocalServiceError(
        f"{name} did not answer on {url} in {_STARTUP_TIMEOUT_S:.0f}s; see {log}"
    )
