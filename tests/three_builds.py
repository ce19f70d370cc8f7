"""Build one platform three ways (lake, lakehouse, every mesh product) and compare gold.

Shared by the tests that land source of their own on an isolated platform and require
the three builds to give the oracle's gold (tests/integration/test_foreign_encodings.py,
tests/integration/test_late_batches.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from goldmine.query import run_query
from tests.answers import normalized
from tests.oracle import (
    CUSTOMER_LIFETIME_COLUMNS,
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_COLUMNS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_COLUMNS,
    PRODUCT_MONTHLY_KEYS,
    Expected,
    assert_frames_equal,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

#: Gold table -> (columns, keys) as the oracle gives them.
GOLD = {
    "daily_sales": (DAILY_SALES_COLUMNS, DAILY_SALES_KEYS),
    "customer_lifetime": (CUSTOMER_LIFETIME_COLUMNS, CUSTOMER_LIFETIME_KEYS),
    "product_monthly": (PRODUCT_MONTHLY_COLUMNS, PRODUCT_MONTHLY_KEYS),
}


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


BUILDS = ("lake", "lakehouse", "mesh")


def json_object(line: str) -> dict[str, Any] | None:
    """Return the JSON object of one line, ``None`` when it is not one."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
