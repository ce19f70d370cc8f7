"""The plan runner on Spark: jobs counted per step, persisted frames released in finally."""

from __future__ import annotations

from typing import Any

import pytest
from pyspark.sql import DataFrame, SparkSession

from goldmine.plan import Plan, Step, count_spark_jobs, run_plan


def test_each_steps_spark_jobs_are_counted(spark: SparkSession) -> None:
    def numbers(spark: SparkSession) -> DataFrame:
        return spark.range(100)

    def counted(numbers: DataFrame) -> int:
        return numbers.count()

    def twice(numbers: DataFrame) -> tuple[int, int]:
        return numbers.count(), len(numbers.collect())

    plan = Plan("p", (Step("numbers", numbers), Step("counted", counted), Step("twice", twice)))
    run = run_plan(plan, spark=spark)
    jobs = {s.name: s.spark_jobs for s in run.steps}
    assert jobs["numbers"] == 0  # a lazy frame: no job
    assert jobs["counted"] >= 1
    assert jobs["twice"] >= jobs["counted"] + 1
    assert run.spark_jobs == sum(jobs.values())
    assert run.outputs["counted"] == 100


def test_count_spark_jobs_restores_the_callers_group(spark: SparkSession) -> None:
    sc = spark.sparkContext
    sc.setJobGroup("caller", "the caller's group")
    try:
        with count_spark_jobs(spark, "inner") as jobs:
            spark.range(10).count()
        assert jobs() >= 1
        assert sc.getLocalProperty("spark.jobGroup.id") == "caller"
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
        sc.setLocalProperty("spark.job.description", None)  # type: ignore[arg-type]


def _cached(frame: DataFrame) -> bool:
    return bool(frame.storageLevel.useMemory or frame.storageLevel.useDisk)


def test_persisted_outputs_live_for_the_plan_and_are_released_even_on_failure(
    spark: SparkSession,
) -> None:
    seen: dict[str, Any] = {}

    def frames(spark: SparkSession) -> dict[str, DataFrame]:
        return {"a": spark.range(5), "b": spark.range(7)}

    def look(frames: dict[str, DataFrame]) -> None:
        seen["frames"] = list(frames.values())
        seen["during"] = [_cached(f) for f in seen["frames"]]

    def boom() -> None:
        raise RuntimeError("step failed")

    plan = Plan("p", (Step("frames", frames, persist=True), Step("look", look), Step("b", boom)))
    with pytest.raises(RuntimeError, match="step failed"):
        run_plan(plan, spark=spark)
    assert seen["during"] == [True, True]
    # the runner's finally released them
    assert len(seen["frames"]) == 2
    assert not any(_cached(f) for f in seen["frames"])


def test_an_outer_count_includes_the_jobs_of_blocks_counted_inside_it(
    spark: SparkSession,
) -> None:
    with count_spark_jobs(spark, "outer") as outer:
        spark.range(3).count()
        with count_spark_jobs(spark, "inner") as inner:
            spark.range(5).count()
            spark.range(7).collect()
        after_inner = outer()
        spark.range(9).count()
    assert inner() >= 2
    assert after_inner >= inner() + 1
    assert outer() >= after_inner + 1


def test_steps_at_once_run_on_copies_and_an_outer_count_includes_their_jobs(
    spark: SparkSession,
) -> None:
    key = "goldmine.test.step"
    seen: dict[str, Any] = {}

    def first(spark: SparkSession) -> int:
        return spark.range(4).count()

    def setting(spark: SparkSession, first: int) -> int:
        spark.conf.set(key, "set by a step at once")  # its own copy's configuration
        active = spark._jvm.SparkSession.getActiveSession()  # type: ignore[union-attr]
        seen["active"] = bool(active.isDefined() and active.get().equals(spark._jsparkSession))
        return spark.range(first).count()

    def beside(spark: SparkSession, first: int) -> int:
        seen["beside"] = spark.conf.get(key, None)
        return len(spark.range(first * 2).collect())

    plan = Plan(
        "p",
        (
            Step("first", first),
            Step("setting", setting, after=()),
            Step("beside", beside, after=()),
            Step("last", lambda spark: spark.conf.get(key, None)),
        ),
    )
    with count_spark_jobs(spark, "outer") as outer:
        run = run_plan(plan, spark=spark)
    jobs = {s.name: s.spark_jobs for s in run.steps}
    assert run.outputs["setting"] == 4 and run.outputs["beside"] == 8
    assert jobs["setting"] >= 1 and jobs["beside"] >= 1  # each counted in its own group
    assert outer() == run.spark_jobs  # jobs of steps run on other threads included
    assert seen == {"active": True, "beside": None}  # a copy, active on its thread
    assert run.outputs["last"] is None and spark.conf.get(key, None) is None
