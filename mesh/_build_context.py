"""What a product build receives: Spark, the platform, its input products, its feeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform
    from goldmine.rules import LandedFile


@dataclass
class BuildContext:
    """Inputs of one product build.

    Attributes
    ----------
    spark
        The Spark session.
    platform
        The environment (settings and clients).
    inputs
        Input products read through their published contracts, ``{product id: df}``.
    landed
        The domain's own landed source files, per feed.
    """

    spark: SparkSession
    platform: Platform
    inputs: dict[str, DataFrame] = field(default_factory=dict)
    landed: dict[str, list[LandedFile]] = field(default_factory=dict)

    @property
    def as_of(self) -> dt.date | None:
        """Return the newest ingest date of the landed files (``None`` without feeds)."""
        dates = [f.ingest_date for files in self.landed.values() for f in files if f.ingest_date]
        return max(dates) if dates else None

    def read_feed(self, feed: str) -> DataFrame:
        """Return the landed lines of one of the domain's feeds (``goldmine.rules``)."""
        from goldmine.rules import read_landed

        return read_landed(self.spark, self.landed[feed])


#: A product build: the context in, the product DataFrame (contract columns) out.
Build = Callable[[BuildContext], "DataFrame"]
#: Extra per-call settings a caller may pass to a build (tests, reruns).
BuildOptions = dict[str, Any]
