"""Run a plan: each step timed, its Spark jobs counted, its persisted frames released."""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any

from goldmine.plan._count_jobs import count_spark_jobs, counted_into, open_count
from goldmine.plan._plan import Plan, Step

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger(__name__)
#: ``progress(step, done, total)``: called as each step starts.
PlanProgress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class StepRun:
    """One step as it ran: its wall seconds and the Spark jobs it started."""

    name: str
    seconds: float
    spark_jobs: int


@dataclass(frozen=True)
class PlanRun:
    """A plan as it ran: every step, and every step's output by name."""

    name: str
    steps: tuple[StepRun, ...]
    outputs: Mapping[str, Any]
    #: Wall seconds from the first step's start to the last one's end (``None``: the
    #: sum of the steps', which ran one after the other).
    wall: float | None = None

    @property
    def seconds(self) -> float:
        """Wall seconds of all steps (less than their sum when some ran at once)."""
        return sum(s.seconds for s in self.steps) if self.wall is None else self.wall

    @property
    def spark_jobs(self) -> int:
        """Spark jobs of all steps."""
        return sum(s.spark_jobs for s in self.steps)

    def summary(self) -> str:
        """One line: total time and jobs, then each step's."""
        steps = ", ".join(f"{s.name} {s.seconds:.1f} s/{s.spark_jobs} jobs" for s in self.steps)
        return f"{self.name}: {self.seconds:.1f} s, {self.spark_jobs} Spark jobs ({steps})"


def run_plan(
    plan: Plan,
    *,
    progress: PlanProgress | None = None,
    **inputs: Any,
) -> PlanRun:
    """Run ``plan``'s steps, each with the values it names, in order or at once.

    A step starts when the steps it waits for have ended: by default every earlier
    step, so the steps run in order; a step that names its ``after``
    (:attr:`Step.after`) only those and the steps whose outputs it takes. Steps whose
    waits are met run at the same time (``goldmine.spark.run_concurrently``, the
    longest chain of waiting steps first). A step that names its waits runs on a copy
    of the plan's ``spark`` made before the first step ran
    (``goldmine.spark.copy_session``), so the session configuration it sets (Delta's
    idempotent-DML ids) is its own and it sees none set by a step beside it; the other
    steps run on ``spark`` itself, as they do in a plan run in order. A failed step
    starts no more steps; the running ones end first. With a ``spark`` that is not a
    started session (one started on demand), the steps run in order.

    Parameters
    ----------
    plan
        The plan; checked before the first step runs.
    progress
        Called with ``(step, done, total)`` as each step starts.
    **inputs
        The plan's inputs by name. An input named ``spark`` (a SparkSession) makes the
        runner count each step's Spark jobs.

    Returns
    -------
    PlanRun
        Per step: seconds and Spark jobs; every output by step name.

    Raises
    ------
    goldmine.plan.PlanError
        When a step needs a value no input or earlier step gives (nothing runs).
    BaseException
        What a step raised, after the later steps marked ``always`` ran.
    """
    plan.check(inputs)
    spark: SparkSession | None = inputs.get("spark")
    values: dict[str, Any] = dict(inputs)
    runs: dict[str, StepRun] = {}
    started = time.perf_counter()
    with ExitStack() as release:
        ran = _StepRunner(plan, spark, values, release, progress)
        try:
            if plan.at_once and _copyable(spark):
                runs.update(_run_at_once(plan, ran))
            else:
                for step in plan.steps:
                    runs[step.name] = ran(step)
        except BaseException:  # the steps that run also after a failure, then raise it
            for step in plan.steps:
                if step.always and step.name not in ran.started:
                    ran(step)
            raise
    outputs = {s.name: values[s.name] for s in plan.steps}
    wall = time.perf_counter() - started if plan.at_once else None
    return PlanRun(plan.name, tuple(runs[s.name] for s in plan.steps), outputs, wall)


def _copyable(spark: Any) -> bool:
    """Whether steps may run at once on copies of ``spark`` (none, or a started session)."""
    if spark is None:
        return True
    from pyspark.sql import SparkSession

    return isinstance(spark, SparkSession)


def _run_at_once(plan: Plan, ran: _StepRunner) -> dict[str, StepRun]:
    """Run every step once its waits are met, steps whose waits are met at once."""
    from goldmine.spark import copy_session, run_concurrently

    template = None if ran.spark is None else copy_session(ran.spark)
    outer = open_count()  # an outer count in this thread includes every step's jobs

    def run(step: Step) -> StepRun:
        with counted_into(outer):
            if template is None:
                return ran(step)
            in_order = step.after is None or step.always  # as without any step at once
            return ran(step, ran.spark if in_order else copy_session(template))

    calls = {s.name: functools.partial(run, s) for s in plan.steps}
    return run_concurrently(calls, after=plan.waits_for())


@dataclass
class _StepRunner:
    """Runs one step of a plan: progress, its job group, its persisted frames, its log line."""

    plan: Plan
    spark: SparkSession | None
    values: dict[str, Any]
    release: ExitStack
    progress: PlanProgress | None
    #: The steps started so far, in the order they started.
    started: list[str] = dataclasses.field(default_factory=list)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def __call__(self, step: Step, session: SparkSession | None = None) -> StepRun:
        """Run ``step``; with ``session``, on it, active on this thread (the plan's or a copy)."""
        with self.lock:
            self.started.append(step.name)
            if self.progress is not None:
                self.progress(step.name, len(self.started) - 1, len(self.plan.steps))
        args = {name: self.values[name] for name in step.needs() if name in self.values}
        spark = self.spark if session is None else session
        if session is not None and "spark" in args:
            args["spark"] = session
        start = time.perf_counter()
        with ExitStack() as scope:
            if session is not None:
                from goldmine.spark import active_session

                scope.enter_context(active_session(session))
            jobs = scope.enter_context(_jobs_of(spark, f"{self.plan.name}.{step.name}"))
            output = step.run(**args)
            if step.persist:  # in the step's job group: persisting plans the frame,
                # which may run jobs (Delta lists an input table's files for the scan)
                kept = step.persist(output) if callable(step.persist) else _frames_in(output)
                frames = _persist(kept)
                with self.lock:
                    self.release.callback(_unpersist, frames)
            run = StepRun(step.name, time.perf_counter() - start, jobs())
        self.values[step.name] = output
        log.info("%s.%s: %.1f s, %d Spark jobs", self.plan.name, *astuple(run))
        return run


@contextmanager
def _jobs_of(spark: SparkSession | None, label: str) -> Iterator[Callable[[], int]]:
    if spark is None:
        yield lambda: 0
        return
    with count_spark_jobs(spark, label) as counted:
        yield counted


def _persist(kept: Iterable[DataFrame]) -> list[DataFrame]:
    frames = [f for f in kept if f is not None]
    for frame in frames:
        if not frame.is_cached:  # persisted by the step itself: its level stays
            frame.persist()
    return frames


def _unpersist(frames: list[DataFrame]) -> None:
    for frame in frames:
        frame.unpersist()


def _frames_in(value: Any) -> Iterator[DataFrame]:
    from pyspark.sql import DataFrame

    if isinstance(value, DataFrame):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _frames_in(item)
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _frames_in(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _frames_in(getattr(value, f.name))
