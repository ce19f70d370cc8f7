"""A command's process ends without waiting (ADR 0045): its JVM stops Spark by itself."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from goldmine.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.spark]

#: Run in a process of its own, as a ``goldmine`` command: a session, a job, then the
#: command's end (``end_process``), reporting what it left.
_COMMAND = """
import gc, json, sys
from pyspark import SparkContext
from goldmine.aws import AwsClients
from goldmine.cli._process_end import end_process
from goldmine.settings import Endpoints, load_settings
from goldmine.spark import build_session

settings = load_settings(data_dir=sys.argv[1], jar_dir=sys.argv[2])
spark = build_session(
    AwsClients(settings, Endpoints(s3="http://127.0.0.1:9")), master="local[1]",
    app_name="end-test",
    overrides={"spark.eventLog.enabled": "true", "spark.eventLog.dir": "file://" + sys.argv[3]},
)
rows = spark.range(5).count()
jvm = spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid()
end_process()
print(json.dumps({
    "rows": rows, "jvm": jvm, "gateway": SparkContext._gateway is not None,
    "frozen": gc.get_freeze_count() > 0,
}), flush=True)
"""


def test_a_command_ends_without_waiting_and_its_jvm_stops_spark(settings: Settings, tmp_path: Path):
    from goldmine.local._state import pid_alive

    events = tmp_path / "events"
    events.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _COMMAND, str(tmp_path / "data"), str(settings.jar_dir),
         str(events)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    ended = json.loads(done.stdout.splitlines()[-1])
    assert ended == {"rows": 5, "jvm": ended["jvm"], "gateway": False, "frozen": True}
    assert "Traceback" not in done.stderr  # no py4j call after the gateway closed
    deadline = time.monotonic() + 60
    while pid_alive(ended["jvm"]):  # its output is closed: it exits on its own
        assert time.monotonic() < deadline, "the JVM outlived its command by 60 s"
        time.sleep(0.2)
    # The JVM's shutdown hook stopped the SparkContext: the event log is complete.
    (log,) = events.iterdir()
    assert not log.name.endswith(".inprogress")
    last = json.loads(log.read_text().splitlines()[-1])
    assert last["Event"] == "SparkListenerApplicationEnd"
