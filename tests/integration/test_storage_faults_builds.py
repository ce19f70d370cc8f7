"""The three builds finish with 5% and 20% of S3 requests faulted, and nothing changes.

Each fault rate (0 is the reference) gets a project of its own on the session's local
services, the shared week landed in it, and its S3 endpoint set to a fault-injecting
proxy (``goldmine.local.FaultProxy``: 503 SlowDown, 500 InternalError, or the
connection reset after the store did the request; ADR 0025). The lake, the lakehouse
and the mesh are built through it, on both S3 paths (boto3 through the platform's
settings, Spark's S3A through per-bucket endpoints): every build finishes, faults hit
both paths, gold is identical to the fault-free run and the same records are
quarantined. ``slow``: three full builds of the week (``make test-slow``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from benchmarks.faults import BuildsRun, build_all, fault_platforms, gold_frames, land_week
from goldmine.local import FAULT_KINDS, FaultCounts, FaultProxy
from goldmine.observe import load_run_summaries, runs_location
from tests.answers import normalized
from tests.conftest import make_settings

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]

RATES = (0.05, 0.20)


@dataclass(frozen=True)
class Faulted:
    """The builds of one project at one fault rate, and what the proxy did meanwhile."""

    run: BuildsRun
    counts: FaultCounts
    gold: dict[str, pd.DataFrame]
    summaries: Counter[tuple[str, str, str]]  # run summaries by architecture, command, status


@pytest.fixture(scope="module")
def proxy(platform: Platform) -> Iterator[FaultProxy]:
    with FaultProxy(str(platform.aws.endpoints.s3), rate=0.0) as started:
        yield started


@pytest.fixture(scope="module")
def builds(platform: Platform, spark: SparkSession, proxy: FaultProxy) -> dict[float, Faulted]:
    """``{rate: Faulted}`` for the fault-free reference and each rate of ``RATES``."""
    found = {}
    for rate in (0.0, *RATES):
        settings = make_settings(platform.settings.data_dir, project=f"faults{rate * 100:.0f}")
        clean, faulted = fault_platforms(settings, proxy.url)
        land_week(clean)
        proxy.reset(rate=rate, seed=19)
        run = build_all(faulted, spark)
        bucket, _ = runs_location(clean.settings)
        summaries = Counter(
            (s.architecture, s.command, str(s.status))
            for s in load_run_summaries(clean.aws.s3(), bucket)
        )
        found[rate] = Faulted(run, proxy.counts(), gold_frames(clean), summaries)
    return found


def test_the_reference_run_goes_through_the_proxy_without_faults(
    builds: dict[float, Faulted],
) -> None:
    counts = builds[0.0].counts
    assert counts.injected == 0
    assert counts.by_client["s3a"][0] > 100 and counts.by_client["boto3"][0] > 100


@pytest.mark.parametrize("rate", RATES)
def test_faults_hit_both_s3_paths_at_the_rate_asked(
    builds: dict[float, Faulted], rate: float
) -> None:
    counts = builds[rate].counts
    assert 0.5 * rate < counts.injected / counts.requests < 1.5 * rate
    assert all(counts.faults[kind] > 0 for kind in FAULT_KINDS), counts.faults
    assert counts.faults_of("s3a") > 10 and counts.faults_of("boto3") > 10, counts.by_client


@pytest.mark.parametrize("rate", RATES)
def test_gold_is_identical_to_the_fault_free_run(builds: dict[float, Faulted], rate: float) -> None:
    reference, gold = builds[0.0].gold, builds[rate].gold
    assert set(gold) == set(reference) and len(reference) == 9
    for name, frame in reference.items():
        assert len(frame) > 0, name
        assert list(gold[name].columns) == list(frame.columns), name
        assert normalized(gold[name]) == normalized(frame), name


@pytest.mark.parametrize("rate", RATES)
def test_nothing_more_is_quarantined_than_without_faults(
    builds: dict[float, Faulted], rate: float
) -> None:
    reference = builds[0.0].run.quarantined
    assert all(reference[b] > 0 for b in ("lake", "lakehouse", "mesh")), reference
    assert builds[rate].run.quarantined == reference


@pytest.mark.parametrize("rate", RATES)
def test_every_run_leaves_its_summary_as_without_faults(
    builds: dict[float, Faulted], rate: float
) -> None:
    """Observability survives the faults too: no run summary lost to a failed read."""
    reference = builds[0.0].summaries
    assert sum(reference.values()) >= 4, reference
    assert builds[rate].summaries == reference
