"""goldmine.spark.run_concurrently: results in order, errors after all ended, jobs in the group."""

from __future__ import annotations

import contextvars
import functools
import threading
import time
from typing import TYPE_CHECKING

import pytest

from goldmine.plan import count_spark_jobs
from goldmine.spark import run_concurrently

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

_LABEL = contextvars.ContextVar("label", default="none")


def sleep_then(seconds: float, value: str) -> str:
    time.sleep(seconds)
    return value


def recorded_calls(seconds: dict[str, float]) -> tuple[list[str], dict[str, Callable[[], str]]]:
    """Return a record of events and one call per name that records it.

    A call adds ``name+`` as it starts and ``name-`` as it ends, its ``seconds`` apart.
    """
    events: list[str] = []
    lock = threading.Lock()

    def step(name: str, seconds: float) -> str:
        with lock:
            events.append(f"{name}+")
        time.sleep(seconds)
        with lock:
            events.append(f"{name}-")
        return name

    return events, {n: functools.partial(step, n, s) for n, s in seconds.items()}


def test_results_come_in_the_order_of_the_calls_not_of_their_ends() -> None:
    calls = {"slow": lambda: sleep_then(0.3, "s"), "fast": lambda: sleep_then(0.0, "f")}
    results = run_concurrently(calls)
    assert list(results.items()) == [("slow", "s"), ("fast", "f")]


def test_the_calls_run_at_once_on_at_most_workers_threads() -> None:
    both_running = threading.Barrier(2, timeout=5)  # breaks unless two calls wait together
    threads: list[str] = []

    def meet() -> None:
        threads.append(threading.current_thread().name)
        both_running.wait()

    run_concurrently({"a": meet, "b": meet}, workers=2)
    assert len(set(threads)) == 2
    assert threading.current_thread().name not in threads


def test_one_call_or_one_worker_runs_inline_in_order() -> None:
    seen: list[tuple[str, str]] = []

    def note(name: str) -> str:
        seen.append((name, threading.current_thread().name))
        return name

    here = threading.current_thread().name
    assert run_concurrently({"only": lambda: note("only")}) == {"only": "only"}
    calls = {n: (lambda n=n: note(n)) for n in ("a", "b", "c")}  # type: ignore[misc]
    assert run_concurrently(calls, workers=1) == {"a": "a", "b": "b", "c": "c"}
    assert seen == [("only", here), ("a", here), ("b", here), ("c", here)]
    assert run_concurrently({}) == {}


def test_the_first_error_is_raised_after_every_started_call_ended() -> None:
    ended: list[str] = []
    started = threading.Event()

    def fail_now() -> None:
        assert started.wait(5)
        raise ValueError("write of a failed")

    def finish_late() -> str:
        started.set()
        time.sleep(0.5)
        ended.append("b")
        return "b"

    with pytest.raises(ValueError, match="write of a failed") as raised:
        run_concurrently({"a": fail_now, "b": finish_late})
    assert ended == ["b"]  # the other call was not left running
    assert "raised by 'a', one of 2 calls run concurrently" in str(raised.value.__notes__)
    assert not [t for t in threading.enumerate() if t.name.startswith("goldmine-concurrent")]


def test_the_error_raised_is_the_first_in_call_order_and_names_the_others() -> None:
    def fail_after(seconds: float, message: str) -> None:
        time.sleep(seconds)
        raise RuntimeError(message)

    calls = {"a": lambda: fail_after(0.3, "a broke"), "b": lambda: fail_after(0.0, "b broke")}
    with pytest.raises(RuntimeError, match="a broke") as raised:
        run_concurrently(calls)
    assert "failed too: 'b'" in raised.value.__notes__[0]


def test_an_inline_error_names_its_call() -> None:
    def fail() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError) as raised:
        run_concurrently({"lonely": fail})
    assert raised.value.__notes__ == ["raised by 'lonely'"]


def test_each_call_sees_the_callers_context_variables() -> None:
    _LABEL.set("caller")
    seen = run_concurrently({"a": _LABEL.get, "b": _LABEL.get})
    assert seen == {"a": "caller", "b": "caller"}


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        run_concurrently({"a": lambda: 1}, workers=0)


def test_a_call_starts_after_those_it_names_and_others_run_beside() -> None:
    """``after``: ``c`` waits for ``a`` and ``b``; ``b`` runs beside ``a``."""
    events, calls = recorded_calls({"c": 0.0, "a": 0.3, "b": 0.1})
    got = run_concurrently(calls, workers=2, after={"c": ["a", "b", "not-a-call"]})
    assert got == {"c": "c", "a": "a", "b": "b"}  # in the order of the calls
    assert sorted(events[:2]) == ["a+", "b+"]  # both at once; c not before both ended
    assert events.index("b+") < events.index("a-")
    assert events.index("c+") > max(events.index("a-"), events.index("b-"))


def test_a_free_worker_takes_the_ready_call_others_wait_on_first() -> None:
    """The mesh's shape: ``stores`` first in order, but ``orders`` and ``revenue`` wait
    on ``products`` and ``rates``: those two start first, and ``orders`` once both ended
    (a pool's queue would have started ``stores`` first and put ``orders`` behind it)."""
    seconds = {"stores": 0.5, "products": 0.05, "rates": 0.1, "orders": 0.05, "revenue": 0.0}
    events, calls = recorded_calls(seconds)
    after = {"orders": ["products", "rates"], "revenue": ["orders"]}
    got = run_concurrently(calls, workers=2, after=after)
    assert list(got) == list(seconds)  # results in the order of the calls
    assert sorted(events[:2]) == ["products+", "rates+"]
    assert events.index("orders+") == events.index("rates-") + 1  # no queue before it
    assert events.index("orders+") < events.index("stores-")


def test_inline_calls_run_each_after_those_it_names_else_in_order() -> None:
    seen: list[str] = []
    calls = {n: (lambda n=n: seen.append(n)) for n in ("revenue", "orders", "products")}
    run_concurrently(calls, workers=1, after={"revenue": ["orders"], "orders": ["products"]})  # type: ignore[arg-type]
    assert seen == ["products", "orders", "revenue"]


def test_a_failed_call_starts_none_of_those_after_it() -> None:
    ran: list[str] = []

    def fail() -> None:
        raise RuntimeError("orders broke")

    calls = {"orders": fail, "revenue": lambda: ran.append("revenue")}
    with pytest.raises(RuntimeError, match="orders broke") as raised:
        run_concurrently(calls, workers=2, after={"revenue": ["orders"]})  # type: ignore[arg-type]
    assert ran == []
    assert "not started: 'revenue'" in raised.value.__notes__[0]


def test_calls_that_wait_on_each_other_are_refused_before_any_runs() -> None:
    ran: list[str] = []
    calls = {n: (lambda n=n: ran.append(n)) for n in ("a", "b", "c")}
    with pytest.raises(ValueError, match="wait on each other: a, b"):
        run_concurrently(calls, after={"a": ["b"], "b": ["a"]})  # type: ignore[arg-type]
    assert ran == []


@pytest.mark.spark
def test_the_calls_spark_jobs_carry_the_callers_job_group(spark: SparkSession) -> None:
    """Every job of every thread is the caller's: counted by its group, as a step's are."""
    sc = spark.sparkContext

    def action(n: int) -> tuple[int, str | None, str]:
        rows = spark.range(n).count()  # one Spark job
        return rows, sc.getLocalProperty("spark.job.description"), threading.current_thread().name

    calls = {f"count {n}": (lambda n=n: action(n)) for n in (10, 20, 30)}  # type: ignore[misc]
    with count_spark_jobs(spark, "one after the other") as inline:
        run_concurrently(calls, workers=1)
    with count_spark_jobs(spark, "at once") as at_once:
        results = run_concurrently(calls, workers=3)
        group = sc.getLocalProperty("spark.jobGroup.id")
    assert [r[0] for r in results.values()] == [10, 20, 30]
    assert {r[1] for r in results.values()} == {"at once"}  # the caller's description
    assert all(r[2].startswith("goldmine-concurrent") for r in results.values())
    assert inline() == 3
    assert at_once() == inline()  # every job in the caller's group, none lost or added
    tracker = sc.statusTracker()
    assert group is not None and len(tracker.getJobIdsForGroup(group)) == 3
    assert sc.getLocalProperty("spark.jobGroup.id") != group  # the caller's group restored
