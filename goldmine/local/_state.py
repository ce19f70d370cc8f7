"""Where the local services record their ports and process ids."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def state_path(data_dir: Path) -> Path:
    """Return the file that records the running services."""
    return data_dir / "services.json"


def read_state(data_dir: Path) -> dict[str, dict[str, Any]]:
    """Return the recorded services (``{}`` when none were started)."""
    path = state_path(data_dir)
    if not path.exists():
        return {}
    state: dict[str, dict[str, Any]] = json.loads(path.read_text())
    return state


def write_state(data_dir: Path, state: dict[str, dict[str, Any]]) -> None:
    """Record the running services atomically."""
    path = state_path(data_dir)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    tmp.replace(path)


@contextmanager
def state_lock(data_dir: Path) -> Iterator[None]:
    """Serialize start and stop across processes sharing one data directory."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with (data_dir / "services.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def free_port() -> int:
    """Return a TCP port on loopback that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[-1].startswith("Z"))


def port_open(port: int) -> bool:
    """Whether something accepts TCP connections on ``127.0.0.1:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def terminate(pid: int, *, grace_s: float = 5.0) -> None:
    """Stop the process group led by ``pid``: SIGTERM, then SIGKILL after ``grace_s``."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)


def spawn(command: list[str], log: Path, env: dict[str, str]) -> int:
    """Start ``command`` detached in its own process group, output appended to ``log``."""
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    return process.pid
