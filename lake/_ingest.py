"""``ingest``: land -> raw for one or more days, and the raw zone's Glue tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from goldmine.observe import observe_run
from goldmine.tags import tags_for
from lake._catalog import ZONE_DATABASES, register_tables
from lake._observe import summarize_ingest
from lake.raw import IngestResult, ingest_day, list_landed_dates, raw_table_specs

if TYPE_CHECKING:
    from goldmine.platform import Platform

#: ``progress(done, total, result)`` after each batch (``done``/``total`` count days).
IngestProgress = Callable[[int, int, IngestResult], None]


@observe_run("lake", "ingest", summarize_ingest)
def ingest(
    platform: Platform,
    dates: Iterable[dt.date] | None = None,
    *,
    progress: IngestProgress | None = None,
) -> list[IngestResult]:
    """Copy the batches of ``dates`` (default: every landed date) into the raw zone.

    Registers the raw tables in Glue (partition projection: nothing to add per day).

    Parameters
    ----------
    platform
        The environment (``goldmine.platform.connect``).
    dates
        Ingest dates to copy; ``None`` for every date found in the landing bucket.
    progress
        Called after each batch.

    Returns
    -------
    list of IngestResult
        One per batch (its ``<batch_id>``), in date then batch id order.
    """
    settings = platform.settings
    s3 = platform.aws.s3()
    todo = (
        sorted(set(dates)) if dates is not None else list_landed_dates(s3, settings.buckets.landing)
    )
    results = []
    for done, day in enumerate(todo, start=1):
        for result in ingest_day(s3, settings.buckets.landing, settings.buckets.raw, day):
            results.append(result)
            if progress is not None:
                progress(done, len(todo), result)
    register_raw_catalog(platform)
    return results


def register_raw_catalog(platform: Platform) -> list[str]:
    """Register the raw tables (one per feed) in ``settings.database("lake_raw")``."""
    settings = platform.settings
    specs = raw_table_specs(settings.database(ZONE_DATABASES["raw"]), settings.buckets.raw)
    return register_tables(
        platform.aws.client("glue"),
        platform.aws.s3(),
        platform.aws.client("sts"),
        specs,
        tags_for(settings, domain="lake"),
    )
