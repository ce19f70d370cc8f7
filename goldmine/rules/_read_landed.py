"""Read landed files line by line with exact physical line numbers; discover landed keys."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import TYPE_CHECKING, Any, cast

from goldmine.rules._model import Feed, LandedFile

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
_LINE_END = re.compile(r"\r\n|\r|\n")


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
    (and every file without ``s3_client``) are read by Spark with
    ``textFile(...).zipWithIndex()`` per file. Both give the same rows: ``line_number``
    is the 1-based physical line of the file (a CSV header is line 1) whatever the
    partitioning; an empty file gives no rows.

    Encoding: files must be UTF-8 (a leading byte-order mark is dropped). Bytes that
    are not UTF-8 are decoded as U+FFFD; the cleaning functions quarantine such a line
    as ``unparseable`` with that raw text, and the other lines of the file go on
    (nothing is silently dropped, the batch is not rejected).

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
        rows = [row for landed in small for row in read_lines(s3_client, landed)]
        frames.append(spark.createDataFrame(rows, LANDED_SCHEMA).coalesce(1))
    if large:
        sc = spark.sparkContext
        rdds = []
        for landed in large:
            meta = (landed.feed, landed.batch_id, landed.ingest_date, landed.uri)
            rdds.append(sc.textFile(landed.uri).zipWithIndex().map(functools.partial(_row, meta)))
        union = rdds[0] if len(rdds) == 1 else sc.union(rdds)
        frames.append(spark.createDataFrame(cast(Any, union), LANDED_SCHEMA))
    if not frames:
        return spark.createDataFrame([], LANDED_SCHEMA)
    return frames[0] if len(frames) == 1 else frames[0].unionByName(frames[1])


def read_lines(s3_client: Any, file: LandedFile) -> list[tuple[Any, ...]]:
    r"""Return the physical lines of one landed file as :func:`read_landed` rows.

    The lines Spark's ``textFile`` gives (Hadoop's line reader: ``\n``, ``\r\n`` or
    ``\r`` end a line; no row after a final newline; a leading byte-order mark
    dropped; bytes that are not UTF-8 decoded as U+FFFD), read with one GET.
    """
    bucket, key = file.uri.removeprefix("s3://").split("/", 1)
    data = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    text = data.decode("utf-8", errors="replace").removeprefix("\ufeff")
    lines = _LINE_END.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    meta = (file.feed, file.batch_id, file.ingest_date, file.uri)
    return [(*meta, number, raw) for number, raw in enumerate(lines, start=1)]


def _size(s3_client: Any, file: LandedFile) -> int:
    if file.size is not None:
        return file.size
    bucket, key = file.uri.removeprefix("s3://").split("/", 1)
    return int(s3_client.head_object(Bucket=bucket, Key=key)["ContentLength"])


def _row(meta: tuple[Any, ...], pair: tuple[str, int]) -> tuple[Any, ...]:
    text, index = pair
    if index == 0 and text.startswith("\ufeff"):
        text = text[1:]
    return (*meta, index + 1, text)
