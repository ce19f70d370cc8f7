"""Builds as short declared plans of named steps, and the one runner that runs them.

A plan lists its steps; each step is a function that takes what it needs (by
parameter name: a plan input or an earlier step's output) and returns what it
produced. :func:`run_plan` runs a plan: it times each step, counts the Spark jobs
each step ran (one job group per step), owns the lifetime of what a step asks to be
persisted (released in ``finally``) and reports progress. Steps run in order, except
those that name what they wait for (``Step(after=...)``): they start once it has
ended, beside other steps (ADR 0047). A benchmark drops a step with
:meth:`Plan.without` instead of patching private names.

Example
-------
>>> plan = Plan("demo", (Step("double", lambda x: 2 * x), Step("inc", lambda double: double + 1)))
>>> run_plan(plan, x=20).outputs["inc"]
41
"""

from goldmine.plan._count_commits import count_delta_commits
from goldmine.plan._count_jobs import count_spark_jobs
from goldmine.plan._plan import Plan, PlanError, Step
from goldmine.plan._run_plan import PlanProgress, PlanRun, StepRun, run_plan
from goldmine.plan._status_board import StatusBoard

__all__ = [
    "Plan",
    "PlanError",
    "PlanProgress",
    "PlanRun",
    "StatusBoard",
    "Step",
    "StepRun",
    "count_delta_commits",
    "count_spark_jobs",
    "run_plan",
]
