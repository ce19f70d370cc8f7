"""Issues 19 and 20: late and partial batches reach gold in the lake, the lakehouse and
the mesh, and the three builds agree afterwards.

Two generated business days on a platform of their own (project ``late``). The first
builds see both days, day 1 without its customers file. Then land a second batch for day
1's ingest date (``20250106-b``: a correction export cancelling a revenue-counting order
and adding one); and day 1's customers file, late, after its batch was built. Every
build takes all of it (DATASET.md section 1: a batch is the ``<batch_id>`` of its file
names, several may share an ingest date, none is skipped because another of the same
date was built), and gold equals the oracle's recomputation of every landed file.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.oracle import expected_from_dir
from tests.three_builds import (
    assert_gold_is_the_oracles,
    build_three_ways,
    json_object,
    quarantines,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

# ``slow``: six whole builds (the mesh publishes its 8 products twice).
pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]

DAY1, DAY2 = dt.date(2025, 1, 6), dt.date(2025, 1, 7)
LATE_KEY = f"crm/customers/ingest_date={DAY1}/customers-20250106.csv"
CORRECTION_KEY = f"sales/orders/ingest_date={DAY1}/orders-20250106-b.jsonl"


def _correction(export: Path) -> bytes:
    """A second batch of day 1: one of its orders cancelled, and a new order."""
    lines = (export / f"sales/orders/ingest_date={DAY1}/orders-20250106.jsonl").read_text()
    orders = [r for line in lines.splitlines() if (r := json_object(line)) and r.get("items")]
    placed = next(r for r in orders if r.get("status") in ("placed", "shipped"))
    cancelled = placed | {"status": "cancelled", "updated_at": f"{DAY1}T23:00:00+00:00"}
    new = orders[-1] | {"order_id": "LATE-0001", "updated_at": f"{DAY1}T23:30:00+00:00"}
    return "".join(json.dumps(r) + "\n" for r in (cancelled, new)).encode()


@pytest.fixture(scope="module")
def late(platform: Platform, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Build two days, day 1 without its customers file; land the rest, build again."""
    from goldmine.platform import connect
    from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales
    from tests.conftest import make_settings

    isolated = connect(make_settings(platform.settings.data_dir, project="late"))
    export = tmp_path_factory.mktemp("late") / "export"
    generate_sales(DirectorySink(export), GeneratorConfig(days=2, scale=0.01, seed=5))
    shutil.rmtree(export / "_manifests")  # a foreign source sends none: settled by time
    (export / CORRECTION_KEY).write_bytes(_correction(export))
    s3, bucket = isolated.aws.s3(), isolated.settings.buckets.landing

    def land(keys: list[str]) -> None:
        for key in keys:
            s3.put_object(Bucket=bucket, Key=key, Body=(export / key).read_bytes())

    everything = sorted(p.relative_to(export).as_posix() for p in export.rglob("*") if p.is_file())
    land([k for k in everything if k not in (LATE_KEY, CORRECTION_KEY)])
    first = build_three_ways(isolated, spark, "first")
    land([CORRECTION_KEY, LATE_KEY])
    second = build_three_ways(isolated, spark, "second")
    return isolated, expected_from_dir(export), first, second


def test_the_late_file_and_the_second_batch_of_a_built_date_are_built_everywhere(
    late: Any,
) -> None:
    isolated, _expected, first, second = late
    assert first["lake"].batches == ("20250106", "20250107")
    assert second["lake"].batches == ("20250106", "20250106-b")
    assert second["lake"].late == ("20250106",)
    lakehouse_late = second["lakehouse"].late
    assert list(lakehouse_late.values()) == [f"s3://{isolated.settings.buckets.landing}/{LATE_KEY}"]
    assert all(b.startswith("20250106-late-") for b in lakehouse_late)
    bronze = second["lakehouse"].batches["bronze"]
    assert sorted(bronze) == sorted(["20250106-b", *lakehouse_late])


def test_the_three_builds_give_the_oracles_gold_after_late_data(late: Any) -> None:
    isolated, expected, _first, _second = late
    assert_gold_is_the_oracles(isolated, expected)


def test_the_three_builds_quarantine_the_same_lines(late: Any, spark: SparkSession) -> None:
    isolated, expected, first, second = late
    newest = {  # a product the second publish found unchanged keeps its first publication
        p: (first["mesh"][p] if r.unchanged else r) for p, r in second["mesh"].items()
    }
    by_build = quarantines(spark, isolated, {**second, "mesh": newest})
    assert by_build["lake"] == by_build["lakehouse"] == by_build["mesh"]
    want = Counter(zip(expected.quarantine["feed"], expected.quarantine["reason"], strict=True))
    assert Counter((r[0], r[4]) for r in by_build["lake"].elements()) == want
