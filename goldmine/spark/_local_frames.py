"""DataFrames of rows the driver holds, which Spark scans without a Python worker.

``spark.createDataFrame(rows)`` pickles the rows into a Python RDD: every task that
scans it (in every statement the frame takes part in) asks a Python worker to
unpickle its partition, ~0.1-1 s each on a small machine, and an empty list still
becomes the default number of partitions, each such a task. These frames are
decoded by the JVM instead.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from goldmine.spark._session_conf import session_conf

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

_ARROW = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # A row Arrow cannot take fails here instead of silently taking the pickled path.
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
}
#: The Arrow switch is a setting of the whole session: calls on several threads
#: (``run_concurrently``) would restore each other's values, so one at a time.
_ARROW_LOCK = threading.Lock()


def empty_frame(spark: SparkSession, schema: str | StructType) -> DataFrame:
    """Return an empty frame of ``schema`` (DDL string or StructType) with no partitions."""
    return spark.createDataFrame(spark.sparkContext.emptyRDD(), schema)


def local_frame(
    spark: SparkSession, rows: Sequence[Sequence[Any]], schema: str | StructType
) -> DataFrame:
    """Return ``rows`` (tuples in ``schema``'s column order) as a frame sent through Arrow.

    The driver converts the rows to Arrow batches once; the JVM decodes them, so no
    scan of the frame needs a Python worker. The session's Arrow setting is switched
    on for the call only (one call at a time) and restored. No rows: :func:`empty_frame`.

    The rows are not left inside the plan: Spark makes such a frame a ``LocalRelation``
    that holds every row, and its analyzer walks every node's expressions, rows included,
    each time a frame built on it is analyzed (every ``select``, ``filter``, union...):
    a week's landed lines made the analysis of a build's plans several times slower. The
    frame is a lazy local checkpoint instead (no job; the first action stores its one
    partition, later ones read it), with the rows' exact size as its statistics. Each
    call's frame is therefore also a plan of its own: two calls with the same rows (two
    builds at once reading the same files) are never taken for one another by Spark's
    cache, which is shared by every session of the application (ADR 0033).
    """
    import pandas as pd
    from pyspark.sql.types import StructType, _parse_datatype_string

    if not rows:
        return empty_frame(spark, schema)
    struct = schema if isinstance(schema, StructType) else _parse_datatype_string(schema)
    assert isinstance(struct, StructType), f"not a row schema: {schema!r}"
    table = pd.DataFrame.from_records(list(rows), columns=struct.names)
    with _ARROW_LOCK, session_conf(spark, _ARROW):
        frame = spark.createDataFrame(table, struct)
    return frame.localCheckpoint(eager=False)
