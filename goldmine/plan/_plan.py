"""A plan: a name and its steps, checked before anything runs."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
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
    after
        ``None`` (the default): the step starts when every earlier step has ended. A
        tuple of earlier steps' names: the step starts once those, and the steps whose
        outputs it takes, have ended, and may run at the same time as other steps
        (:func:`goldmine.plan.run_plan`). Name every step whose effects it reads
        besides its inputs: a table the step writes, a metric its job observes.
    """

    name: str
    run: Callable[..., Any]
    persist: bool | Callable[[Any], Iterable[Any]] = False
    always: bool = False
    after: tuple[str, ...] | None = None

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

    @property
    def at_once(self) -> bool:
        """Whether some step may run at the same time as another (it names its ``after``)."""
        return any(s.after is not None for s in self.steps)

    def waits_for(self) -> dict[str, set[str]]:
        """Return, per step, the earlier steps it starts after (:attr:`Step.after`)."""
        names = self.step_names
        waits: dict[str, set[str]] = {}
        for i, step in enumerate(self.steps):
            if step.after is None or step.always:
                waits[step.name] = set(names[:i])
            else:
                waits[step.name] = set(step.after) | set(step.needs()) & set(names[:i])
        return waits

    def without(self, *names: str) -> Plan:
        """Return this plan without the named steps (benchmarks drop steps this way).

        A step that started after a dropped one starts after what that one waited for.
        """
        unknown = sorted(set(names) - set(self.step_names))
        if unknown:
            raise PlanError(f"plan {self.name!r} has no step {', '.join(unknown)}")
        waits = self.waits_for()

        def kept_waits(name: str) -> set[str]:
            return {n for w in waits[name] for n in (kept_waits(w) if w in names else {w})}

        return Plan(
            self.name,
            tuple(
                s if s.after is None else replace(s, after=tuple(sorted(kept_waits(s.name))))
                for s in self.steps
                if s.name not in names
            ),
        )

    def check(self, inputs: Iterable[str]) -> None:
        """Raise :class:`PlanError` if a step needs a value no input or earlier step gives."""
        given = set(inputs)
        available = set(given)
        for step in self.steps:
            unknown = sorted(set(step.after or ()) - (available - given))
            if unknown:
                raise PlanError(
                    f"plan {self.name!r}: step {step.name!r} starts after "
                    f"{', '.join(unknown)}, which is no earlier step"
                )
            if step.always and step.after is not None:
                raise PlanError(
                    f"plan {self.name!r}: step {step.name!r} runs also after a failure: "
                    "it starts after every earlier step (no after)"
                )
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
