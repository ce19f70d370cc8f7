"""Compare a build's table with the oracle's by content (test oracle, part 3).

Rows are matched on their keys; values are compared after normalization of the
representations builds legitimately differ in (numpy/pandas scalars, ``NaN``/``NA``/
``None``, ``Timestamp`` at midnight vs ``date``). Money stays exact: where the expected
value is a :class:`~decimal.Decimal`, the actual value must be a ``Decimal`` or an
integer of equal value; a binary float is reported as a difference, never rounded.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

MAX_SHOWN = 10


def _is_null(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    if isinstance(value, np.datetime64):
        return bool(np.isnat(value))
    return False


def _normal(value: Any) -> Any:
    """Return a plain Python value for comparison (exactness kept)."""
    if _is_null(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime) and value.tzinfo is None and value.time() == dt.time():
        return value.date()
    return value


def _equal(actual: Any, expected: Any) -> bool:
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(expected, Decimal):
        if isinstance(actual, bool) or not isinstance(actual, Decimal | int):
            return False
        return Decimal(actual) == expected
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if isinstance(expected, int) and isinstance(actual, int):
        return expected == actual
    if isinstance(expected, dt.datetime) and isinstance(actual, dt.datetime):
        return expected == actual
    if type(expected) is not type(actual):
        return False
    return bool(expected == actual)


def _show(value: Any) -> str:
    return f"{value!r}"


def _rows(frame: pd.DataFrame, keys: list[str], name: str) -> dict[tuple[Any, ...], dict]:
    rows: dict[tuple[Any, ...], dict] = {}
    duplicated: list[tuple[Any, ...]] = []
    for record in frame.to_dict("records"):
        normal = {column: _normal(value) for column, value in record.items()}
        key = tuple(normal[k] for k in keys)
        if key in rows:
            duplicated.append(key)
        rows[key] = normal
    if duplicated:
        raise AssertionError(
            f"{name} has {len(duplicated)} duplicate key(s) on {keys}, "
            f"first: {duplicated[:MAX_SHOWN]}"
        )
    return rows


def assert_frames_equal(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]) -> None:
    """Assert two tables hold the same rows, matched on ``keys``, value for value.

    Parameters
    ----------
    actual
        The build's table (any column order, any row order).
    expected
        The oracle's table.
    keys
        The grain: columns identifying one row in both.

    Raises
    ------
    AssertionError
        Listing differing columns, then the first 10 missing rows, unexpected rows and
        differing values (key, column, actual, expected).
    """
    problems: list[str] = []
    missing_cols = [c for c in expected.columns if c not in actual.columns]
    extra_cols = [c for c in actual.columns if c not in expected.columns]
    if missing_cols or extra_cols:
        raise AssertionError(
            f"columns differ: missing {missing_cols}, unexpected {extra_cols} "
            f"(actual {list(actual.columns)}, expected {list(expected.columns)})"
        )
    got = _rows(actual[list(expected.columns)], keys, "actual")
    want = _rows(expected, keys, "expected")
    missing = [k for k in want if k not in got]
    unexpected = [k for k in got if k not in want]
    diffs: list[str] = []
    for key, row in want.items():
        if key not in got:
            continue
        for column in expected.columns:
            if column in keys:
                continue
            a, e = got[key][column], row[column]
            if not _equal(a, e):
                diffs.append(
                    f"  {dict(zip(keys, key, strict=True))} {column}: "
                    f"actual {_show(a)} != expected {_show(e)}"
                )
    if missing:
        problems.append(f"{len(missing)} expected row(s) missing from actual, first:")
        problems.extend(f"  {want[k]}" for k in missing[:MAX_SHOWN])
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected row(s) in actual, first:")
        problems.extend(f"  {got[k]}" for k in unexpected[:MAX_SHOWN])
    if diffs:
        problems.append(f"{len(diffs)} differing value(s), first:")
        problems.extend(diffs[:MAX_SHOWN])
    if problems:
        header = f"tables differ ({len(got)} actual rows, {len(want)} expected rows, keys {keys}):"
        raise AssertionError("\n".join([header, *problems]))
