"""Send a running session's S3A requests for some buckets to another S3 endpoint."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def route_buckets(spark: SparkSession, buckets: Iterable[str], endpoint: str) -> None:
    """Make S3A reach ``buckets`` at ``endpoint`` (S3A's per-bucket options).

    One JVM holds one Spark session, built for one platform's endpoints; this lets it
    also serve a second platform whose S3 endpoint differs (the fault tests and
    ``benchmarks/faults.py`` put a fault-injecting proxy in front of the store, ADR 0025).
    It applies to buckets S3A has not opened yet in this JVM: an opened filesystem is
    cached per bucket with the endpoint it was opened with.
    """
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    for bucket in buckets:
        conf.set(f"fs.s3a.bucket.{bucket}.endpoint", endpoint)
