"""Print a build's plan as it ran: per step, its seconds and Spark jobs (ADR 0021)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from goldmine.plan import PlanRun


def print_steps(out: Console, steps: PlanRun | None) -> None:
    """Print one line: the plan's seconds and Spark jobs, then each step's (nothing without)."""
    if steps is not None:
        out.print(f"steps: {steps.summary()}", highlight=False)
