"""Register lake tables in Glue: tables (with descriptors), cost tags and partitions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from goldmine.catalog import TableSpec, ensure_database, register_table
from goldmine.tags import tag_glue_database, tag_glue_table

#: Glue database name suffix of each zone, for ``settings.database``.
ZONE_DATABASES = {"raw": "lake_raw", "curated": "lake_curated", "analytics": "lake_analytics"}


def register_tables(
    glue: Any, s3: Any, sts: Any, specs: Sequence[TableSpec], tags: Mapping[str, str]
) -> list[str]:
    """Register ``specs`` (Glue + descriptor) and tag their databases and tables.

    Returns
    -------
    list of str
        ``database.table`` of every table registered.
    """
    done = []
    for database in sorted({s.database for s in specs}):
        ensure_database(glue, database, "goldmine raw S3 data lake")
        tag_glue_database(glue, sts, database, tags)
    for spec in specs:
        register_table(glue, s3, spec)
        tag_glue_table(glue, sts, spec.database, spec.name, tags)
        done.append(f"{spec.database}.{spec.name}")
    return done


def add_partitions(glue: Any, spec: TableSpec, values: Iterable[Sequence[str]]) -> int:
    """Add the partitions ``values`` (one tuple per partition, in key order) to Glue.

    Partitions that exist are left as they are. Returns how many were created.
    """
    table = spec.to_table_input()
    descriptor = table["StorageDescriptor"]
    names = [k[0] for k in spec.partition_keys]
    wanted = [list(v) for v in values]
    created = 0
    for start in range(0, len(wanted), 100):  # the API takes 100 partitions per call
        chunk = wanted[start : start + 100]
        inputs = [
            {
                "Values": v,
                "StorageDescriptor": {
                    **descriptor,
                    "Location": spec.location
                    + "/".join(f"{n}={x}" for n, x in zip(names, v, strict=True))
                    + "/",
                },
                "Parameters": {},
            }
            for v in chunk
        ]
        response = glue.batch_create_partition(
            DatabaseName=spec.database, TableName=spec.name, PartitionInputList=inputs
        )
        failed = [
            e
            for e in response.get("Errors", [])
            if e.get("ErrorDetail", {}).get("ErrorCode") != "AlreadyExistsException"
        ]
        if failed:
            detail = failed[0]["ErrorDetail"]
            raise RuntimeError(
                f"Glue refused partition {failed[0]['PartitionValues']} of "
                f"{spec.database}.{spec.name}: {detail.get('ErrorMessage')}"
            )
        created += len(chunk) - len(response.get("Errors", []))
    return created
