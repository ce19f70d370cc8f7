"""Run leases on the local DynamoDB endpoint: take, conflict, wait, renew, expiry after kill -9.

Cheap (no Spark): leases of 1.5 s, on the session's local API endpoint. A second run is
a second thread (leases nest within one thread) or a second process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable

import pytest

from goldmine.aws import AwsClients
from goldmine.lease import LeaseHeldError, LeaseLostError, hold_lease, lease_lines, read_lease
from goldmine.lease._store import take_lease

pytestmark = pytest.mark.integration

LEASE_S = 1.5


@pytest.fixture
def aws(platform) -> AwsClients:
    """The session's clients with short leases (1.5 s, looked at every 0.1 s)."""
    settings = platform.settings.model_copy(
        update={"lease_seconds": LEASE_S, "lease_poll_seconds": 0.1}
    )
    return AwsClients(settings, platform.aws.endpoints)


def _name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def _stored(aws: AwsClients, lease: str):
    return read_lease(aws.client("dynamodb"), aws.settings.lease_table, lease)


def _in_thread(run: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_lease_is_held_in_dynamodb_while_the_block_runs_and_released_after(aws):
    lease = _name()
    with hold_lease(aws, lease, command="goldmine lake build") as mine:
        stored = _stored(aws, lease)
        assert stored == mine
        assert (stored.pid, stored.command) == (os.getpid(), "goldmine lake build")
        assert any(lease in line and "goldmine lake build" in line for line in lease_lines(aws))
        with hold_lease(aws, lease) as nested:  # the same run: no wait for itself
            assert nested is None
        assert _stored(aws, lease) == mine
    assert _stored(aws, lease) is None


def test_lease_is_released_when_the_block_fails(aws):
    lease = _name()
    with pytest.raises(ZeroDivisionError), hold_lease(aws, lease):
        _ = 1 / 0
    assert _stored(aws, lease) is None


def test_lease_is_renewed_while_the_run_lives(aws):
    lease = _name()
    with hold_lease(aws, lease) as mine:
        time.sleep(LEASE_S * 2.5)  # longer than the lease: only renewal keeps it
        stored = _stored(aws, lease)
        assert stored.token == mine.token
        assert stored.expires_at > time.time()
    assert _stored(aws, lease) is None


def test_second_run_without_wait_fails_with_one_line_naming_the_holder(aws):
    lease = _name()
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with hold_lease(aws, lease, wait=False):
                errors.append(AssertionError("took a held lease"))
        except LeaseHeldError as exc:
            errors.append(exc)

    with hold_lease(aws, lease, command="goldmine lakehouse build"):
        _in_thread(second).join(10)
    (error,) = errors
    message = str(error)
    assert isinstance(error, LeaseHeldError) and "\n" not in message
    assert "goldmine lakehouse build" in message and f"pid {os.getpid()}" in message
    assert "since" in message and "--no-wait" in message


def test_second_run_waits_with_progress_then_takes_the_lease_after_release(aws):
    lease = _name()
    lines: list[str] = []
    taken_at: list[float] = []

    def second() -> None:
        with hold_lease(aws, lease, command="second", progress=lines.append):
            taken_at.append(time.time())

    with hold_lease(aws, lease, command="goldmine mesh publish sales_orders"):
        waiter = _in_thread(second)
        time.sleep(0.8)
        assert not taken_at, "the second run took a lease that was held"
        released_at = time.time()
    waiter.join(10)
    assert taken_at and taken_at[0] >= released_at
    assert lines and all("waiting: `goldmine mesh publish sales_orders`" in x for x in lines)
    assert f"pid {os.getpid()}" in lines[0] and "since" in lines[0]


_CHILD = """
import sys, time
from goldmine.aws import AwsClients
from goldmine.lease import hold_lease
from goldmine.settings import Endpoints, load_settings
settings = load_settings(data_dir=sys.argv[1], lease_seconds=float(sys.argv[3]))
aws = AwsClients(settings, Endpoints(s3=sys.argv[4], aws=sys.argv[5]))
with hold_lease(aws, sys.argv[2], command="doomed holder"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_holder_killed_with_sigkill_stops_renewing_and_the_next_run_proceeds(aws):
    lease = _name()
    endpoints = aws.endpoints
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(aws.settings.data_dir), lease, str(LEASE_S),
         str(endpoints.s3), str(endpoints.aws)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        time.sleep(LEASE_S)  # it renews: still held after a whole lease
        assert _stored(aws, lease).pid == child.pid
        with (
            pytest.raises(LeaseHeldError, match="doomed holder"),
            hold_lease(aws, lease, wait=False),
        ):
            pass
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    killed_at = time.time()
    lines: list[str] = []
    with hold_lease(aws, lease, progress=lines.append) as mine:
        assert mine is not None and mine.pid == os.getpid()
    assert time.time() - killed_at <= LEASE_S + 2
    assert all("doomed holder" in line for line in lines)


def test_run_whose_lease_was_taken_over_fails_loudly(aws):
    lease = _name()
    dynamodb, table = aws.client("dynamodb"), aws.settings.lease_table
    with pytest.raises(LeaseLostError, match="ran out"), hold_lease(aws, lease) as mine:
        # another run takes it over as if ours had expired (e.g. the holder was paused)
        later = time.time() + 3600
        thief = mine.__class__(**{**mine.__dict__, "token": "thief", "expires_at": later})
        assert take_lease(dynamodb, table, thief, now=mine.expires_at + 1) is None
        time.sleep(LEASE_S)  # the next renewal finds the lease gone
    assert _stored(aws, lease).token == "thief"


def test_local_status_shows_who_holds_a_lease(aws, monkeypatch, capsys):
    from goldmine.cli import main

    monkeypatch.setenv("GOLDMINE_DATA_DIR", str(aws.settings.data_dir))
    monkeypatch.setenv("GOLDMINE_JAR_DIR", str(aws.settings.jar_dir))
    with hold_lease(aws, "lake", command="goldmine lake build --from 2025-01-06"):
        assert main(["local", "status"]) == 0
        shown = capsys.readouterr().out
    line = next(x for x in shown.splitlines() if "holds lease lake " in x)
    assert "`goldmine lake build --from 2025-01-06`" in line and f"pid {os.getpid()}" in line
    assert "since" in line and "expires in" in line
    assert main(["local", "status"]) == 0
    assert "holds lease lake " not in capsys.readouterr().out


def test_cli_no_wait_exits_one_with_one_line(aws, monkeypatch, capsys):
    from goldmine.cli import main

    monkeypatch.setenv("GOLDMINE_DATA_DIR", str(aws.settings.data_dir))
    monkeypatch.setenv("GOLDMINE_JAR_DIR", str(aws.settings.jar_dir))
    errors: list[int] = []

    def second() -> None:  # another thread: a second run
        errors.append(main(["lake", "ingest", "--all", "--no-wait"]))

    with hold_lease(aws, "lake", command="goldmine lake ingest --date 2025-01-06"):
        _in_thread(second).join(60)
    assert errors == [1]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "goldmine lake ingest --date 2025-01-06" in err[0]
    assert "--no-wait" in err[0]


@pytest.mark.parametrize(
    "command",
    [
        ["lakehouse", "optimize", "--no-wait"],
        ["lakehouse", "vacuum", "silver.orders", "--no-wait"],
        ["lakehouse", "restore", "silver.orders", "--version", "0", "--no-wait"],
        ["demo", "--days", "1", "--no-wait"],
    ],
    ids=["optimize", "vacuum", "restore", "demo"],
)
def test_table_maintenance_and_the_demo_hold_the_lakehouse_lease(aws, monkeypatch, capsys, command):
    """They write lakehouse tables as a build does: a held lease stops them before Spark."""
    from goldmine.cli import main

    monkeypatch.setenv("GOLDMINE_DATA_DIR", str(aws.settings.data_dir))
    monkeypatch.setenv("GOLDMINE_JAR_DIR", str(aws.settings.jar_dir))
    codes: list[int] = []

    def second() -> None:  # another thread: a second run
        codes.append(main(command))

    with hold_lease(aws, "lakehouse", command="goldmine lakehouse build"):
        _in_thread(second).join(60)
    assert codes == [1]
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "`goldmine lakehouse build`" in err[0]
    assert "holds lease lakehouse " in err[0] and "--no-wait" in err[0]
    assert _stored(aws, "lake") is None  # the demo let go of the lake lease it had taken
