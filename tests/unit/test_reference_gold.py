"""The DuckDB reference build of gold (benchmarks/reference_gold.py) equals the oracle.

No Spark, no services: the generator writes a source into a temporary directory, the
reference build and the independent oracle (tests/oracle.py) both read it, and the three
gold tables must be equal to the cent, with the oracle's columns and types.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.reference_gold import build_reference_gold
from goldmine.sales import DirectorySink, GeneratorConfig, generate_sales
from tests.oracle import (
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_KEYS,
    expected_from_dir,
)
from tests.oracle_compare import assert_frames_equal

KEYS = {
    "daily_sales": DAILY_SALES_KEYS,
    "customer_lifetime": CUSTOMER_LIFETIME_KEYS,
    "product_monthly": PRODUCT_MONTHLY_KEYS,
}


def _assert_equals_oracle(actual_dir: Path, oracle_dir: Path | None = None) -> None:
    gold = build_reference_gold(actual_dir)
    expected = expected_from_dir(oracle_dir or actual_dir)
    assert set(gold) == set(KEYS)
    for name, keys in KEYS.items():
        want = getattr(expected, name)
        got = gold[name]
        assert list(got.columns) == list(want.columns), name
        if not want.empty:
            assert got.dtypes.astype(str).tolist() == want.dtypes.astype(str).tolist(), name
        assert_frames_equal(got, want, keys)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(GeneratorConfig(days=7, scale=0.05, seed=11), id="test-week"),
        pytest.param(GeneratorConfig(days=2, scale=0.2, seed=3), id="seed3-scale0.2"),
    ],
)
def test_reference_gold_equals_the_oracle(tmp_path: Path, config: GeneratorConfig) -> None:
    generate_sales(DirectorySink(tmp_path), config)
    _assert_equals_oracle(tmp_path)


# --- hand-made corner cases the generator does not produce ---------------------------------

_ORDERS = "sales/orders/ingest_date={day}/orders-{batch}.jsonl"
_CUSTOMERS = "crm/customers/ingest_date={day}/customers-{batch}.csv"
_PRODUCTS = "catalog/products/ingest_date={day}/products-{batch}.csv"
_FX = "finance/fx_rates/ingest_date={day}/fx-{batch}.csv"


def _order(order_id: str, updated_at: object, status: str = "placed", **fields: object) -> str:
    record: dict[str, object] = {
        "order_id": order_id,
        "customer_id": "C1",
        "store_id": "S1",
        "order_ts": "2025-01-06T10:00:00+00:00",
        "status": status,
        "currency": "USD",
        "updated_at": updated_at,
        "items": [{"line_no": 1, "product_id": "P1", "quantity": 1, "unit_price": 10.05}],
    }
    record.update(fields)
    return json.dumps(record)


def _write(root: Path, key: str, text: str | bytes) -> None:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())


def _corner_source(root: Path, *, non_utf8: bool) -> None:
    """A two-batch source with the corner cases; ``non_utf8``: two undecodable lines.

    With ``non_utf8=False`` those two lines are replaced by lines the oracle also
    excludes (invalid JSON, a CSV row with a wrong field count), so that gold is equal.
    """
    day1, day2 = "2025-01-06", "2025-01-07"
    bad_json = b'{"order_id": "X\xff"}' if non_utf8 else b'{"order_id": "X"'
    item = {"line_no": 1, "product_id": "P1", "quantity": 2, "unit_price": 3.35}
    lines = [
        "\ufeff" + _order("O1", "2025-01-06T10:00:00+00:00"),  # BOM, later superseded
        _order("O1", "2025-01-06T10:00:00+00:00"),  # D1 duplicate
        _order("O2", "2025-01-06T11:00:00Z", order_ts=1736157600123),  # D9 epoch millis
        _order("O3", "2025-01-06T12:00:00", order_ts="2025-01-06T23:30:00-02:00"),  # D3
        _order("O4", "2025-01-06T12:00:00+00:00", customer_id=42),  # non-string id
        _order("O5", "2025-01-06T12:00:00+00:00", items={"x": 1}),  # items not a list
        _order("O6", "2025-01-06T12:00:00+00:00", items=None),  # no items: no revenue
        _order("O7", "2025-01-06T12:00:00+00:00", currency="EUR"),  # rate of 01-05
        _order("O8", "2025-01-06T12:00:00+00:00", currency="GBP"),  # no rate at all
        _order("O9", "2025-01-06T12:00:00+00:00", customer_id="C9"),  # D8 inferred
        _order(
            "O10",
            "2025-01-06T12:00:00+00:00",
            items=[
                {**item, "discount": 0.15},
                {**item, "line_no": 2, "quantity": 0},  # D6
                {**item, "line_no": 3, "unit_price": -1},
                {**item, "line_no": 4, "discount": 1.5},
                {**item, "line_no": 5, "product_id": "P404"},  # D7
                {**item, "line_no": 6, "product_id": "P2", "discount": None},
                {**item, "line_no": 7, "quantity": 2.5},
            ],
        ),
        '{"order_id": "O11", "updated_at": "2025-01-06T12:00:00Z", "customer_id": "C1",'
        ' "store_id": "S1", "order_ts": "2025-01-06T12:00:00Z", "items": [],}',  # lenient
        _order("O12", "2025-01-06T12:00:00+00:00", order_ts="epoch"),  # not a timestamp
        _order("O13", "2025-01-06T12:00:00+00:00", store_id=""),  # D5 missing
    ]
    orders1 = "\r\n".join(lines).encode() + b"\n" + bad_json + b"\n"
    _write(root, _ORDERS.format(day=day1, batch="b-1"), orders1)
    lines2 = [
        _order("O1", "2025-01-07T09:00:00+00:00", status="returned"),  # D2 newer
        _order("O2", "2025-01-06T10:00:00+00:00", status="cancelled"),  # D2 older: ignored
        _order("O14", "2025-01-07T09:00:00+00:00", status="delivered", currency="EUR"),
    ]
    _write(root, _ORDERS.format(day=day2, batch="b-2"), "\n".join(lines2) + "\n")
    bad_csv = b"C7,x\xff@example.com,A,B,FR,Paris,consumer,2025-01-01T00:00:00Z\n"
    customers = (
        b"customer_id,email,first_name,last_name,country,city,segment,updated_at,loyalty\n"
        b'C1,a@example.com,"Ann, Jr","B\nC",US,Chicago,consumer,2025-01-01T00:00:00Z,x\n'
        b"C1,a@example.com,Ann,B,US,Chicago,corporate,2024-01-01T00:00:00Z,x\n"
        b"C2,broken,row\n"
    ) + (bad_csv if non_utf8 else b"C7,only,three\n")
    _write(root, _CUSTOMERS.format(day=day1, batch="b-1"), customers)
    products1 = (
        "product_id,sku,name,category,subcategory,list_price,currency,active,updated_at\n"
        "P1,S,N,books,x,1.00,USD,true,2025-01-01T00:00:00Z\n"
        "P2,S,N,toys,x,1.00,USD,true,2025-01-01T00:00:00Z\n"
        "P2,S,N,garden,x,1.00,USD,true,2025-01-01T00:00:00Z\n"  # tie: last landed wins
    )
    _write(root, _PRODUCTS.format(day=day1, batch="b-1"), products1)
    products2 = (
        "product_id,sku,name,category,subcategory,list_price,currency,active,updated_at\n"
        "P1,S,N,music,x,1.00,USD,true,2025-01-01T00:00:00Z\n"  # tie across batches
    )
    _write(root, _PRODUCTS.format(day=day2, batch="b-2"), products2)
    _write(root, _FX.format(day=day1, batch="b-1"), "rate_date,currency,usd_per_unit\n"
           "2025-01-05,EUR,1.100001\n2025-01-07,EUR,1.2\n2025-01-07,EUR,1.25\n")  # fmt: skip


def test_reference_gold_corner_cases_equal_the_oracle(tmp_path: Path) -> None:
    _corner_source(tmp_path, non_utf8=False)
    _assert_equals_oracle(tmp_path)
    gold = build_reference_gold(tmp_path)
    daily = gold["daily_sales"]
    assert set(daily["category"]) == {"music", "garden"}  # ties go to the last landed


def test_reference_gold_excludes_non_utf8_lines(tmp_path: Path) -> None:
    """A line with undecodable bytes is excluded like an unparseable one (D4)."""
    _corner_source(tmp_path / "raw", non_utf8=True)
    _corner_source(tmp_path / "clean", non_utf8=False)
    _assert_equals_oracle(tmp_path / "raw", oracle_dir=tmp_path / "clean")


def test_reference_gold_main_prints_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from benchmarks.reference_gold import main

    _corner_source(tmp_path, non_utf8=False)
    assert main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "daily_sales" in out and "wall time" in out


def test_reference_gold_refuses_numbers_beyond_the_source_precision(tmp_path: Path) -> None:
    """A unit price with 3 decimals cannot be summed exactly in DECIMAL(38,10): raise."""
    items = [{"line_no": 1, "product_id": "P1", "quantity": 1, "unit_price": 10.005}]
    _write(
        tmp_path,
        _ORDERS.format(day="2025-01-06", batch="b"),
        _order("O1", "2025-01-06", items=items),
    )
    _write(tmp_path, _PRODUCTS.format(day="2025-01-06", batch="b"),
           "product_id,category,updated_at\nP1,books,2025-01-01\n")  # fmt: skip
    with pytest.raises(ValueError, match="beyond the source precision"):
        build_reference_gold(tmp_path)
