"""Read the gold tables as pandas without Spark (delta-rs), for comparisons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lakehouse._tables import layer_tables

if TYPE_CHECKING:
    import pandas as pd

    from goldmine.platform import Platform


def read_gold(platform: Platform) -> dict[str, pd.DataFrame]:
    """Return every gold table as a pandas DataFrame, sorted by its keys.

    Read through delta-rs with the platform's storage options, so the lead's
    cross-build comparison needs no Spark session. Money columns are
    :class:`decimal.Decimal`; dates are :class:`datetime.date`.
    """
    from deltalake import DeltaTable

    options = platform.aws.storage_options()
    frames = {}
    for info in layer_tables("gold"):
        frame = DeltaTable(info.uri(platform.settings), storage_options=options).to_pandas()
        frames[info.name] = frame.sort_values(list(info.keys), ignore_index=True)
    return frames
