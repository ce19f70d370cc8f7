"""`goldmine sales land DIR`: the layout's keys land, others and changed files are refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from typer.testing import CliRunner

from goldmine.landing import NO_BATCH, land_directory

ORDERS = "sales/orders/ingest_date=2025-03-03/orders-B-1.jsonl"
CUSTOMERS = "crm/customers/ingest_date=2025-03-03/customers-B-1.csv"
FX = "finance/fx_rates/ingest_date=2025-03-04/fx-B-2.csv"
STORES = "stores/stores.csv"
STRAY = "sales/orders/2025-03-03/orders.jsonl"  # no ingest_date= partition


def _export(root: Path, files: dict[str, bytes]) -> Path:
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    return root


def _good() -> dict[str, bytes]:
    return {
        ORDERS: b'{"order_id":"O1"}\n',
        CUSTOMERS: b"customer_id,email\nC1,a@b.c\n",
        FX: b"rate_date,currency,usd_per_unit\n2025-03-04,EUR,1.08\n",
        STORES: b"store_id,name,channel,region,country,opened_on\n",
    }


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="landing")
        yield client


def _keys(s3: Any) -> set[str]:
    return {o["Key"] for o in s3.list_objects_v2(Bucket="landing").get("Contents", [])}


def test_lands_the_layout_and_refuses_a_stray_key(s3: Any, tmp_path: Path) -> None:
    root = _export(tmp_path, {**_good(), STRAY: b"{}\n"})
    report = land_directory(s3, "landing", root)
    assert [(k.key, k.outcome) for k in report.refused] == [(STRAY, "refused")]
    assert "not in the landing layout" in report.refused[0].reason
    assert _keys(s3) == set(_good())
    assert s3.get_object(Bucket="landing", Key=ORDERS)["Body"].read() == _good()[ORDERS]
    assert {b: dict(c) for b, c in report.by_batch().items()} == {
        NO_BATCH: {"refused": 1},
        "B-1": {"landed": 2},
        "B-2": {"landed": 1},
        "stores": {"landed": 1},
    }


def test_append_only_same_bytes_skip_changed_bytes_refused(s3: Any, tmp_path: Path) -> None:
    root = _export(tmp_path, _good())
    land_directory(s3, "landing", root)
    (root / ORDERS).write_bytes(b'{"order_id":"O2"}\n')  # same size, other bytes
    (root / FX).write_bytes(_good()[FX] + b"2025-03-04,GBP,1.27\n")
    report = land_directory(s3, "landing", root)
    assert sorted((k.key, k.outcome) for k in report.keys) == sorted(
        [(ORDERS, "refused"), (CUSTOMERS, "skipped"), (FX, "refused"), (STORES, "skipped")]
    )
    assert all("append-only" in k.reason for k in report.refused)
    assert s3.get_object(Bucket="landing", Key=ORDERS)["Body"].read() == _good()[ORDERS]


def test_dry_run_uploads_nothing(s3: Any, tmp_path: Path) -> None:
    report = land_directory(s3, "landing", _export(tmp_path, _good()), dry_run=True)
    assert [k.outcome for k in report.keys] == ["landed"] * 4 and _keys(s3) == set()


def test_cli_prints_refusals_and_a_summary_per_batch(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from goldmine.aws import AwsClients
    from goldmine.cli import _context
    from goldmine.cli.sales import app
    from goldmine.platform import Platform
    from goldmine.settings import Endpoints, Settings

    settings = Settings(buckets={"landing": "landing"})
    monkeypatch.setattr(
        _context._CONTEXT, "platform", Platform(settings, AwsClients(settings, Endpoints()))
    )
    root = _export(tmp_path / "export", _good())
    first = CliRunner().invoke(app, ["land", str(root)], terminal_width=200)
    assert first.exit_code == 0, first.output
    assert not [line for line in first.output.splitlines() if line.startswith("refused")]
    _export(root, {STRAY: b"{}\n", ORDERS: b"changed\n"})
    second = CliRunner().invoke(app, ["land", str(root)], terminal_width=200)
    assert second.exit_code == 1, second.output
    refusals = [line for line in second.output.splitlines() if line.startswith("refused ")]
    assert refusals == [
        f"refused {STRAY}: not in the landing layout (DATASET.md section 1)",
        f"refused {ORDERS}: differs from the file landed under this key (18 bytes landed, "
        "8 here): landing is append-only, land a correction as a new batch",
    ]
    rows = {line.split("│")[1].strip(): line for line in second.output.splitlines() if "│" in line}
    assert [c.strip() for c in rows["B-1"].split("│")[2:5]] == ["0", "1", "1"]
    assert [c.strip() for c in rows[NO_BATCH].split("│")[2:5]] == ["0", "0", "1"]
