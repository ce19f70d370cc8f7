"""The budget: Spark jobs and Delta commits of each build of the test week (issue 18).

Times vary with the machine; these counts do not (the same week, the same code, the
same Spark settings give the same jobs and commits), so a change that brings the
fixed cost back fails here instead of going unnoticed. The ceilings are the counts
recorded after the last change that lowered them: lower them when a change wins;
raising one needs a reason in the commit message. Wall times are measured by
``benchmarks/speed.py``, never here.
"""

from __future__ import annotations

import pytest

from tests.conftest import BUILD_COSTS

#: build -> the session fixture that builds the test week with it (and measures it).
FIXTURES = {"lake": "lake_built", "lakehouse": "lakehouse_built", "mesh": "mesh_published"}
#: build -> (Spark jobs, Delta commits) of one build of the test week, at most.
CEILINGS: dict[str, tuple[int, int]] = {
    "lake": (40, 0),  # Parquet zones: no Delta table (was 81: not lowered after AQE went off)
    "lakehouse": (58, 17),  # one commit per table created, the ledger once (ADR 0019)
    "mesh": (101, 14),  # + 1: finance.revenue's `sql` quality rule is its own query
}


@pytest.mark.parametrize("build", sorted(CEILINGS))
def test_each_build_of_the_week_stays_within_its_budget(
    request: pytest.FixtureRequest, build: str
) -> None:
    request.getfixturevalue(FIXTURES[build])
    cost = BUILD_COSTS[build]
    jobs, commits = CEILINGS[build]
    made = sum(cost.delta_commits.values())
    print(f"{build}: {cost.spark_jobs} Spark jobs, {made} Delta commits {cost.delta_commits}")
    assert cost.spark_jobs > 0, "no Spark job counted: the job group did not reach the build"
    assert cost.spark_jobs <= jobs, f"{build}: {cost.spark_jobs} Spark jobs > budget {jobs}"
    assert made <= commits, f"{build}: {made} Delta commits > budget {commits}"
