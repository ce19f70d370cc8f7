"""Size a build's shuffles once, from the bytes it reads, instead of at run time (AQE)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Bytes of source per shuffle partition of a build.
BYTES_PER_PARTITION = 128 * 2**20
#: How much denser snappy Parquet of these feeds is than the JSON and CSV it came from.
PARQUET_DENSITY = 4


def parquet_source_bytes(s3: Any, uris: Iterable[str]) -> int:
    """Return the source-equivalent bytes of the Parquet files under ``uris`` (``s3://b/p/``).

    A build that reads stored tables besides landed files sizes its shuffles from
    both: the Parquet bytes count :data:`PARQUET_DENSITY` times.
    """
    total = 0
    for uri in uris:
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            objects = page.get("Contents", [])
            total += sum(o["Size"] for o in objects if o["Key"].endswith(".parquet"))
    return total * PARQUET_DENSITY


def shuffle_partitions(source_bytes: int | None, most: int) -> int:
    """Return the shuffle partitions for ``source_bytes`` of source: 1 per 128 MiB, 1..``most``.

    Unknown bytes (``None``) take ``most``.

    Examples
    --------
    >>> [shuffle_partitions(n, 8) for n in (3_000_000, 300 * 2**20, 2**40, None)]
    [1, 3, 8, 8]
    """
    if source_bytes is None:
        return max(1, most)
    return max(1, min(most, -(-source_bytes // BYTES_PER_PARTITION)))


@contextlib.contextmanager
def sized_shuffles(spark: SparkSession, partitions: int) -> Iterator[None]:
    """Run the block with adaptive execution off and ``partitions`` shuffle partitions.

    A build runs many small statements (a write, an append or a MERGE per table):
    adaptive execution runs each shuffle of each as a Spark job of its own and
    re-plans the rest of the statement after it, which costs more driver time than
    it saves at these sizes. Sized once from the source (:func:`shuffle_partitions`),
    with Delta's state reconstruction on as many tasks, the statements run as planned.
    The session's settings are restored after the block.
    """
    wanted = {
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.shuffle.partitions": str(partitions),
        "spark.databricks.delta.snapshotPartitions": str(partitions),
    }
    before: dict[str, str | None] = {key: spark.conf.get(key, None) for key in wanted}
    for key, value in wanted.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key, old in before.items():
            if old is None:
                spark.conf.unset(key)
            else:
                spark.conf.set(key, old)
