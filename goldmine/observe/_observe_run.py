"""``observe_run``: the one wrapper that records every ingest, build and publish run.

Applied to a build's entry point (``lake.ingest``, ``lake.build``,
``lakehouse.build_lakehouse``, ``mesh.publish_product``), so the CLI, the Spark jobs,
the demo and the tests all record their runs the same way. Around the call it sends
the OpenLineage START event; after it, it asks the build's own ``summarize`` function
for the figures the build already computed (no Spark job: the build budget test holds
that), then stores the :class:`RunSummary` and emits it (:func:`record_run`). A run
that raises is recorded as failed with its error line, and the error is re-raised.

Emitting never changes a run's outcome: a metrics or lineage endpoint that fails is
logged as an error, and the data the run committed stays committed (ADR 0022).
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from goldmine.observe._run_summary import RunFigures, RunSummary, StepFigures

if TYPE_CHECKING:
    from goldmine.platform import Platform

log = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class RunContext:
    """What the wrapper knows of a run when its build summarizes it."""

    platform: Platform
    run_id: str
    started_at: dt.datetime
    #: Steps timed from the build's progress messages (builds without a plan runner).
    timed_steps: tuple[StepFigures, ...] = ()


#: ``summarize(context, result) -> RunFigures``: a build's figures of one finished run.
Summarize = Callable[[RunContext, Any], RunFigures]


@dataclass
class StepClock:
    """Times the steps of a build from its ``progress(message)`` calls.

    Each message starts a step named by it; a step ends when the next starts or the
    run ends; what ran before the first message is the step ``start``. A message with
    a figure in it (a digit: ``silver validation: orders: FAILED (1/6 ...)``) reports
    a result, so it does not start a step (step names stay a fixed set, fit for a
    metric dimension). The build's own callback, if any, is still called.

    Examples
    --------
    >>> clock = StepClock()
    >>> for message in ("bronze", "silver", "silver: 3 rules failed", "gold"):
    ...     clock(message)
    >>> [s.step for s in clock.steps(time.perf_counter())]
    ['start', 'bronze', 'silver', 'gold']
    """

    forward: Callable[[str], None] | None = None
    _marks: list[tuple[str, float]] = field(
        default_factory=lambda: [("start", time.perf_counter())]
    )

    def __call__(self, message: str) -> None:
        if not any(c.isdigit() for c in message):
            self._marks.append((message, time.perf_counter()))
        if self.forward is not None:
            self.forward(message)

    def steps(self, end: float) -> tuple[StepFigures, ...]:
        """Return each step with its seconds, the last one ending at ``end``."""
        ends = [t for _, t in self._marks[1:]] + [end]
        return tuple(
            StepFigures(step=m, seconds=round(e - t, 3))
            for (m, t), e in zip(self._marks, ends, strict=True)
        )


def observe_run(
    architecture: str,
    command: str,
    summarize: Summarize,
    *,
    subject: str | None = None,
    time_progress: bool = False,
) -> Callable[[F], F]:
    """Record every call of the decorated entry point as one run.

    Parameters
    ----------
    architecture
        ``lake``, ``lakehouse`` or ``mesh``.
    command
        ``ingest``, ``build`` or ``publish``.
    summarize
        The build's function from its result to :class:`RunFigures`.
    subject
        The parameter naming what the run is for (``product_id``); default: the
        architecture.
    time_progress
        Time the steps from the function's ``progress(message)`` callback.

    Notes
    -----
    The function must take a ``platform`` parameter. When it takes a ``run_id`` that
    the caller left ``None``, the wrapper passes its own, so the build's records and
    the run summary share one id.
    """

    def decorate(fn: F) -> F:
        signature = inspect.signature(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            platform: Platform = bound.arguments["platform"]
            run_id = _run_id(bound, signature)
            clock = None
            if time_progress and "progress" in signature.parameters:
                clock = StepClock(bound.arguments.get("progress"))
                bound.arguments["progress"] = clock
            about = str(bound.arguments.get(subject, "")) if subject else architecture
            run = _Run(platform, architecture, command, about, run_id)
            run.start()
            try:
                result = fn(*bound.args, **bound.kwargs)
            except BaseException as exc:
                run.finish(RunFigures(subject=about), error=_error_line(exc))
                raise
            context = RunContext(
                platform,
                run_id,
                run.started_at,
                clock.steps(time.perf_counter()) if clock is not None else (),
            )
            try:
                figures = summarize(context, result)
            except Exception:  # the run succeeded; only its figures are missing
                log.exception("could not summarize %s %s run %s", architecture, command, run_id)
                figures = RunFigures(subject=about)
            run.finish(figures)
            return result

        return cast(F, wrapper)

    return decorate


def _run_id(bound: inspect.BoundArguments, signature: inspect.Signature) -> str:
    if "run_id" in signature.parameters:
        given = bound.arguments.get("run_id")
        if given:
            return str(given)
        bound.arguments["run_id"] = run_id = uuid.uuid4().hex
        return run_id
    return uuid.uuid4().hex


def _error_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"[:500]


@dataclass
class _Run:
    platform: Platform
    architecture: str
    command: str
    subject: str
    run_id: str
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def start(self) -> None:
        from goldmine.observe._emit_run import emit_start

        try:
            emit_start(
                self.platform,
                self.architecture,
                self.command,
                self.subject,
                self.run_id,
                self.started_at,
            )
        except Exception:
            log.exception("could not emit the START event of run %s", self.run_id)

    def finish(self, figures: RunFigures, error: str | None = None) -> None:
        from goldmine.observe._emit_run import record_run

        error = error or figures.error
        status = "failed" if error else "skipped" if figures.skipped else "succeeded"
        fields = {
            **figures.model_dump(),
            "run_id": figures.run_id or self.run_id,
            "subject": figures.subject or self.subject,
            "error": error,
        }
        summary = RunSummary(
            **fields,
            project=self.platform.settings.project,
            environment=self.platform.settings.environment,
            architecture=self.architecture,
            command=self.command,
            started_at=self.started_at,
            finished_at=dt.datetime.now(dt.UTC),
            status=status,
        )
        try:
            record_run(self.platform, summary)
        except Exception:
            log.exception("could not record run %s", summary.run_id)
