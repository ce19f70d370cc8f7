"""ADR 0018: a landed file that is not UTF-8 text gives every line to quarantine, bytes kept.

The rule sits in ``goldmine.rules.read_landed``; both of its read paths (one GET in the
driver for small files, Spark for large ones: forced with ``driver_read_max_bytes=0``)
must decide the same, line for line. The files are put in the local S3 store under a
prefix outside the landing layout, so no build and no oracle ever lists them.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from goldmine.rules import (
    DRIVER_READ_MAX_BYTES,
    NOT_UTF8_PREFIX,
    LandedFile,
    check_encoding,
    check_reconciliation,
    clean_customers,
    clean_orders,
    count_records,
    raw_bytes,
    read_landed,
    read_lines,
)

pytestmark = pytest.mark.spark

DAY = dt.date(2025, 1, 6)
PREFIX = "_test_rules_encoding"
CUSTOMERS_HEADER = "customer_id,email,first_name,last_name,country,city,segment,updated_at"


def _order(order_id: str, promo: str = "") -> bytes:
    record = {
        "order_id": order_id, "customer_id": "C1", "store_id": "S01",
        "order_ts": "2025-01-06T08:00:00+00:00", "status": "placed", "currency": "USD",
        "updated_at": "2025-01-06T08:00:00+00:00", "promo_code": promo,
        "items": [{"line_no": 1, "product_id": "P1", "quantity": 1, "unit_price": 10.0}],
    }  # fmt: skip
    return json.dumps(record, ensure_ascii=False).encode()


def _binary_lines() -> list[bytes]:
    """Random bytes (no line ends inside), a valid order among them, NULs, an empty line."""
    rng = random.Random(18)
    noise = [rng.randbytes(300).replace(b"\n", b"").replace(b"\r", b"") for _ in range(5)]
    return [noise[0], _order("B1"), noise[1], b"\x00\x00", b"", noise[2], noise[3], noise[4]]


#: Line ends between the binary lines: every kind Hadoop's reader knows (an empty line
#: only after ``\n``, since ``\r`` + ``\n`` is one line end); no final line end.
_ENDS = [b"\r\n", b"\n", b"\r", b"\n", b"\n", b"\r", b"\r\n"]

#: key -> (feed, physical lines as bytes, file bytes)
FILES: dict[str, tuple[str, list[bytes], bytes]] = {}


def _file(key: str, feed: str, lines: list[bytes], body: bytes) -> None:
    FILES[key] = (feed, lines, body)


_good = [_order("G1"), _order("G2", promo="ÉTÉ25"), NOT_UTF8_PREFIX.encode() + b"AAAA"]
_file("orders-good.jsonl", "orders", _good, b"\xef\xbb\xbf" + b"\r\n".join(_good) + b"\r\n")
_latin = [
    CUSTOMERS_HEADER.encode(),
    b"C1,ann@example.com,Ann,Lee,US,Boston,consumer,2025-01-06T00:00:00+00:00",
    "C2,zoe@example.com,Zoë,Müller,DE,Köln,consumer,2025-01-06T00:00:00+00:00".encode("latin-1"),
]
_file("customers-latin.csv", "customers", _latin, b"\n".join(_latin) + b"\n")
_binary = _binary_lines()
_file(
    "orders-binary.jsonl",
    "orders",
    _binary,
    b"".join(line + end for line, end in zip(_binary, [*_ENDS, b""], strict=True)),
)
_utf16 = [line.encode("utf-16-le") for line in ("customer_id,email", "C3,c@x.com")]
_file("customers-utf16.csv", "customers", [b"\xff\xfe" + _utf16[0], b"\x00" + _utf16[1]],
      b"\xff\xfe" + "customer_id,email\nC3,c@x.com".encode("utf-16-le"))  # fmt: skip


@pytest.fixture(scope="module")
def landed_files(platform: Any) -> Iterator[list[LandedFile]]:
    s3, bucket = platform.aws.s3(), platform.settings.buckets.landing
    files = []
    for key, (feed, _lines, body) in FILES.items():
        s3.put_object(Bucket=bucket, Key=f"{PREFIX}/{key}", Body=body)
        uri = f"s3://{bucket}/{PREFIX}/{key}"
        files.append(LandedFile(uri, feed, key.split("-")[1].split(".")[0], DAY, len(body)))
    yield files
    for key in FILES:
        s3.delete_object(Bucket=bucket, Key=f"{PREFIX}/{key}")


def _name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


def test_which_files_are_utf8_text() -> None:
    assert {key: check_encoding(body) for key, (_f, _l, body) in FILES.items()} == {
        "orders-good.jsonl": None,
        "customers-latin.csv": (
            "not UTF-8: byte 0xeb at offset 164 (latin-1 or cp1252?); re-export the file as UTF-8"
        ),
        "orders-binary.jsonl": check_encoding(_binary[0]),
        "customers-utf16.csv": "not UTF-8: UTF-16 byte-order mark; re-export the file as UTF-8",
    }
    assert check_encoding(_binary[0]) is not None
    assert check_encoding(b"a\x00b") == (
        "not UTF-8 text: NUL bytes (UTF-16 without byte-order mark?)"
    )


@pytest.mark.parametrize("max_bytes", [DRIVER_READ_MAX_BYTES, 0], ids=["driver", "spark"])
def test_every_line_of_a_file_not_utf8_is_quarantined_with_its_bytes(
    spark: Any, platform: Any, landed_files: list[LandedFile], max_bytes: int
) -> None:
    landed = read_landed(
        spark, landed_files, s3_client=platform.aws.s3(), driver_read_max_bytes=max_bytes
    )
    raws = {(_name(r.source_file), r.line_number): r.raw for r in landed.collect()}
    # Nothing lost: every physical line, its bytes given back by ``raw_bytes``.
    assert sorted(raws) == sorted(
        (key, n) for key, (_f, lines, _b) in FILES.items() for n in range(1, len(lines) + 1)
    )
    for key, (_feed, lines, _body) in FILES.items():
        for number, line in enumerate(lines, start=1):
            raw = raws[(key, number)]
            assert raw_bytes(raw) == line, (key, number)
            text = key == "orders-good.jsonl" and number < 3
            assert raw.startswith(NOT_UTF8_PREFIX) is not text, (key, number)
    assert raws[("orders-good.jsonl", 2)] == _good[1].decode()  # the UTF-8 "É" stays text

    orders, customers = clean_orders(landed), clean_customers(landed)
    # The valid JSON line of the binary file is not accepted: the file is decided whole.
    assert sorted(r.order_id for r in orders.accepted.collect()) == ["G1", "G2"]
    assert customers.accepted.count() == 0  # the ASCII row of the latin-1 file neither
    quarantined = sorted(
        (_name(r.source_file), r.line_number, r.reason)
        for r in [*orders.quarantine.collect(), *customers.quarantine.collect()]
    )
    assert quarantined == sorted(
        [("orders-good.jsonl", 3, "unparseable")]
        + [("orders-binary.jsonl", n, "unparseable") for n in range(1, len(_binary) + 1)]
        + [("customers-latin.csv", n, "unparseable") for n in (2, 3)]
        + [("customers-utf16.csv", 2, "unparseable")]
    )
    counts = count_records([orders, customers])  # a quarantined line still counts as read
    check_reconciliation(counts)
    assert {(c.feed, c.batch_id): (c.read, c.accepted, c.quarantined) for c in counts} == {
        ("orders", "good"): (3, 2, 1),
        ("orders", "binary"): (len(_binary), 0, len(_binary)),
        ("customers", "latin"): (2, 0, 2),
        ("customers", "utf16"): (1, 0, 1),
    }


def test_the_driver_and_spark_read_paths_agree_split_by_split(
    spark: Any, platform: Any, landed_files: list[LandedFile]
) -> None:
    """Spark reads each file in several splits here (256 bytes each): the line numbers
    and the encoding decision of a file do not depend on how it was split."""
    s3 = platform.aws.s3()
    by_driver = sorted(tuple(row) for f in landed_files for row in read_lines(s3, f))
    key = "spark.sql.files.maxPartitionBytes"
    before = spark.conf.get(key)
    spark.conf.set(key, "256")
    try:
        binary = next(f for f in landed_files if f.batch_id == "binary")
        assert spark.read.text(binary.uri).rdd.getNumPartitions() > 3
        by_spark = sorted(tuple(row) for row in read_landed(spark, landed_files).collect())
    finally:
        spark.conf.set(key, before)
    assert len(by_driver) == sum(len(lines) for _f, lines, _b in FILES.values())
    assert by_spark == by_driver


def test_the_spark_read_runs_nothing_until_an_action_then_one_plan(
    spark: Any, landed_files: list[LandedFile]
) -> None:
    """Spark's read is one lazy plan (the lines and the broadcast count of their splits,
    in the JVM): no Spark job when it is defined (the count ran at once before), and an
    action runs one plan: the splits' count (its shuffles and the broadcast) and the
    action's own stages, as adaptive execution submits them (four jobs for a count)."""
    from goldmine.plan import count_spark_jobs

    with count_spark_jobs(spark, "read_landed") as defined:
        landed = read_landed(spark, landed_files)
        assert defined() == 0
    with count_spark_jobs(spark, "read_landed.count") as action:
        assert landed.count() == sum(len(lines) for _f, lines, _b in FILES.values())
        assert action() == 4
