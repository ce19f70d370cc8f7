"""Gold: the analysts' tables, updated incrementally for the keys a batch touched."""

from lakehouse.gold._build_gold import (
    GOLD_PLAN,
    TouchedKeys,
    build_gold,
    gold_frames,
    touched_keys,
)
from lakehouse.gold._read_gold import read_gold

__all__ = ["GOLD_PLAN", "TouchedKeys", "build_gold", "gold_frames", "read_gold", "touched_keys"]
