"""Freshness: the newest order date each build's gold ``daily_sales`` holds."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from goldmine.platform import Platform

NEWEST_ORDER_DATE_SQL = "SELECT max(order_date) AS newest FROM daily_sales"


def newest_order_date(platform: Platform, build: str) -> dt.date | None:
    """Return the newest ``order_date`` of ``build``'s ``daily_sales``; ``None`` if not built.

    Answered by the local Athena engine (DuckDB over the gold table, no Spark).
    """
    import pandas as pd

    from goldmine.query import QueryError, run_query

    try:
        frame = run_query(platform, NEWEST_ORDER_DATE_SQL, build, "local").frame
    except QueryError:
        return None
    value = frame.iloc[0, 0] if len(frame) else None
    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).date()
