"""The sales source generator: the landing feeds of DATASET.md section 1, with dirt.

Batches are one per business day; ``batch_id`` is the ingest date as ``YYYYMMDD``
(``20250106``). See :func:`generate_sales`.
"""

from goldmine.sales._config import (
    DEFAULT_START_DATE,
    LINES_PER_DAY_AT_SCALE_1,
    DirtRates,
    GeneratorConfig,
)
from goldmine.sales._feeds import CSV_COLUMNS, REASONS, Feed, Reason, csv_header
from goldmine.sales._generate import (
    ProgressCallback,
    batch_id_for,
    fx_first_rate_dates,
    generate_sales,
)
from goldmine.sales._manifest import (
    DIRT_KINDS,
    BadRecord,
    BatchManifest,
    DuplicateRecord,
    FileEntry,
    OutOfOrderRecord,
    manifest_key,
)
from goldmine.sales._sink import DirectorySink, LandingSink, S3Sink

__all__ = [
    "CSV_COLUMNS",
    "DEFAULT_START_DATE",
    "DIRT_KINDS",
    "LINES_PER_DAY_AT_SCALE_1",
    "REASONS",
    "BadRecord",
    "BatchManifest",
    "DirectorySink",
    "DirtRates",
    "DuplicateRecord",
    "Feed",
    "FileEntry",
    "GeneratorConfig",
    "LandingSink",
    "OutOfOrderRecord",
    "ProgressCallback",
    "Reason",
    "S3Sink",
    "batch_id_for",
    "csv_header",
    "fx_first_rate_dates",
    "generate_sales",
    "manifest_key",
]
