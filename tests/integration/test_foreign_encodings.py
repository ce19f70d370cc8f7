"""Issue 20, ADR 0018: a batch with a latin-1 CSV and a binary ``.jsonl`` builds the same
gold and the same quarantine in the lake, the lakehouse and the mesh.

Two generated business days, then a third batch as a foreign source system might send
it: its customers CSV exported in latin-1 (an update that would change a current
segment, and a new customer with accents), its orders file binary bytes (with one valid
order line among them, which would cancel a revenue-counting order), and a good UTF-8
products file (a category change). The rule: the two files that are not UTF-8 text are
quarantined whole, line by line with their bytes, and the products file loads. So gold
is the oracle's recomputation from the good files only, the same in the three builds,
and every build quarantines the same lines for the same reasons and reads every line.

On a platform of its own (project ``encodings``: its own buckets and Glue databases on
the same local services), so the shared week stays as the other tests expect it.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.oracle import expected_from_dir
from tests.three_builds import (
    MESH_FEEDS,
    assert_gold_is_the_oracles,
    build_three_ways,
    json_object,
    quarantines,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

# ``slow``: three whole builds (the mesh publishes all 8 products) on a platform of their
# own took 10 minutes here (2 cores shared, load average 9), far over the ~90 s a test of
# ``make test`` may cost; ``make test-slow`` runs it. The rule itself is proven in ``make
# test`` by tests/unit/test_rules_encoding.py (both read paths) and test_lake.py's corrupt
# batch.
pytestmark = [pytest.mark.integration, pytest.mark.spark, pytest.mark.slow]

DAYS = ("2025-01-06", "2025-01-07", "2025-01-08")
FOREIGN = "20250108"
LATIN_KEY = f"crm/customers/ingest_date={DAYS[2]}/customers-{FOREIGN}.csv"
BINARY_KEY = f"sales/orders/ingest_date={DAYS[2]}/orders-{FOREIGN}.jsonl"
PRODUCTS_KEY = f"catalog/products/ingest_date={DAYS[2]}/products-{FOREIGN}.csv"


def _csv_rows(export: Path, pattern: str) -> list[list[str]]:
    """The header and the well-formed rows of the first generated file of ``pattern``."""
    path = sorted(export.glob(pattern))[0]
    header, *rows = csv.reader(io.StringIO(path.read_text(encoding="utf-8")))
    return [header, *(r for r in rows if len(r) == len(header))]


def _csv_bytes(rows: list[list[str]], encoding: str) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding)


def _foreign_batch(export: Path) -> dict[str, bytes]:
    """The third batch: the two files that are not UTF-8, and a good products file.

    Every change in it would move gold if it loaded, so a build that loaded a line of
    the first two files would disagree with the oracle.
    """
    customers = _csv_rows(export, "crm/customers/*/customers-*.csv")
    header, first = customers[0], customers[1]
    segment = header.index("segment")
    other = next(r[segment] for r in customers[1:] if r[segment] != first[segment])
    updated = header.index("updated_at")
    changed = [*first]
    changed[segment], changed[header.index("city")] = other, "Köln"
    changed[updated] = f"{DAYS[2]}T00:00:00+00:00"
    new = dict(zip(header, changed, strict=True)) | {
        "customer_id": "C09999999", "email": "zoe@example.com",
        "first_name": "Zoë", "last_name": "Müller",
    }  # fmt: skip
    latin = _csv_bytes([header, changed, [new[h] for h in header]], "latin-1")

    orders = sorted(export.glob("sales/orders/*/orders-*.jsonl"))[0].read_text().splitlines()
    records = (json_object(line) for line in orders)
    record = next(r for r in records if r and r.get("status") in ("placed", "shipped"))
    record |= {"status": "cancelled", "updated_at": f"{DAYS[2]}T12:00:00+00:00"}
    rng = random.Random(20)
    noise = [rng.randbytes(200).replace(b"\n", b"").replace(b"\r", b"") for _ in range(6)]
    binary = b"\n".join([*noise[:3], json.dumps(record).encode(), *noise[3:]]) + b"\n"

    products = _csv_rows(export, "catalog/products/*/products-*.csv")
    header, first = products[0], products[1]
    category = header.index("category")
    moved = [*first]
    moved[category] = next(r[category] for r in products[1:] if r[category] != first[category])
    moved[header.index("updated_at")] = f"{DAYS[2]}T00:00:00+00:00"
    return {
        LATIN_KEY: latin,
        BINARY_KEY: binary,
        PRODUCTS_KEY: _csv_bytes([header, moved], "utf-8"),
    }


@pytest.fixture(scope="module")
def foreign(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Land the three batches on the ``encodings`` platform; return it, the oracle's
    expectation (good files only) and the two foreign files' lines."""
    from goldmine.platform import connect
    from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales
    from tests.conftest import make_settings

    isolated = connect(make_settings(platform.settings.data_dir, project="encodings"))
    export = tmp_path_factory.mktemp("encodings") / "export"
    generate_sales(DirectorySink(export), GeneratorConfig(days=2, scale=0.01, seed=5))
    shutil.rmtree(export / "_manifests")
    batch = _foreign_batch(export)
    (export / PRODUCTS_KEY).parent.mkdir(parents=True)
    (export / PRODUCTS_KEY).write_bytes(batch[PRODUCTS_KEY])
    expected = expected_from_dir(export)  # the oracle reads UTF-8 only: the good files
    s3, bucket = isolated.aws.s3(), isolated.settings.buckets.landing
    for path in sorted(p for p in export.rglob("*") if p.is_file()):
        s3.put_object(
            Bucket=bucket, Key=path.relative_to(export).as_posix(), Body=path.read_bytes()
        )
    for key in (LATIN_KEY, BINARY_KEY):
        s3.put_object(Bucket=bucket, Key=key, Body=batch[key])
    return isolated, expected, batch


@pytest.fixture(scope="module")
def built(foreign: Any, spark: SparkSession) -> dict[str, Any]:
    """Build the lake, the lakehouse and every mesh product from the landed batches."""
    isolated, _expected, _batch = foreign
    return build_three_ways(isolated, spark, "enc")


def test_three_builds_give_the_oracles_gold(foreign: Any, built: dict[str, Any]) -> None:
    isolated, expected, _batch = foreign
    assert_gold_is_the_oracles(isolated, expected)


def test_three_builds_quarantine_the_same_lines_and_read_every_line(
    foreign: Any, built: dict[str, Any], spark: SparkSession
) -> None:
    from goldmine.rules import NOT_UTF8_PREFIX, raw_bytes

    isolated, expected, batch = foreign
    by_build = quarantines(spark, isolated, built)
    assert by_build["lake"] == by_build["lakehouse"] == by_build["mesh"]

    # Every line of the two foreign files (a CSV's header is no record), bytes kept.
    quarantine = by_build["lakehouse"]
    foreign_lines = {
        LATIN_KEY: batch[LATIN_KEY].splitlines()[1:],
        BINARY_KEY: batch[BINARY_KEY].splitlines(),
    }
    for key, lines in foreign_lines.items():
        name = key.rsplit("/", 1)[-1]
        mine = sorted((r[2], r[4], r[5]) for r in quarantine if r[1] == name)
        first = 2 if key.endswith(".csv") else 1
        assert [(n, reason) for n, reason, _raw in mine] == [
            (n, "unparseable") for n in range(first, first + len(lines))
        ]
        assert all(raw.startswith(NOT_UTF8_PREFIX) for _n, _r, raw in mine)
        assert [raw_bytes(raw) for _n, _r, raw in mine] == lines

    # The same counts by reason as the oracle's quarantine plus those lines.
    want = Counter(zip(expected.quarantine["feed"], expected.quarantine["reason"], strict=True))
    want[("customers", "unparseable")] += len(foreign_lines[LATIN_KEY])
    want[("orders", "unparseable")] += len(foreign_lines[BINARY_KEY])
    for build, rows in by_build.items():
        got = Counter()
        for r in rows.elements():
            got[(r[0], r[4])] += 1
        assert got == want, build

    # A quarantined line still counts as read: every line of every file, in each build.
    read = int(expected.reconciliation["read"].sum()) + sum(map(len, foreign_lines.values()))
    lake_counts = built["lake"].counts.values()
    mesh_counts = [c for p, r in built["mesh"].items() if p in MESH_FEEDS for c in r.sources.counts]
    assert sum(c.read for c in lake_counts) == read
    assert built["lakehouse"].read == read
    assert sum(c.read for c in mesh_counts) == read
    assert all(c.balanced for c in mesh_counts)
    rejected = sorted(r.split(": ", 1)[0].rsplit("/", 1)[-1] for r in built["lake"].rejected_files)
    assert rejected == [f"customers-{FOREIGN}.csv", f"orders-{FOREIGN}.jsonl"]
