"""The raw S3 data lake: landing -> raw -> curated -> analytics, catalogued in Glue.

Zones (one bucket and one Glue database each):

- ``raw`` (:mod:`lake.raw`): landed files byte for byte, by feed and ingest date;
- ``curated`` (:mod:`lake.curated`): typed, cleaned, deduplicated Parquet, by order
  date (orders, order lines) and snapshot date (dimensions), plus the quarantine;
- ``analytics`` (:mod:`lake.analytics`): the gold tables of DATASET.md section 4.

The business rules come from :mod:`goldmine.rules`, shared with the other builds.

Examples
--------
>>> from goldmine.platform import connect                       # doctest: +SKIP
>>> platform = connect(load_settings())                         # doctest: +SKIP
>>> ingest(platform)                                            # doctest: +SKIP
>>> build(platform, build_session(platform.aws)).summary()      # doctest: +SKIP
"""

from lake._build import BuildProgress, BuildResult, FeedCounts, build, pending_batches
from lake._errors import LakeError, NothingLandedError, RawConflictError
from lake._ingest import IngestProgress, ingest, register_raw_catalog
from lake._status import LakeStatus, ZoneStatus, lake_status
from lake.raw import IngestResult

__all__ = [
    "BuildProgress",
    "BuildResult",
    "FeedCounts",
    "IngestProgress",
    "IngestResult",
    "LakeError",
    "LakeStatus",
    "NothingLandedError",
    "RawConflictError",
    "ZoneStatus",
    "build",
    "ingest",
    "lake_status",
    "pending_batches",
    "register_raw_catalog",
]
