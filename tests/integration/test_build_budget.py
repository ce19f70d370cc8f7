"""The budget: Spark jobs and Delta commits of each build of the test week (issue 18).

Times vary with the machine; these counts do not (the same week, the same code, the
same Spark settings give the same jobs and commits), so a change that brings the
fixed cost back fails here instead of going unnoticed. The ceilings are the counts
recorded after the last change that lowered them: lower them when a change wins;
raising one needs a reason in the commit message. Builds that run as plans (ADR 0021)
are held step by step too, so a step that gains jobs is named, even when another
step's win hides it in the total. Wall times are measured by ``benchmarks/speed.py``,
never here.
"""

from __future__ import annotations

import pytest

from tests.conftest import BUILD_COSTS

#: build -> the session fixture that builds the test week with it (and measures it).
FIXTURES = {"lake": "lake_built", "lakehouse": "lakehouse_built", "mesh": "mesh_published"}
#: build -> (Spark jobs, Delta commits) of one build of the test week, at most.
CEILINGS: dict[str, tuple[int, int]] = {
    # Parquet zones: no Delta table (40 -> 37 -> 35 -> 33, measured 2026-12-04); 32 or
    # 33 since its middle runs beside reconcile (stage_curated's broadcast, a race)
    "lake": (33, 0),
    # one commit per table created, the ledger once (ADR 0019, 0030); 37 -> 33: small
    # silver tables read in the driver (ADR 0044)
    "lakehouse": (33, 17),
    # items priced once; new tables created; small products checked in the driver; the
    # cleaned orders kept for the next batch (2 tables, ADR 0039)
    "mesh": (54, 16),  # 61 -> 54: small input products read in the driver (ADR 0044)
}
#: The lake's steps that run beside its reconciliation (ADR 0047).
_LAKE_AT_ONCE = (
    "reconcile", "curate_dimensions", "price_lines", "change_orders", "curate_orders",
    "curate_customers",
)  # fmt: skip
#: build -> step -> Spark jobs of that step in one build of the test week, at most (the
#: counts measured; every step of the build's plans has one). Each build's add up to its
#: total: every job of a build runs inside a step. The mesh's are summed over its 8
#: publishes (one plan each). A tuple of steps that run at once and share what they read
#: holds their jobs together.
STEP_CEILINGS: dict[str, dict[str | tuple[str, ...], int]] = {
    "lake": {
        "read_landed": 0,  # small files read in the driver (goldmine.rules.read_landed)
        "clean_feeds": 1,  # the CSV headers, once
        # At once (ADR 0047), all reading the cleaned feeds the plan keeps: the first to
        # read them computes them. reconcile: every figure in one aggregation (ADR 0015).
        _LAKE_AT_ONCE: 3,
        # 10 Parquet writes, their broadcasts and staged reads; 17 when the steps beside
        # reconcile planned a join before its job filled the caches (a shuffle join: no
        # broadcast's job), 18 after: a race, so 18 (ADR 0047)
        "stage_curated": 18,
        "stage_analytics": 8,  # touched dates and customers, 3 writes
        "report_validation": 2,  # per suite: the rejects collected (pandas), observed already
        "publish_tables": 0,
        "count_quarantine": 1,
        "delete_staging": 0,
        "register_catalog": 0,
        "write_ledgers": 0,
        "count_rows": 0,
    },
    "lakehouse": {
        "read_ledger": 0,  # no ledger yet: the first build of the week
        "pending": 0,
        "bronze": 5,  # 5 appends, each creating its table (ADR 0019, 0030)
        "bronze_lines": 0,
        "clean_feeds": 1,
        "reconcile": 1,
        "merge_prices": 2,  # fx rates, products
        "merge_dimensions": 2,  # stores, customers (SCD2)
        "touched": 1,
        "merge_orders": 2,  # order versions, orders
        "price_items": 0,  # products and rates read in the driver (ADR 0044)
        # At once (ADR 0047), both reading the priced items the plan keeps: the first
        # to read them computes them, so the two steps' jobs are held together.
        ("merge_lines", "append_quarantine"): 8,
        "report_validation": 2,  # per suite: the rejects collected (pandas), observed already
        "touched_keys": 2,
        "touched_lines": 1,
        "merge_gold": 5,  # 3 tables; products and customers read in the driver (ADR 0044)
        "record_finished": 1,  # the ledger, once
        "register_tables": 0,
    },
    "mesh": {
        "open_context": 0,  # input products opened, landed lines read in the driver
        "build": 4,  # headers collected; small input products read in the driver (ADR 0044)
        "check_data": 15,  # one aggregation per product (+ broadcasts, + the `sql` rule)
        "gather_quarantine": 0,
        "reconcile_sources": 10,  # the counts and the quarantine by reason
        "report_quality": 9,  # great-expectations: a collect per product (customers: regex, Spark)
        "write_tables": 16,  # 16 Delta writes of new tables, 1 job each (no overwrite listing)
        "register": 0,
        "record_publication": 0,
    },
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


@pytest.mark.parametrize("build", sorted(STEP_CEILINGS))
def test_each_step_of_a_build_stays_within_its_budget(
    request: pytest.FixtureRequest, build: str
) -> None:
    request.getfixturevalue(FIXTURES[build])
    cost, ceilings = BUILD_COSTS[build], STEP_CEILINGS[build]
    print(f"{build}: {sum(cost.step_jobs.values())} of {cost.spark_jobs} Spark jobs in steps")
    print(f"{build} steps: {cost.step_jobs}")
    held = {s: (s,) if isinstance(s, str) else s for s in ceilings}
    named = [step for steps in held.values() for step in steps]
    assert sorted(cost.step_jobs) == sorted(named), "a step without a ceiling, or one too many"
    jobs = {s: sum(cost.step_jobs[step] for step in steps) for s, steps in held.items()}
    over = {s: (n, ceilings[s]) for s, n in jobs.items() if n > ceilings[s]}
    assert not over, f"{build}: steps over budget (jobs, ceiling): {over}"
