"""Append landed lines to the bronze tables, once per batch (Delta ``txnAppId``)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.rules import LANDED_SCHEMA, LandedFile
from lakehouse._delta import append_new_batches, is_table

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


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


def append_bronze(
    spark: SparkSession, s3: Any, uris: dict[str, str], files: list[LandedFile]
) -> list[AppendResult]:
    """Append every physical line of ``files`` to the bronze table of its feed.

    Grain: one landed line as it arrived (a CSV header is line 1; an unparseable
    line is kept as raw text). Keys: ``source_file, line_number``. Columns: those of
    :func:`goldmine.rules.read_landed` plus ``source_etag`` and ``ingested_at``.
    Partitioned by ``batch_id``. ``uris`` maps a feed to its table location.

    Idempotent per batch: batches a table already holds are not appended again
    (an append commits all its batches or none), and each write carries
    ``txnAppId``/``txnVersion`` so that replaying the same append commits nothing.
    The stores list is appended again only when its content (ETag) changed.
    """
    from pyspark.sql import functions as F

    etags = {}
    for f in files:
        bucket, key = f.uri.removeprefix("s3://").split("/", 1)
        etags[f.uri] = s3.head_object(Bucket=bucket, Key=key)["ETag"].strip('"')
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
    if not files:
        return []
    landed = spark.createDataFrame(
        [(*row, etags[row[3]]) for f in files for row in read_lines(s3, f)],
        f"{LANDED_SCHEMA}, source_etag string",
    ).withColumn("ingested_at", F.current_timestamp())
    results = []
    for feed in sorted({f.feed for f in files}):
        mine = [f for f in files if f.feed == feed]
        app_id = bronze_app_id(
            feed, sorted({f.batch_id for f in mine}), sorted(etags[f.uri] for f in mine)
        )
        rows = append_new_batches(
            spark,
            uris[feed],
            landed.filter(F.col("feed") == feed),
            app_id=app_id,
            partition_by=("batch_id",),
            batches=sorted({f.batch_id for f in mine}),
        )
        results.append(AppendResult(f"bronze.{feed}", app_id, rows))
    return results


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
