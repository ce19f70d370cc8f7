"""`goldmine sales land` round trip on the local services, then a build of what landed.

A directory exported the way DATASET.md section 1 lays out the landing area (two
generated business days), a stray key and, on a second run, a changed file: the
command lands the layout's files, refuses the others one line each, exits 1, and the
lakehouse built from the landing bucket equals the oracle recomputed from the export.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import CliRunner

from tests.oracle import (
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_KEYS,
    assert_frames_equal,
    expected_from_dir,
)

if TYPE_CHECKING:
    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark]

STRAY = "sales/orders/orders-latest.jsonl"


def _export(root: Path) -> list[str]:
    """Two business days as a source system would export them (no generator manifests)."""
    from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales

    generate_sales(DirectorySink(root), GeneratorConfig(days=2, scale=0.02, seed=5))
    shutil.rmtree(root / "_manifests")
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _land(root: Path) -> Any:
    from goldmine.cli.sales import app

    return CliRunner().invoke(app, ["land", str(root)], terminal_width=200)


def _summary(output: str) -> dict[str, list[str]]:
    rows = [line.split("│") for line in output.splitlines() if line.startswith("│")]
    return {cells[1].strip(): [c.strip() for c in cells[2:5]] for cells in rows}


def test_land_round_trip_then_the_lakehouse_builds_what_landed(
    platform: Platform, spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goldmine.cli import _context
    from goldmine.platform import connect
    from lakehouse import build_lakehouse, read_gold
    from tests.conftest import make_settings

    # A platform of its own (project ``landed``: its own buckets on the same local
    # services), so the shared week's landing bucket stays exactly the week.
    isolated = connect(make_settings(platform.settings.data_dir, project="landed"))
    monkeypatch.setattr(_context._CONTEXT, "platform", isolated)
    export = tmp_path / "export"
    good = _export(export)
    expected = expected_from_dir(export)
    (export / STRAY).write_bytes(b'{"order_id":"X"}\n')

    first = _land(export)
    assert first.exit_code == 1, first.output
    refused = [line for line in first.output.splitlines() if line.startswith("refused ")]
    assert refused == [f"refused {STRAY}: not in the landing layout (DATASET.md section 1)"]
    assert _summary(first.output) == {
        "(not in the layout)": ["0", "0", "1"],
        "20250106": ["4", "0", "0"],
        "20250107": ["4", "0", "0"],
        "stores": ["1", "0", "0"],
    }
    s3, bucket = isolated.aws.s3(), isolated.settings.buckets.landing
    objects = s3.list_objects_v2(Bucket=bucket)["Contents"]
    # (the local store's filesystem backend also lists its folders, as ``catalog/``)
    assert sorted(o["Key"] for o in objects if not o["Key"].endswith("/")) == good

    changed = next(k for k in good if k.startswith("sales/orders/") and "20250107" in k)
    with (export / changed).open("ab") as f:
        f.write(b'{"order_id":"late-fix"}\n')
    second = _land(export)
    assert second.exit_code == 1, second.output
    refused = [line for line in second.output.splitlines() if line.startswith("refused ")]
    assert len(refused) == 2 and refused[0].startswith(f"refused {changed}: differs from")
    assert refused[1].startswith(f"refused {STRAY}: not in the landing layout")
    assert _summary(second.output)["20250107"] == ["0", "3", "1"]
    assert _summary(second.output)["20250106"] == ["0", "4", "0"]

    build_lakehouse(spark, isolated)
    gold = read_gold(isolated)
    assert len(gold["daily_sales"]) > 0
    assert_frames_equal(gold["daily_sales"], expected.daily_sales, DAILY_SALES_KEYS)
    assert_frames_equal(
        gold["customer_lifetime"], expected.customer_lifetime, CUSTOMER_LIFETIME_KEYS
    )
    assert_frames_equal(gold["product_monthly"], expected.product_monthly, PRODUCT_MONTHLY_KEYS)
