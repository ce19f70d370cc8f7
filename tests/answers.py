"""Compare query answers across engines and builds: rows as plain comparable values."""

from __future__ import annotations

import decimal
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def normalized(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as comparable Python values: Decimals by value, floats to 9 digits, NaN -> None."""

    def value(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        if isinstance(v, decimal.Decimal):
            return v.normalize()
        if isinstance(v, float):
            return round(v, 9)
        if hasattr(v, "item"):
            return value(v.item())
        if hasattr(v, "date") and callable(v.date) and type(v).__name__ == "Timestamp":
            return v.to_pydatetime()
        return v

    return [tuple(value(v) for v in row) for row in frame.astype(object).itertuples(index=False)]
