"""Names shared by the stacks: one prefix per deployed environment."""

from __future__ import annotations

import re

from goldmine.settings import DOMAINS, Settings

#: Glue databases of the three architectures, as ``settings.database(name)`` keys.
LAKE_DATABASES: tuple[str, ...] = ("lake_raw", "lake_curated", "lake_analytics")
LAKEHOUSE_DATABASES: tuple[str, ...] = ("lakehouse_bronze", "lakehouse_silver", "lakehouse_gold")


def prefix_of(settings: Settings) -> str:
    """Return ``<project>-<environment>``, the prefix of every stack and named resource."""
    return f"{settings.project}-{settings.environment}"


def stack_name(settings: Settings, part: str) -> str:
    """Return the CloudFormation stack name of one part (``goldmine-aws-storage``)."""
    return f"{prefix_of(settings)}-{part}"


def database_keys() -> tuple[str, ...]:
    """Return every Glue database key: lake zones, lakehouse layers, mesh domains."""
    return LAKE_DATABASES + LAKEHOUSE_DATABASES + tuple(f"mesh_{d}" for d in DOMAINS)


def camel(name: str) -> str:
    """Turn ``consumer-sales.orders`` into ``ConsumerSalesOrders`` (a construct id)."""
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-_.]", name))
