"""Append landed lines to the bronze tables, once per batch (the batches present, ADR 0046)."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.rules import DRIVER_READ_MAX_BYTES, DRIVER_READS, LandedFile, read_landed
from goldmine.spark import run_concurrently
from lakehouse._delta import append_new_batches, batches_present, values_present

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import DataFrame, SparkSession

    from goldmine.read_delta import DeltaLogReader


@dataclass(frozen=True)
class AppendResult:
    """What one bronze append did: rows appended (0 when every batch was there)."""

    table: str
    rows: int
    #: The landed lines of the append's files (``read_landed`` columns, all batches).
    landed: DataFrame | None = None
    #: Whether the table held none of the batches before: it now holds ``landed`` whole.
    fresh: bool = False


def append_bronze(
    spark: SparkSession,
    s3: Any,
    uris: dict[str, str],
    files: list[LandedFile],
    *,
    driver_read_max_bytes: int = DRIVER_READ_MAX_BYTES,
    log: DeltaLogReader | None = None,
    keep: bool = False,
) -> list[AppendResult]:
    """Append every physical line of ``files`` to the bronze table of its feed.

    Grain: one landed line as it arrived (a CSV header is line 1; an unparseable
    line is kept as raw text). Keys: ``source_file, line_number``. Columns: those of
    :func:`goldmine.rules.read_landed` plus ``source_etag`` and ``ingested_at``.
    Partitioned by ``batch_id``. ``uris`` maps a feed to its table location.

    Files of at most ``driver_read_max_bytes`` are read in the driver, larger ones by
    Spark (:func:`goldmine.rules.read_landed`); both give the same rows. Each feed is
    read and appended on its own, and the feeds' appends run at once (each commits to
    its own table; a failed one raises once the others ended, their commits kept).

    Idempotent per batch: batches a table already holds are not appended again
    (an append commits all its batches or none: an exact replay check, ADR 0046).
    The stores list is appended again only when its content (ETag) changed. With
    ``log``, what the tables hold (batches, the stores' ETags) is read from their logs
    with delta-rs instead of by Spark jobs (ADR 0041). With ``keep``, a feed whose
    table held none of the batches has its lines kept on local disk by the append's
    own job (``AppendResult.landed`` is then cached, the caller's to release; when an
    append fails, every line kept is released before the error is raised): a later
    reader of the same lines (silver) does not read and number the landed files again.
    """
    heads = run_concurrently(
        {f.uri: functools.partial(_head, s3, f.uri) for f in files}, workers=DRIVER_READS
    )
    etags = {uri: head["ETag"].strip('"') for uri, head in heads.items()}
    sizes = {uri: int(head["ContentLength"]) for uri, head in heads.items()}
    seen = values_present(spark, uris["stores"], "source_etag", log)
    files = [f for f in files if f.feed != "stores" or etags[f.uri] not in seen]
    # One table per feed: the appends are independent and run side by side (ADR 0028).
    appends: dict[str, Callable[[], AppendResult]] = {}
    kept: list[DataFrame] | None = [] if keep else None  # filled by the appends' threads
    for feed in sorted({f.feed for f in files}):
        mine = [f for f in files if f.feed == feed]
        appends[feed] = functools.partial(
            _append_feed, spark, s3, uris[feed], feed, mine, etags, sizes, driver_read_max_bytes,
            log, kept,
        )  # fmt: skip
    try:
        return list(run_concurrently(appends).values())
    except BaseException:  # raised once every append ended: nothing returns their lines
        for frame in kept or ():
            frame.unpersist()
        raise


def _head(s3: Any, uri: str) -> dict[str, Any]:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    head: dict[str, Any] = s3.head_object(Bucket=bucket, Key=key)
    return head


def _append_feed(
    spark: SparkSession,
    s3: Any,
    uri: str,
    feed: str,
    files: list[LandedFile],
    etags: dict[str, str],
    sizes: dict[str, int],
    driver_read_max_bytes: int,
    log: DeltaLogReader | None,
    kept: list[DataFrame] | None,
) -> AppendResult:
    """Append one feed's ``files`` to its table at ``uri`` (nothing when all were there).

    With ``kept``, the lines of a table that held none of the batches are persisted
    (the append writes every one: its job keeps them too) and added to ``kept``.
    """
    from pyspark import StorageLevel

    batches = sorted({f.batch_id for f in files})
    landed = _landed_lines(spark, s3, files, etags, sizes, driver_read_max_bytes)
    present = batches_present(spark, uri, log)
    fresh = not present.intersection(batches)
    if kept is not None and fresh:
        landed = landed.persist(StorageLevel.DISK_ONLY)
        kept.append(landed)
    appended = append_new_batches(
        spark, uri, landed, partition_by=("batch_id",), batches=batches, present=present,
    )  # fmt: skip
    rows = appended["rows"] if appended else 0
    return AppendResult(f"bronze.{feed}", rows, landed, fresh)


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

    sized = [dataclasses.replace(f, size=sizes[f.uri]) for f in files]
    landed = read_landed(spark, sized, s3_client=s3, driver_read_max_bytes=driver_read_max_bytes)
    etag_of = F.create_map(*[F.lit(v) for f in files for v in (f.uri, etags[f.uri])])
    return landed.withColumn("source_etag", etag_of[F.col("source_file")]).withColumn(
        "ingested_at", F.current_timestamp()
    )
