"""Follow a submitted run until it ends, with a progress display."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

EMR_STEP_DONE = frozenset({"COMPLETED"})
EMR_STEP_FAILED = frozenset({"CANCELLED", "FAILED", "INTERRUPTED"})
SERVERLESS_DONE = frozenset({"SUCCESS"})
SERVERLESS_FAILED = frozenset({"FAILED", "CANCELLED"})


class RunFailedError(RuntimeError):
    """The run ended in a failed state; the message has the reason and the logs."""


@dataclass(frozen=True)
class RunState:
    """One observation of a run."""

    state: str
    finished: bool
    failed: bool
    reason: str = ""


def emr_step_state(emr: Any, cluster_id: str, step_id: str) -> RunState:
    """Return the state of an EMR step (``describe_step``)."""
    status = emr.describe_step(ClusterId=cluster_id, StepId=step_id)["Step"]["Status"]
    state = status["State"]
    details = status.get("FailureDetails", {})
    reason = " ".join(filter(None, (details.get("Reason"), details.get("Message"))))
    return RunState(
        state, state in EMR_STEP_DONE | EMR_STEP_FAILED, state in EMR_STEP_FAILED, reason
    )


def serverless_state(client: Any, application_id: str, job_run_id: str) -> RunState:
    """Return the state of an EMR Serverless job run (``get_job_run``)."""
    run = client.get_job_run(applicationId=application_id, jobRunId=job_run_id)["jobRun"]
    state = run["state"]
    done = state in SERVERLESS_DONE | SERVERLESS_FAILED
    return RunState(state, done, state in SERVERLESS_FAILED, run.get("stateDetails", ""))


def wait_for_run(
    poll: Callable[[], RunState],
    *,
    what: str,
    logs: str,
    interval_s: float = 15.0,
    timeout_s: float = 6 * 3600,
    console: Console | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RunState:
    """Poll ``poll`` until the run finishes; show its state and elapsed time.

    Raises
    ------
    RunFailedError
        When the run fails (the reason and the log location are in the message).
    TimeoutError
        When it does not finish within ``timeout_s``.
    """
    console = console or Console(stderr=True)
    deadline = time.monotonic() + timeout_s
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(f"{what}: submitted", total=None)
        while True:
            state = poll()
            progress.update(task, description=f"{what}: {state.state}")
            if state.finished:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{what} still {state.state} after {timeout_s:.0f}s; logs: {logs}"
                )
            sleep(interval_s)
    console.print(f"{what}: {state.state}; logs: {logs}")
    if state.failed:
        raise RunFailedError(
            f"{what} {state.state}: {state.reason or 'no reason given'}; logs: {logs}"
        )
    return state
