"""The encoding rule of a landed file (ADR 0018): UTF-8 text, or every line kept as bytes.

A landed file is read as text only when all its bytes are UTF-8 text: valid UTF-8 and
no NUL byte. A file that is not (a latin-1 or cp1252 export, UTF-16, binary bytes under
a feed's name) is not decoded at all: each of its physical lines keeps its exact bytes,
as base64 after :data:`NOT_UTF8_PREFIX`, so the cleaning rules quarantine every line
as ``unparseable`` and nothing of the file is lost or half-loaded.
"""

from __future__ import annotations

import base64
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import Column

#: ``raw`` of a line of a file that is not UTF-8 text: this prefix, then the line's bytes
#: in base64. It starts with U+FFFD, which no accepted line holds, so the line is
#: ``unparseable`` for every feed (a CSV header so kept makes its file's rows unparseable).
NOT_UTF8_PREFIX = "\ufffdnot-utf8;base64,"
#: The physical line ends of Hadoop's line reader (Spark ``textFile``, ``spark.read.text``).
LINE_END = re.compile(rb"\r\n|\r|\n")
_BOM = "\ufeff"


def check_encoding(body: bytes) -> str | None:
    r"""Return why ``body`` is not UTF-8 text, ``None`` when it is.

    An empty file is UTF-8 text (it holds no records); so is a leading UTF-8
    byte-order mark. NUL bytes are not text (UTF-16 without a byte-order mark, binary).

    Examples
    --------
    >>> check_encoding("a,b\n1,é\n".encode("latin-1"))
    'not UTF-8: byte 0xe9 at offset 6 (latin-1 or cp1252?); re-export the file as UTF-8'
    """
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "not UTF-8: UTF-16 byte-order mark; re-export the file as UTF-8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = body[exc.start : exc.start + 1].hex()
        return (
            f"not UTF-8: byte 0x{bad} at offset {exc.start} (latin-1 or cp1252?); "
            "re-export the file as UTF-8"
        )
    if b"\x00" in body:
        return "not UTF-8 text: NUL bytes (UTF-16 without byte-order mark?)"
    return None


def is_text_column(line: Column) -> Column:
    """Whether one physical line (binary) is UTF-8 text, as a Spark expression.

    Valid UTF-8 (decoding and encoding again gives the same bytes: Java's decoder
    replaces every malformed sequence, surrogates and overlong forms included) and no
    NUL byte. A file is UTF-8 text when all its lines are: line ends are ASCII and never
    part of a multi-byte sequence, so this decides what :func:`check_encoding` decides
    for the whole file.
    """
    from pyspark.sql import functions as F

    round_trip = F.encode(F.decode(line, "UTF-8"), "UTF-8") == line
    return round_trip & ~line.contains(F.lit(bytearray(b"\x00")))


def line_raw(line: bytes, number: int, text: bool) -> str:
    """Return the ``raw`` of one physical line (without its line end).

    ``text``: whether the line's file is UTF-8 text. Then the decoded line (line 1
    without a byte-order mark); else :data:`NOT_UTF8_PREFIX` and the line's bytes in
    base64. A text line that itself begins with the prefix is kept the same way, so a
    ``raw`` with the prefix always holds bytes (:func:`raw_bytes`).
    """
    if text:
        decoded = line.decode("utf-8")
        if number == 1:
            decoded = decoded.removeprefix(_BOM)
        if not decoded.startswith(NOT_UTF8_PREFIX):
            return decoded
        line = decoded.encode("utf-8")
    return NOT_UTF8_PREFIX + base64.b64encode(line).decode("ascii")


def line_raw_column(line: Column, number: Column, text: Column) -> Column:
    """:func:`line_raw` as a Spark expression: ``line`` binary, ``text`` whether its file is."""
    from pyspark.sql import functions as F

    decoded = F.decode(line, "UTF-8")
    decoded = F.when(
        (number == 1) & decoded.startswith(_BOM), decoded.substr(F.lit(2), F.length(decoded))
    ).otherwise(decoded)
    as_bytes = F.when(text, F.encode(decoded, "UTF-8")).otherwise(line)
    # Spark 3.5's base64 breaks its output into MIME lines; its alphabet has no CR or LF.
    kept = F.concat(F.lit(NOT_UTF8_PREFIX), F.translate(F.base64(as_bytes), "\r\n", ""))
    return F.when(text & ~decoded.startswith(NOT_UTF8_PREFIX), decoded).otherwise(kept)


def raw_bytes(raw: str) -> bytes:
    r"""Return the bytes of a line from its ``raw`` (a quarantined record's included).

    Examples
    --------
    >>> raw_bytes(line_raw("Köln".encode("latin-1"), 1, text=False))
    b'K\xf6ln'
    >>> raw_bytes("Köln")
    b'K\xc3\xb6ln'
    """
    if raw.startswith(NOT_UTF8_PREFIX):
        return base64.b64decode(raw.removeprefix(NOT_UTF8_PREFIX), validate=True)
    return raw.encode("utf-8")


def split_lines(body: bytes) -> list[bytes]:
    r"""Return the physical lines of ``body`` as Hadoop's line reader splits them.

    ``\n``, ``\r\n`` or ``\r`` end a line; no line after a final line end.
    """
    lines = LINE_END.split(body)
    if lines and lines[-1] == b"":
        lines.pop()
    return lines
