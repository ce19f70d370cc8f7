"""Read landed files line by line with exact physical line numbers; discover landed keys."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import TYPE_CHECKING, Any

from goldmine.rules._check_encoding import (
    check_encoding,
    is_text_column,
    line_raw,
    line_raw_column,
    split_lines,
)
from goldmine.rules._model import Feed, LandedFile
from goldmine.spark import empty_frame, local_frame, run_concurrently

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Landing layout of DATASET.md section 1: key pattern -> feed.
_LAYOUT: tuple[tuple[re.Pattern[str], Feed], ...] = (
    (
        re.compile(r"^sales/orders/ingest_date=(\d{4}-\d{2}-\d{2})/orders-([^/]+)\.jsonl$"),
        "orders",
    ),
    (
        re.compile(r"^crm/customers/ingest_date=(\d{4}-\d{2}-\d{2})/customers-([^/]+)\.csv$"),
        "customers",
    ),
    (
        re.compile(r"^catalog/products/ingest_date=(\d{4}-\d{2}-\d{2})/products-([^/]+)\.csv$"),
        "products",
    ),
    (
        re.compile(r"^finance/fx_rates/ingest_date=(\d{4}-\d{2}-\d{2})/fx-([^/]+)\.csv$"),
        "fx_rates",
    ),
)
_STORES_KEY = "stores/stores.csv"
_PREFIXES = ("sales/orders/", "crm/customers/", "catalog/products/", "finance/fx_rates/")
#: The folder each feed lands under (lineage names a feed's landed data by it).
LANDING_PREFIXES: dict[str, str] = {
    **{feed: prefix for (_, feed), prefix in zip(_LAYOUT, _PREFIXES, strict=True)},
    "stores": _STORES_KEY.rsplit("/", 1)[0] + "/",
}
#: Batch id given to ``stores/stores.csv`` when no batch is asked for.
STORES_BATCH_ID = "stores"

LANDED_SCHEMA = (
    "feed string, batch_id string, ingest_date date, source_file string, "
    "line_number long, raw string"
)


def list_landed_files(
    s3_client: Any,
    bucket: str,
    *,
    batch_id: str | None = None,
    ingest_date: dt.date | None = None,
) -> list[LandedFile]:
    """List the landed source files of ``bucket`` by the layout of DATASET.md section 1.

    Keys that do not follow the layout (manifests, stray files) are ignored.

    Parameters
    ----------
    s3_client
        A boto3 S3 client (``platform.aws.s3()``).
    bucket
        The landing bucket.
    batch_id
        Only files of this batch (taken from the file name). ``stores/stores.csv``
        has no batch: it is listed for every request and tagged with ``batch_id``
        (or ``"stores"`` when no batch is asked for).
    ingest_date
        Only files of this ``ingest_date=`` partition.

    Returns
    -------
    list of LandedFile
        Sorted by feed, ingest date, key.
    """
    files: list[LandedFile] = []
    paginator = s3_client.get_paginator("list_objects_v2")
    for prefix in (*_PREFIXES, _STORES_KEY):
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                landed = _landed_file(bucket, obj["Key"], batch_id, obj.get("Size"))
                if landed is None:
                    continue
                if batch_id is not None and landed.batch_id != batch_id:
                    continue
                if (
                    ingest_date is not None
                    and landed.ingest_date is not None
                    and landed.ingest_date != ingest_date
                ):
                    continue
                files.append(landed)
    return sorted(files, key=lambda f: (f.feed, f.ingest_date or dt.date.min, f.uri))


def _landed_file(
    bucket: str, key: str, batch_id: str | None, size: int | None = None
) -> LandedFile | None:
    if key == _STORES_KEY:
        return LandedFile(f"s3://{bucket}/{key}", "stores", batch_id or STORES_BATCH_ID, None, size)
    for pattern, feed in _LAYOUT:
        match = pattern.match(key)
        if match:
            day = dt.date.fromisoformat(match.group(1))
            return LandedFile(f"s3://{bucket}/{key}", feed, match.group(2), day, size)
    return None


#: Files up to this size are read with one GET each into the driver (fast for the many
#: small files of a batch: no Spark job per file); larger ones by Spark, so the driver
#: never holds a large file and its memory does not grow with the data.
DRIVER_READ_MAX_BYTES = 8 * 2**20
#: Files the driver reads at once.
DRIVER_READS = 8


def read_landed(
    spark: SparkSession,
    files: list[LandedFile],
    *,
    s3_client: Any = None,
    driver_read_max_bytes: int = DRIVER_READ_MAX_BYTES,
) -> DataFrame:
    """Read landed files as one row per physical line, with exact line numbers.

    With ``s3_client``, files of at most ``driver_read_max_bytes`` are read with one
    GET each in the driver (:func:`read_lines`) and become one small partition: a
    batch's many small files cost no Spark job and no partition each. Larger files
    (and every file without ``s3_client``) are read by Spark as bytes
    (``spark.read.text``), all of them in one lazy plan that counts each split's lines
    and checks their encoding as it numbers them: no Spark job until an action, no
    Python worker. Both give the same rows: ``line_number`` is
    the 1-based physical line of the file (a CSV header is line 1) whatever the
    partitioning; an empty file gives no rows. Each call's frame has a plan of its own:
    two reads of the same files are never taken for one another by Spark's cache.

    Encoding (ADR 0018, :func:`check_encoding`): a file that is UTF-8 text gives its
    lines as text (a leading byte-order mark dropped). A file that is not (latin-1,
    UTF-16, binary) is decided as a whole: each of its lines gives
    ``NOT_UTF8_PREFIX`` + the line's bytes in base64, so the cleaning functions
    quarantine every line of it as ``unparseable`` with its bytes (:func:`raw_bytes`),
    and the other files of the batch go on.

    Parameters
    ----------
    spark
        The session (``goldmine.spark.build_session``).
    files
        The files to read (:func:`list_landed_files`).
    s3_client
        A boto3 S3 client for the driver reads; ``None``: every file through Spark.
    driver_read_max_bytes
        The largest file read in the driver (``LandedFile.size``; asked with a HEAD
        request when unknown).

    Returns
    -------
    DataFrame
        Grain: one row per physical line. Key: ``source_file, line_number``.
        Columns: ``feed string, batch_id string, ingest_date date,
        source_file string, line_number long, raw string``.
    """
    small: list[LandedFile] = []
    large: list[LandedFile] = []
    for landed in files:
        fits = s3_client is not None and _size(s3_client, landed) <= driver_read_max_bytes
        (small if fits else large).append(landed)
    frames = []
    if small:
        # One GET per file, several at once (a batch is many small files).
        reads = run_concurrently(
            {f.uri: functools.partial(read_lines, s3_client, f) for f in small},
            workers=DRIVER_READS,
        )
        rows = [row for lines in reads.values() for row in lines]
        frames.append(local_frame(spark, rows, LANDED_SCHEMA).coalesce(1))
    if large:
        frames.append(_read_by_spark(spark, large))
    if not frames:
        return empty_frame(spark, LANDED_SCHEMA)
    return frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])


def read_lines(s3_client: Any, file: LandedFile) -> list[tuple[Any, ...]]:
    r"""Return the physical lines of one landed file as :func:`read_landed` rows.

    The lines Spark's reader gives (Hadoop's line reader: ``\n``, ``\r\n`` or ``\r``
    end a line; no row after a final line end), ``raw`` by the encoding rule of
    :func:`line_raw`, read with one GET.
    """
    bucket, key = file.uri.removeprefix("s3://").split("/", 1)
    data = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    text = check_encoding(data) is None
    meta = (file.feed, file.batch_id, file.ingest_date, file.uri)
    return [
        (*meta, number, line_raw(line, number, text))
        for number, line in enumerate(split_lines(data), start=1)
    ]


def _size(s3_client: Any, file: LandedFile) -> int:
    if file.size is not None:
        return file.size
    bucket, key = file.uri.removeprefix("s3://").split("/", 1)
    return int(s3_client.head_object(Bucket=bucket, Key=key)["ContentLength"])


def _read_by_spark(spark: SparkSession, files: list[LandedFile]) -> DataFrame:
    """Return the rows of ``files`` read by Spark, numbered, as one plan run in the JVM.

    Spark keeps each line's bytes as read (``value`` cast to binary) with its split
    (``input_file_block_start``) and its place in the read (``monotonically_increasing_id``:
    consecutive within a split, whose lines come in file order). A small aggregate of the
    same read, broadcast, gives each split its line count, its first id and whether its
    lines are UTF-8 text; a split's first line number is one more than the lines of the
    file's earlier splits. Both sides are planned together, so they split the files
    alike whatever the session's settings when the plan runs.
    """
    from functools import reduce

    from pyspark.sql import Window
    from pyspark.sql import functions as F

    lines = reduce(
        lambda a, b: a.unionAll(b),
        [
            spark.read.text(landed.uri).select(
                F.lit(landed.feed).alias("feed"),
                F.lit(landed.batch_id).alias("batch_id"),
                F.lit(landed.ingest_date).cast("date").alias("ingest_date"),
                F.lit(landed.uri).alias("source_file"),
                F.input_file_block_start().alias("start"),
                F.monotonically_increasing_id().alias("row"),
                F.col("value").cast("binary").alias("line"),
            )
            for landed in files
        ],
    )
    counted = lines.groupBy("source_file", "start").agg(
        F.count(F.lit(1)).alias("lines"),
        F.min("row").alias("first_row"),
        F.bool_and(is_text_column(F.col("line"))).alias("split_text"),
    )
    file = Window.partitionBy("source_file")
    splits = counted.select(
        "source_file",
        "start",
        "first_row",
        (F.sum("lines").over(file.orderBy("start")) - F.col("lines") + 1).alias("first_line"),
        F.bool_and("split_text").over(file).alias("text"),
    )
    numbered = lines.join(F.broadcast(splits), ["source_file", "start"]).withColumn(
        "line_number", F.col("first_line") + F.col("row") - F.col("first_row")
    )
    return numbered.select(
        "feed", "batch_id", "ingest_date", "source_file", "line_number",
        line_raw_column(F.col("line"), F.col("line_number"), F.col("text")).alias("raw"),
    )  # fmt: skip
