"""Register the curated and analytics tables in Glue, with their partitions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from goldmine.catalog import TableSpec
from goldmine.tags import tags_for
from lake._catalog import ZONE_DATABASES, add_partitions, register_tables
from lake._tables import LakeTable, athena_columns, partition_values
from lake.analytics.tables import analytics_tables
from lake.curated.tables import curated_tables

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from goldmine.platform import Platform


def lake_table_spec(database: str, table: LakeTable, frame: DataFrame) -> TableSpec:
    """Return the Glue spec of a lake Parquet table from a frame with its columns."""
    skip = (table.partition,) if table.partition else ()
    kind = "string" if table.partition == "batch_id" else "date"
    partition_keys = ((table.partition, kind, "partition"),) if table.partition else ()
    return TableSpec(
        database=database,
        name=table.name,
        location=table.uri,
        columns=athena_columns(frame, skip),
        partition_keys=partition_keys,
        table_format="parquet",
        parameters={"compressionType": "snappy", "parquet.compression": "SNAPPY"},
        description=f"Grain: one row per {table.grain}. Keys: {', '.join(table.keys)}.",
    )


#: Curated dimensions analysts join gold with. Each build catalogues the newest snapshot
#: in the analytics database too: a Glue table whose location is that snapshot's prefix
#: (no copy; moving the location is atomic for readers).
ANALYTICS_DIMENSIONS = ("products", "stores")


def dimension_spec(database: str, table: LakeTable, snapshot: str, frame: DataFrame) -> TableSpec:
    """Return the Glue spec of the ``snapshot`` of a curated dimension, unpartitioned."""
    return TableSpec(
        database=database,
        name=table.name,
        location=f"{table.uri}{table.partition}={snapshot}/",
        columns=athena_columns(frame, (table.partition,) if table.partition else ()),
        table_format="parquet",
        parameters={"compressionType": "snappy", "snapshot": snapshot},
        description=f"Current snapshot ({snapshot}) of curated {table.name}: one row per "
        f"{table.grain}. Keys: {', '.join(table.keys)}.",
    )


def register_lake_catalog(
    platform: Platform, frames: Mapping[str, DataFrame], touched: Mapping[str, set[str]]
) -> list[str]:
    """Register every curated and analytics table of ``frames`` and sync its partitions.

    Partitions in storage are added (existing ones are kept); touched partitions that
    no longer exist in storage are removed from Glue.
    """
    settings = platform.settings
    s3, glue = platform.aws.s3(), platform.aws.client("glue")
    zones = (
        (settings.database(ZONE_DATABASES["curated"]), curated_tables(settings.buckets.curated)),
        (
            settings.database(ZONE_DATABASES["analytics"]),
            analytics_tables(settings.buckets.analytics),
        ),
    )
    specs: list[tuple[TableSpec, LakeTable]] = [
        (lake_table_spec(database, table, frames[name]), table)
        for database, tables in zones
        for name, table in tables.items()
        if name in frames
    ]
    dimensions = _dimension_specs(platform, frames)
    names = register_tables(
        glue,
        s3,
        platform.aws.client("sts"),
        [*(s for s, _ in specs), *dimensions],
        tags_for(settings, domain="lake"),
    )
    for spec, table in specs:
        if table.partition is None:
            continue
        present = partition_values(s3, table)
        add_partitions(glue, spec, [[v] for v in present])
        gone = sorted(set(touched.get(table.name, ())) - set(present))
        for start in range(0, len(gone), 25):
            glue.batch_delete_partition(
                DatabaseName=spec.database,
                TableName=spec.name,
                PartitionsToDelete=[{"Values": [v]} for v in gone[start : start + 25]],
            )
    return names


def _dimension_specs(platform: Platform, frames: Mapping[str, DataFrame]) -> list[TableSpec]:
    """Return the analytics-database specs of the dimensions built in ``frames``."""
    settings, s3 = platform.settings, platform.aws.s3()
    database = settings.database(ZONE_DATABASES["analytics"])
    curated = curated_tables(settings.buckets.curated)
    specs = []
    for name in ANALYTICS_DIMENSIONS:
        snapshots = partition_values(s3, curated[name]) if name in frames else []
        if snapshots:
            specs.append(dimension_spec(database, curated[name], snapshots[-1], frames[name]))
    return specs
