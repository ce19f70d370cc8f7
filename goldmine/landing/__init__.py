"""The landing area: put a source system's exports where every build reads them.

:func:`land_directory` uploads a directory laid out as DATASET.md section 1 to the
landing bucket, append-only (``goldmine sales land DIR``). The layout is the builds'
own (``goldmine.rules``), so what lands is what they read.
"""

from goldmine.landing._land_directory import (
    NO_BATCH,
    LandedKey,
    LandReport,
    batch_of,
    land_directory,
)

__all__ = ["NO_BATCH", "LandReport", "LandedKey", "batch_of", "land_directory"]
