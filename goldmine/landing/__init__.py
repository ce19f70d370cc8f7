"""The landing area: put a source system's exports where every build reads them.

:func:`land_directory` uploads a directory laid out as DATASET.md section 1 to the
landing bucket, append-only (``goldmine sales land DIR``). The layout is the builds'
own (``goldmine.rules``), so what lands is what they read. :func:`settle_landing`
says which landed batches a build may take (the settle rule, ADR 0026).
"""

from goldmine.landing._land_directory import (
    NO_BATCH,
    LandedKey,
    LandReport,
    batch_of,
    land_directory,
)
from goldmine.landing._settle import (
    MANIFEST_PREFIX,
    LandedBatch,
    Settlement,
    list_landed_batches,
    settle_landing,
    settled_files,
    settlement,
)

__all__ = [
    "MANIFEST_PREFIX",
    "NO_BATCH",
    "LandReport",
    "LandedBatch",
    "LandedKey",
    "Settlement",
    "batch_of",
    "land_directory",
    "list_landed_batches",
    "settle_landing",
    "settled_files",
    "settlement",
]
