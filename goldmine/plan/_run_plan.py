"""Run a plan: each step timed, its Spark jobs counted, its persisted frames released."""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING, Any

from goldmine.plan._count_jobs import count_spark_jobs
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

    @property
    def seconds(self) -> float:
        """Wall seconds of all steps."""
        return sum(s.seconds for s in self.steps)

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
    """Run ``plan``'s steps in order, each with the values it names.

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
    runs: list[StepRun] = []
    with ExitStack() as release:
        ran = _StepRunner(plan, spark, values, release, progress)
        try:
            for done, step in enumerate(plan.steps):
                runs.append(ran(step, done))
        except BaseException:  # the steps that run also after a failure, then raise it
            for done, step in enumerate(plan.steps):
                if step.always and done > len(runs):
                    ran(step, done)
            raise
    outputs = {s.name: values[s.name] for s in plan.steps}
    return PlanRun(plan.name, tuple(runs), outputs)


@dataclass(frozen=True)
class _StepRunner:
    """Runs one step of a plan: progress, its job group, its persisted frames, its log line."""

    plan: Plan
    spark: SparkSession | None
    values: dict[str, Any]
    release: ExitStack
    progress: PlanProgress | None

    def __call__(self, step: Step, done: int) -> StepRun:
        if self.progress is not None:
            self.progress(step.name, done, len(self.plan.steps))
        args = {name: self.values[name] for name in step.needs() if name in self.values}
        start = time.perf_counter()
        with _jobs_of(self.spark, f"{self.plan.name}.{step.name}") as jobs:
            output = step.run(**args)
            if step.persist:  # in the step's job group: persisting plans the frame,
                # which may run jobs (Delta lists an input table's files for the scan)
                kept = step.persist(output) if callable(step.persist) else _frames_in(output)
                self.release.callback(_unpersist, _persist(kept))
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
