"""A plan: a name and its steps, checked before anything runs."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any


class PlanError(ValueError):
    """A plan cannot run as declared (a step needs a value nothing gives, a name twice)."""


@dataclass(frozen=True)
class Step:
    """One named step of a plan.

    Attributes
    ----------
    name
        The step's name, which is also the name of its output for later steps.
    run
        The function; each parameter is filled by name from the plan's inputs and
        the outputs of earlier steps (a parameter with a default may be left out).
    persist
        Keep frames of the output until the plan ends, for outputs read several times:
        ``True`` persists every Spark DataFrame in it (a frame, or one inside a tuple,
        list, dict or dataclass); a function of the output names the frames to keep,
        a frame before the frames derived from it. A frame the step persisted itself
        (at a storage level of its choosing, e.g. on disk only) keeps its level; the
        runner releases it with the others.
    always
        Run also when an earlier step failed, as in ``finally`` (the failure is raised
        after it), with the values given so far: it may require plan inputs only, and
        takes earlier steps' outputs through parameters with defaults (``None``: the
        step did not run or did not finish).
    """

    name: str
    run: Callable[..., Any]
    persist: bool | Callable[[Any], Iterable[Any]] = False
    always: bool = False

    def needs(self) -> tuple[str, ...]:
        """Return the names this step's function takes."""
        return tuple(inspect.signature(self.run).parameters)

    def required(self) -> tuple[str, ...]:
        """Return the names this step's function cannot run without."""
        params = inspect.signature(self.run).parameters.values()
        return tuple(p.name for p in params if p.default is inspect.Parameter.empty)


@dataclass(frozen=True)
class Plan:
    """A build's declared sequence of steps."""

    name: str
    steps: tuple[Step, ...]

    def __post_init__(self) -> None:
        names = [s.name for s in self.steps]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise PlanError(f"plan {self.name!r} names a step twice: {', '.join(twice)}")

    @property
    def step_names(self) -> tuple[str, ...]:
        """Return the steps' names in order."""
        return tuple(s.name for s in self.steps)

    def without(self, *names: str) -> Plan:
        """Return this plan without the named steps (benchmarks drop steps this way)."""
        unknown = sorted(set(names) - set(self.step_names))
        if unknown:
            raise PlanError(f"plan {self.name!r} has no step {', '.join(unknown)}")
        return Plan(self.name, tuple(s for s in self.steps if s.name not in names))

    def check(self, inputs: Iterable[str]) -> None:
        """Raise :class:`PlanError` if a step needs a value no input or earlier step gives."""
        given = set(inputs)
        available = set(given)
        for step in self.steps:
            missing = [n for n in step.required() if n not in available]
            if step.always and not missing:
                outputs = [n for n in step.required() if n not in given]
                if outputs:
                    raise PlanError(
                        f"plan {self.name!r}: step {step.name!r} runs also after a failure: "
                        f"it may require plan inputs only, not {', '.join(outputs)}"
                    )
            if missing:
                raise PlanError(
                    f"plan {self.name!r}: step {step.name!r} needs {', '.join(missing)}, "
                    "which no input or earlier step gives"
                )
            available.add(step.name)
