"""The optional local Trino server: Athena's engine over the local catalog and store.

Started on demand (``ensure_trino``), recorded as ``trino`` in ``services.json`` with the
endpoints it was configured for, and stopped with the other services. Two catalogs read
the one Glue catalog of the local API endpoint and the one S3 store (ADR 0017):
``awsdatacatalog`` (Hive connector, as Athena names it) redirects Delta tables to
``delta`` (Delta Lake connector). Both are read-only.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path

from goldmine.local._java import Jdk, find_jdk
from goldmine.local._services import LocalServiceError
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

#: The Trino release fetched by ``make trino`` (jars/pom.xml) and the JDK it requires.
TRINO_VERSION = "476"
TRINO_MIN_JAVA = 24
#: The catalog unqualified SQL runs in (Athena's name for the Glue catalog).
TRINO_CATALOG = "awsdatacatalog"
#: The plugins unpacked from the server tarball: nothing else is loaded.
TRINO_PLUGINS = ("hive", "delta-lake")

_STARTUP_TIMEOUT_S = 180.0

# Trino's recommended JVM flags (its jvm.config), with a heap sized for a 2-core laptop
# and C1 alone.
_JVM_FLAGS = (
    "-XX:+UseG1GC",
    "-XX:G1HeapRegionSize=32M",
    "-XX:+ExplicitGCInvokesConcurrent",
    "-XX:+ExitOnOutOfMemoryError",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:ReservedCodeCacheSize=256M",
    # The local referee's life is a few hundred small queries: C1 alone (ADR 0038).
    "-XX:TieredStopAtLevel=1",
    "-XX:PerMethodRecompilationCutoff=10000",
    "-XX:PerBytecodeRecompilationCutoff=10000",
    "-XX:+EnableDynamicAgentLoading",
    "--enable-native-access=ALL-UNNAMED",
    "-Djdk.attach.allowAttachSelf=true",
    "-Djdk.nio.maxCachedBufferSize=2000000",
    "-Dfile.encoding=UTF-8",
)


def trino_home(settings: Settings) -> Path:
    """Return the unpacked Trino server (``<jar_dir>/trino/trino-server-<version>``).

    Raises
    ------
    LocalServiceError
        When ``make trino`` has not fetched it.
    """
    home = settings.jar_dir / "trino" / f"trino-server-{TRINO_VERSION}"
    missing = [
        p for p in ("lib", *(f"plugin/{n}" for n in TRINO_PLUGINS)) if not (home / p).is_dir()
    ]
    if missing:
        raise LocalServiceError(
            f"Trino {TRINO_VERSION} missing in {home} ({', '.join(missing)}): run `make trino` "
            "(Maven fetches it once)"
        )
    return home


def trino_jdk(settings: Settings) -> Jdk:
    """Return the JDK Trino runs on (see :func:`goldmine.local._java.find_jdk`)."""
    return find_jdk(
        TRINO_MIN_JAVA, for_what=f"Trino {TRINO_VERSION}", java_home=settings.trino_java_home
    )


def ensure_trino(settings: Settings, endpoints: Endpoints) -> str:
    """Start Trino unless it runs for these endpoints; return its loopback URL.

    A Trino configured for other endpoints (the S3 store or API endpoint restarted on
    other ports) is stopped and started again.
    """
    with state_lock(settings.data_dir):
        state = read_state(settings.data_dir)
        entry = state.get("trino", {})
        wanted = {"s3": endpoints.s3, "aws": endpoints.aws}
        if _running(entry) and {k: entry.get(k) for k in wanted} == wanted:
            return f"http://127.0.0.1:{entry['port']}"
        if entry.get("pid") and pid_alive(entry["pid"]):
            terminate(entry["pid"])
        state["trino"] = {**_start_trino(settings, endpoints), **wanted}
        write_state(settings.data_dir, state)
        return f"http://127.0.0.1:{state['trino']['port']}"


def _running(entry: dict[str, object]) -> bool:
    pid, port = entry.get("pid"), entry.get("port")
    return isinstance(pid, int) and isinstance(port, int) and pid_alive(pid) and port_open(port)


def _start_trino(settings: Settings, endpoints: Endpoints) -> dict[str, int]:
    if endpoints.s3 is None or endpoints.aws is None:
        raise LocalServiceError("Trino runs on the local services: the S3 store and API endpoint")
    home, jdk = trino_home(settings), trino_jdk(settings)
    root = settings.data_dir / "trino"
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    etc = write_trino_config(settings, endpoints, home, root, port)
    command = [
        str(jdk.java),
        f"-Xmx{settings.trino_heap}",
        *_JVM_FLAGS,
        f"-Dconfig={etc / 'config.properties'}",
        f"-Dlog.levels-file={etc / 'log.properties'}",
        f"-Dlog.output-file={logs / 'trino.log'}",
        "-Dlog.enable-console=false",
        "-cp",
        f"{home / 'lib'}/*",
        "io.trino.server.TrinoServer",
    ]
    env = {**os.environ, "JAVA_HOME": str(jdk.home)}
    pid = spawn(command, logs / "trino.out", env)
    try:
        _wait_ready(pid, port, logs)
    except BaseException:  # not recorded as running: stop it (a timeout, an interrupt)
        terminate(pid)
        raise
    return {"pid": pid, "port": port}


def write_trino_config(
    settings: Settings, endpoints: Endpoints, home: Path, root: Path, port: int
) -> Path:
    """Write Trino's ``etc/`` (server, logging, access control, catalogs); return it."""
    etc, catalogs = root / "etc", root / "etc" / "catalog"
    catalogs.mkdir(parents=True, exist_ok=True)
    server = {
        "coordinator": "true",
        "node-scheduler.include-coordinator": "true",
        "node.environment": "goldmine",
        "node.id": "goldmine-local",
        "node.internal-address": "127.0.0.1",
        "http-server.http.port": str(port),
        "discovery.uri": f"http://127.0.0.1:{port}",
        "plugin.dir": str(home / "plugin"),
        "catalog.config-dir": str(catalogs),
        "access-control.config-files": str(etc / "access-control.properties"),
        "query.max-memory": "1GB",
        "query.max-memory-per-node": "1GB",
        "task.concurrency": "2",
        "http-server.log.enabled": "false",  # else var/log/ in the working directory
    }
    _write_properties(etc / "config.properties", server)
    _write_properties(etc / "log.properties", {"io.trino": "WARN", "io.airlift": "WARN"})
    _write_properties(etc / "access-control.properties", {"access-control.name": "read-only"})
    shared = _catalog_properties(settings, endpoints)
    _write_properties(
        catalogs / f"{TRINO_CATALOG}.properties",
        {"connector.name": "hive", "hive.delta-lake-catalog-name": "delta", **shared},
    )
    _write_properties(catalogs / "delta.properties", {"connector.name": "delta_lake", **shared})
    return etc


def _catalog_properties(settings: Settings, endpoints: Endpoints) -> dict[str, str]:
    """Return the Glue metastore and native S3 file system settings of both catalogs."""
    return {
        "hive.metastore": "glue",
        "hive.metastore.glue.region": settings.region,
        "hive.metastore.glue.endpoint-url": str(endpoints.aws),
        "hive.metastore.glue.aws-access-key": settings.local_access_key,
        "hive.metastore.glue.aws-secret-key": settings.local_secret_key,
        "fs.native-s3.enabled": "true",
        "s3.endpoint": str(endpoints.s3),
        "s3.region": settings.region,
        "s3.path-style-access": "true",
        "s3.aws-access-key": settings.local_access_key,
        "s3.aws-secret-key": settings.local_secret_key,
    }


def _write_properties(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f"{k}={v}\n" for k, v in values.items()), encoding="utf-8")


def _wait_ready(pid: int, port: int, logs: Path) -> None:
    """Wait until Trino's ``/v1/info`` says it is no longer starting.

    Queries reading a table may still fail with ``NO_NODES_AVAILABLE`` for a few seconds
    (the coordinator has not yet seen its own node with the catalogs):
    ``goldmine.query``'s Trino engine retries them.
    """
    deadline = time.monotonic() + _STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if not pid_alive(pid):
            raise LocalServiceError(
                f"Trino exited during start-up; see {logs / 'trino.out'} and {logs / 'trino.log'}"
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/info", timeout=2) as reply:
                if not json.loads(reply.read()).get("starting", True):
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise LocalServiceError(
        f"Trino did not start in {_STARTUP_TIMEOUT_S:.0f}s; see {logs / 'trino.log'}"
    )
