"""Append landed lines to the bronze tables, once per batch (Delta ``txnAppId``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.rules import LANDED_SCHEMA, LandedFile, read_landed
from lakehouse._delta import append_new_batches, is_table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class AppendResult:
    """What one bronze append did: rows appended (0 when every batch was there)."""

    table: str
    app_id: str
    rows: int


def bronze_app_id(feed: str, batches: list[str], etags: list[str]) -> str:
    """Return the Delta ``txnAppId`` of one feed's append of a set of batches.

    The id names the batches (and, for the stores list, which has no batch in its
    key, the content tags), so replaying the same append commits nothing.
    """
    digest = hashlib.sha1(",".join(sorted(batches) + sorted(etags)).encode()).hexdigest()[:16]
    return f"goldmine-lakehouse:bronze:{feed}:{digest}"


#: Files up to this size are read with one GET into the driver (fast for the many small
#: files of a batch); larger ones by Spark (:func:`goldmine.rules.read_landed`), so the
#: driver never holds a large file and its memory does not grow with the data.
DRIVER_READ_MAX_BYTES = 8 * 2**20


def append_bronze(
    spark: SparkSession,
    s3: Any,
    uris: dict[str, str],
    files: list[LandedFile],
    *,
    driver_read_max_bytes: int = DRIVER_READ_MAX_BYTES,
) -> list[AppendResult]:
    """Append every physical line of ``files`` to the bronze table of its feed.

    Grain: one landed line as it arrived (a CSV header is line 1; an unparseable
    line is kept as raw text). Keys: ``source_file, line_number``. Columns: those of
    :func:`goldmine.rules.read_landed` plus ``source_etag`` and ``ingested_at``.
    Partitioned by ``batch_id``. ``uris`` maps a feed to its table location.

    Files of at most ``driver_read_max_bytes`` are read in the driver
    (:func:`read_lines`), larger ones by Spark (:func:`goldmine.rules.read_landed`);
    both give the same rows. Each feed is read and appended on its own.

    Idempotent per batch: batches a table already holds are not appended again
    (an append commits all its batches or none), and each write carries
    ``txnAppId``/``txnVersion`` so that replaying the same append commits nothing.
    The stores list is appended again only when its content (ETag) changed.
    """
    etags, sizes = {}, {}
    for f in files:
        bucket, key = f.uri.removeprefix("s3://").split("/", 1)
        head = s3.head_object(Bucket=bucket, Key=key)
        etags[f.uri] = head["ETag"].strip('"')
        sizes[f.uri] = int(head["ContentLength"])
    stores_uri = uris["stores"]
    if is_table(spark, stores_uri):
        seen = {
            r[0]
            for r in spark.read.format("delta")
            .load(stores_uri)
            .select("source_etag")
            .distinct()
            .collect()
        }
        files = [f for f in files if f.feed != "stores" or etags[f.uri] not in seen]
    results = []
    for feed in sorted({f.feed for f in files}):
        mine = [f for f in files if f.feed == feed]
        app_id = bronze_app_id(
            feed, sorted({f.batch_id for f in mine}), sorted(etags[f.uri] for f in mine)
        )
        landed = _landed_lines(spark, s3, mine, etags, sizes, driver_read_max_bytes)
        rows = append_new_batches(
            spark,
            uris[feed],
            landed,
            app_id=app_id,
            partition_by=("batch_id",),
            batches=sorted({f.batch_id for f in mine}),
        )
        results.append(AppendResult(f"bronze.{feed}", app_id, rows))
    return results


def _landed_lines(
    spark: SparkSession,
    s3: Any,
    files: list[LandedFile],
    etags: dict[str, str],
    sizes: dict[str, int],
    driver_read_max_bytes: int,
) -> DataFrame:
    """Return the lines of ``files`` with ``source_etag`` and ``ingested_at``."""
    from pyspark.sql import functions as F

    small = [f for f in files if sizes[f.uri] <= driver_read_max_bytes]
    large = [f for f in files if sizes[f.uri] > driver_read_max_bytes]
    frames = []
    if small:
        rows = [(*row, etags[row[3]]) for f in small for row in read_lines(s3, f)]
        frames.append(spark.createDataFrame(rows, f"{LANDED_SCHEMA}, source_etag string"))
    if large:
        etag_of = F.create_map(*[F.lit(v) for f in large for v in (f.uri, etags[f.uri])])
        frames.append(
            read_landed(spark, large).withColumn("source_etag", etag_of[F.col("source_file")])
        )
    landed = frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])
    return landed.withColumn("ingested_at", F.current_timestamp())


def read_lines(s3: Any, file: LandedFile) -> list[tuple[Any, ...]]:
    r"""Return the physical lines of one landed file as ``read_landed`` rows.

    Same lines as :func:`goldmine.rules.read_landed` (Hadoop's line reader: ``\n``,
    ``\r\n`` or ``\r`` end a line; no row after a final newline; a leading
    byte-order mark dropped; bytes that are not UTF-8 decoded as U+FFFD), read with
    one GET instead of one Spark job per file.
    """
    bucket, key = file.uri.removeprefix("s3://").split("/", 1)
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    meta = (file.feed, file.batch_id, file.ingest_date, file.uri)
    return [(*meta, number, raw) for number, raw in enumerate(lines, start=1)]
