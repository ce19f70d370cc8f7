"""Time the steps of a run that reports them only as progress messages."""

from __future__ import annotations

import time
from collections.abc import Callable

from goldmine.report._model import StepTime


class StepClock:
    """Turn progress messages into step timings: a step lasts until the next message.

    Examples
    --------
    >>> ticks = iter([0.0, 2.0, 5.0])
    >>> clock = StepClock(lambda: next(ticks))
    >>> clock.step("bronze"); clock.step("silver")
    >>> clock.stop()
    (StepTime(step='bronze', seconds=2.0), StepTime(step='silver', seconds=3.0))
    """

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._steps: list[StepTime] = []
        self._current: tuple[str, float] | None = None

    def step(self, name: str) -> None:
        """End the running step (if any) and start ``name``."""
        now = self._now()
        self._close(now)
        self._current = (name, now)

    def stop(self) -> tuple[StepTime, ...]:
        """End the running step; return every step in order (a repeated name adds up)."""
        self._close(self._now())
        merged: dict[str, float] = {}
        for timed in self._steps:
            merged[timed.step] = merged.get(timed.step, 0.0) + timed.seconds
        return tuple(StepTime(step, seconds) for step, seconds in merged.items())

    def _close(self, now: float) -> None:
        if self._current is not None:
            name, started = self._current
            self._steps.append(StepTime(name, now - started))
            self._current = None
