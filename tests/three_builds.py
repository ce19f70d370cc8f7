"""Build one platform three ways (lake, lakehouse, every mesh product) and compare gold.

Shared by the tests that land source of their own on an isolated platform and require
the three builds to give the oracle's gold (tests/integration/test_foreign_encodings.py,
tests/integration/test_late_batches.py).
"""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, Any

from goldmine.query import run_query
from tests.answers import normalized
from tests.oracle import GOLD, Expected, assert_frames_equal

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

BUILDS = ("lake", "lakehouse", "mesh")


def build_three_ways(platform: Platform, spark: SparkSession, tag: str) -> dict[str, Any]:
    """Ingest and build the lake, build the lakehouse, publish every mesh product.

    Returns ``{"lake": BuildResult, "lakehouse": BuildSummary, "mesh": {product:
    PublishResult}}``; a product that is not published fails the calling test.
    """
    import mesh
    from lake import build, ingest
    from lakehouse import build_lakehouse

    ingest(platform)
    lake = build(platform, spark)
    lakehouse = build_lakehouse(spark, platform)
    published = {}
    for product_id in mesh.PUBLISH_ORDER:
        result = mesh.publish_product(platform, spark, product_id, run_id=f"{tag}-{product_id}")
        assert result.published, result.check.summary()
        published[product_id] = result
    return {"lake": lake, "lakehouse": lakehouse, "mesh": published}


def assert_gold_is_the_oracles(platform: Platform, expected: Expected) -> None:
    """Each gold table, asked of each build with the same SQL, equals the oracle's."""
    for table, (columns, keys) in GOLD.items():
        sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY {', '.join(columns)}"
        answers = {b: run_query(platform, sql, b, "local").frame for b in BUILDS}
        assert len(answers["lakehouse"]) > 0
        assert_frames_equal(answers["lakehouse"], getattr(expected, table), keys)
        assert normalized(answers["lake"]) == normalized(answers["lakehouse"]), table
        assert normalized(answers["mesh"]) == normalized(answers["lakehouse"]), table


#: The feed each mesh product built from the landed feeds cleans (its quarantine).
MESH_FEEDS = {
    "catalog.products": "products",
    "catalog.stores": "stores",
    "finance.fx_rates": "fx_rates",
    "customer.customers": "customers",
    "sales.orders": "orders",
}


def quarantines(spark: SparkSession, isolated: Platform, built: dict[str, Any]) -> dict[str, Any]:
    """Each build's quarantine as ``(feed, file name, line, line_no, reason, raw)`` rows."""
    from functools import reduce

    from lakehouse import layer_tables

    curated = isolated.settings.buckets.curated
    silver = next(t for t in layer_tables("silver") if t.name == "quarantine")
    mesh_tables = [
        spark.read.format("delta")
        .option("versionAsOf", r.sources.delta_version)
        .load(r.sources.location)
        for p, r in built["mesh"].items()
        if p in MESH_FEEDS and r.sources.delta_version is not None
    ]
    frames = {
        "lake": spark.read.parquet(f"s3://{curated}/quarantine/"),
        "lakehouse": spark.read.format("delta").load(silver.uri(isolated.settings)),
        "mesh": reduce(lambda a, b: a.unionByName(b), mesh_tables),
    }
    return {
        build: Counter(
            (r.feed, r.source_file.rsplit("/", 1)[-1], r.line_number, r.line_no, r.reason, r.raw)
            for r in frame.select(
                "feed", "source_file", "line_number", "line_no", "reason", "raw"
            ).collect()
        )
        for build, frame in frames.items()
    }


def json_object(line: str) -> dict[str, Any] | None:
    """Return the JSON object of one line, ``None`` when it is not one."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
