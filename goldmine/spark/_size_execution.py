"""Size a build's execution once, from the bytes it reads: shuffles, and codegen or not.

Shuffles are sized from the source instead of at run time (AQE, ADR 0019); a small
build runs interpreted instead of generating and compiling Java for each statement
(ADR 0027).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from goldmine.spark._session_conf import session_conf

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: Bytes of source per shuffle partition of a build.
BYTES_PER_PARTITION = 128 * 2**20
#: Source bytes up to which a build runs interpreted (ADR 0027): about 75,000 order lines.
INTERPRETED_MAX_BYTES = 32 * 2**20
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


def small_landing(s3: Any, bucket: str) -> bool:
    """Return whether ``bucket`` (the landing) holds at most :data:`INTERPRETED_MAX_BYTES`.

    A process that builds from such a landing runs a small build whatever it has
    pending: its driver runs C1 alone (ADR 0038). One listing of the bucket.
    """
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        total += sum(o["Size"] for o in page.get("Contents", []))
        if total > INTERPRETED_MAX_BYTES:
            return False
    return True


def shuffle_partitions(source_bytes: int | None, most: int, cores: int = 1) -> int:
    """Return the shuffle partitions for ``source_bytes`` of source: 1 per 128 MiB, 1..``most``.

    More than one is rounded up to a multiple of ``cores`` (the application's task
    slots): three partitions on two cores run in two waves, the second on one core
    while the other idles. Unknown bytes (``None``) take ``most``.

    Examples
    --------
    >>> [shuffle_partitions(n, 8) for n in (3_000_000, 300 * 2**20, 2**40, None)]
    [1, 3, 8, 8]
    >>> [shuffle_partitions(n, 8, cores=2) for n in (3_000_000, 300 * 2**20, 2**40)]
    [1, 4, 8]
    """
    if source_bytes is None:
        return max(1, most)
    wanted = -(-source_bytes // BYTES_PER_PARTITION)
    if wanted > 1 and cores > 1:
        wanted = -(-wanted // cores) * cores
    return max(1, min(most, wanted))


def execution_conf(source_bytes: int | None, most: int, cores: int = 1) -> dict[str, str]:
    """Return the runtime Spark conf of a build reading ``source_bytes`` of source (pure).

    - Adaptive execution off and :func:`shuffle_partitions` shuffle partitions for
      ``cores`` task slots (Delta's
      state reconstruction with as many): a build runs many small statements, and AQE
      runs each shuffle of each as a Spark job of its own and re-plans the rest of the
      statement after it, which costs more driver time than it saves (ADR 0019).
    - Up to :data:`INTERPRETED_MAX_BYTES` (known) bytes, no code generation: Spark
      generates Java for every stage and expression of every statement and compiles
      it with Janino; when the cores are shared that costs seconds per statement (on
      an idle machine it is hidden, about even), while interpreting a few thousand
      rows takes milliseconds (ADR 0027). Larger builds keep whole-stage code
      generation, which pays off per row.

    Examples
    --------
    >>> execution_conf(3_000_000, 8)["spark.sql.codegen.wholeStage"]
    'false'
    >>> execution_conf(2**40, 8)["spark.sql.shuffle.partitions"]
    '8'
    """
    partitions = str(shuffle_partitions(source_bytes, most, cores))
    small = source_bytes is not None and source_bytes <= INTERPRETED_MAX_BYTES
    return {
        "spark.sql.adaptive.enabled": "false",
        "spark.sql.shuffle.partitions": partitions,
        "spark.databricks.delta.snapshotPartitions": partitions,
        "spark.sql.codegen.wholeStage": "false" if small else "true",
        # Spark's own switch between generated and interpreted expressions.
        "spark.sql.codegen.factoryMode": "NO_CODEGEN" if small else "FALLBACK",
    }


@contextlib.contextmanager
def sized_execution(spark: SparkSession, source_bytes: int | None, most: int) -> Iterator[None]:
    """Run the block with :func:`execution_conf` for ``source_bytes``; restore the session's.

    Parameters
    ----------
    spark
        The session; its runtime settings are restored after the block.
    source_bytes
        The bytes the build reads (landed files; stored tables as
        :func:`parquet_source_bytes`); ``None`` when unknown (sized as large).
    most
        The most shuffle partitions (``settings.spark_shuffle_partitions``).
    """
    cores = spark.sparkContext.defaultParallelism
    with session_conf(spark, execution_conf(source_bytes, most, cores)):
        yield
