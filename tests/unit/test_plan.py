"""The plan runner without Spark: names resolve, steps run in order, errors come first."""

from __future__ import annotations

import threading

import pytest

from goldmine.plan import Plan, PlanError, Step, run_plan


def test_each_step_gets_inputs_and_earlier_outputs_by_name() -> None:
    seen: list[str] = []

    def total(orders: list[int]) -> int:
        seen.append("total")
        return sum(orders)

    def share(orders: list[int], total: int, rounding: int = 2) -> list[float]:
        seen.append("share")
        return [round(o / total, rounding) for o in orders]

    run = run_plan(Plan("p", (Step("total", total), Step("share", share))), orders=[1, 3])
    assert seen == ["total", "share"]
    assert run.outputs == {"total": 4, "share": [0.25, 0.75]}
    assert [s.name for s in run.steps] == ["total", "share"]
    assert all(s.spark_jobs == 0 for s in run.steps)  # no Spark input, nothing counted


def test_a_missing_value_is_refused_before_any_step_runs() -> None:
    ran: list[str] = []
    plan = Plan("p", (Step("a", lambda: ran.append("a")), Step("b", lambda c: c)))
    with pytest.raises(PlanError, match="step 'b' needs c"):
        run_plan(plan)
    assert ran == []


def test_a_later_step_output_is_not_visible_to_an_earlier_step() -> None:
    plan = Plan("p", (Step("a", lambda b: b), Step("b", lambda: 1)))
    with pytest.raises(PlanError, match="step 'a' needs b"):
        run_plan(plan)


def test_without_drops_steps_and_refuses_unknown_names() -> None:
    plan = Plan("p", (Step("a", lambda: 1), Step("b", lambda: 2), Step("c", lambda a: a)))
    assert plan.without("b").step_names == ("a", "c")
    with pytest.raises(PlanError, match="no step z"):
        plan.without("z")
    with pytest.raises(PlanError, match="step 'c' needs a"):
        run_plan(plan.without("a"))


def test_a_name_twice_is_refused() -> None:
    with pytest.raises(PlanError, match="twice: a"):
        Plan("p", (Step("a", lambda: 1), Step("a", lambda: 2)))


def test_progress_is_called_as_each_step_starts() -> None:
    calls: list[tuple[str, int, int]] = []
    plan = Plan("p", (Step("a", lambda: 1), Step("b", lambda a: a + 1)))
    run_plan(plan, progress=lambda *c: calls.append(c))
    assert calls == [("a", 0, 2), ("b", 1, 2)]


def test_a_failing_step_raises_its_own_error() -> None:
    def boom() -> None:
        raise RuntimeError("the source is gone")

    with pytest.raises(RuntimeError, match="the source is gone"):
        run_plan(Plan("p", (Step("a", lambda: 1), Step("b", boom))))


def test_an_always_step_runs_after_a_failure_with_the_values_given_so_far() -> None:
    recorded: list[dict[str, object]] = []

    def record(ledger: str, first: int | None = None, second: int | None = None) -> int:
        recorded.append({"ledger": ledger, "first": first, "second": second})
        return 0

    def fail(first: int) -> int:
        raise RuntimeError(f"second failed after {first}")

    steps = (Step("first", lambda: 1), Step("second", fail), Step("third", lambda: 3))
    plan = Plan("p", (*steps, Step("record", record, always=True), Step("last", lambda: 4)))
    with pytest.raises(RuntimeError, match="second failed after 1"):
        run_plan(plan, ledger="L")
    assert recorded == [{"ledger": "L", "first": 1, "second": None}]

    run = run_plan(plan.without("second"), ledger="L")  # no failure: it runs once, in order
    assert recorded[1:] == [{"ledger": "L", "first": 1, "second": None}]
    assert [s.name for s in run.steps] == ["first", "third", "record", "last"]


def test_an_always_step_may_require_plan_inputs_only() -> None:
    plan = Plan("p", (Step("a", lambda: 1), Step("b", lambda a: a, always=True)))
    with pytest.raises(PlanError, match=r"step 'b' runs also after a failure.*not a"):
        run_plan(plan)


def _gate_plan(log: list[str], gate: threading.Event) -> Plan:
    """``slow`` waits for ``gate``, which ``quick`` (after ``first`` only) sets."""

    def slow(first: int) -> int:
        assert gate.wait(5), "quick did not run while slow waited: the steps ran in order"
        log.append("slow")
        return first + 1

    def quick(first: int) -> int:
        log.append("quick")
        gate.set()
        return first + 2

    return Plan(
        "p",
        (
            Step("first", lambda: 1),
            Step("slow", slow, after=()),
            Step("quick", quick, after=()),
            Step("last", lambda slow, quick: slow + quick, after=()),
        ),
    )


def test_steps_that_name_their_waits_run_at_once() -> None:
    log: list[str] = []
    run = run_plan(_gate_plan(log, threading.Event()))
    assert log == ["quick", "slow"]  # slow could only end once quick had run beside it
    assert run.outputs == {"first": 1, "slow": 2, "quick": 3, "last": 5}
    assert [s.name for s in run.steps] == ["first", "slow", "quick", "last"]  # plan order
    assert run.wall is not None and run.seconds == run.wall


def test_a_step_without_after_waits_for_every_earlier_step() -> None:
    order: list[str] = []
    gate = threading.Event()

    def slow() -> None:
        gate.wait(0.2)  # would be set by a step that ran beside it: none does
        order.append("slow")

    plan = Plan(
        "p",
        (
            Step("slow", slow, after=()),
            Step("then", lambda: order.append("then") or gate.set()),
        ),
    )
    run_plan(plan)
    assert order == ["slow", "then"]


def test_after_names_earlier_steps_only() -> None:
    later = Plan("p", (Step("a", lambda: 1, after=("b",)), Step("b", lambda: 2)))
    with pytest.raises(PlanError, match="step 'a' starts after b, which is no earlier step"):
        run_plan(later)
    always = Plan("p", (Step("a", lambda: 1), Step("b", lambda: 2, always=True, after=("a",))))
    with pytest.raises(PlanError, match="step 'b' runs also after a failure"):
        run_plan(always)


def test_without_keeps_the_waits_of_a_dropped_step() -> None:
    plan = Plan(
        "p",
        (
            Step("a", lambda: 1),
            Step("b", lambda: 2, after=("a",)),
            Step("c", lambda: 3, after=("b",)),
            Step("d", lambda: 4, after=()),
        ),
    )
    dropped = plan.without("b")
    assert dropped.waits_for() == {"a": set(), "c": {"a"}, "d": set()}


def test_a_failure_at_once_starts_no_later_step_and_runs_the_always_steps() -> None:
    started: list[str] = []

    def fail() -> None:
        started.append("fail")
        raise RuntimeError("the table is gone")

    def record(beside: str | None = None) -> None:
        started.append(f"record after beside={beside}")

    plan = Plan(
        "p",
        (
            Step("fail", fail, after=()),
            Step("beside", lambda: started.append("beside") or "done", after=()),
            Step("later", lambda: started.append("later"), after=("fail",)),
            Step("record", record, always=True),
        ),
    )
    with pytest.raises(RuntimeError, match="the table is gone"):
        run_plan(plan)
    assert "later" not in started
    assert started[-1].startswith("record after beside=")
