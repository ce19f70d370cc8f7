"""Glue partitions of hive-partitioned tables: register them, and find them in storage.

Athena and Trino's Hive connector read only the partitions the catalog lists. Locally
the catalog lives in the API endpoint's memory, so after a restart the partitions are
found again from the ``key=value/`` prefixes in the S3 store (``sync_catalog``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def register_partitions(
    glue: Any, database: str, table_input: dict[str, Any], values: Sequence[Sequence[str]]
) -> int:
    """Add the partitions ``values`` (one value per key, in key order) of a Glue table.

    Each partition's location is ``<table location><k1>=<v1>/<k2>=<v2>/``; partitions
    that exist are left as they are. Returns how many were created.

    Raises
    ------
    RuntimeError
        When Glue refuses a partition for another reason than its existence.
    """
    descriptor = table_input["StorageDescriptor"]
    names = [k["Name"] for k in table_input.get("PartitionKeys", [])]
    root = descriptor["Location"].rstrip("/") + "/"
    created = 0
    for start in range(0, len(values), 100):  # the API takes 100 partitions per call
        chunk = [list(v) for v in values[start : start + 100]]
        inputs = [
            {
                "Values": v,
                "StorageDescriptor": {
                    **descriptor,
                    "Location": root + "".join(f"{n}={x}/" for n, x in zip(names, v, strict=True)),
                },
            }
            for v in chunk
        ]
        response = glue.batch_create_partition(
            DatabaseName=database, TableName=table_input["Name"], PartitionInputList=inputs
        )
        errors = response.get("Errors", [])
        for error in errors:
            if error["ErrorDetail"].get("ErrorCode") != "AlreadyExistsException":
                raise RuntimeError(
                    f"Glue refused partition {error['PartitionValues']} of {database}."
                    f"{table_input['Name']}: {error['ErrorDetail'].get('ErrorMessage')}"
                )
        created += len(chunk) - len(errors)
    return created


def stored_partitions(s3: Any, location: str, keys: Sequence[str]) -> list[list[str]]:
    """Return the partition values found as ``k1=v1/k2=v2/`` prefixes under ``location``."""
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    prefix = prefix.rstrip("/") + "/" if prefix.strip("/") else ""
    found: list[list[str]] = [[]]
    for key in keys:
        deeper = []
        for values in found:
            under = prefix + "".join(f"{k}={v}/" for k, v in zip(keys, values, strict=False))
            for child in _child_prefixes(s3, bucket, under):
                name, sep, value = child[len(under) :].rstrip("/").partition("=")
                if sep and name == key:
                    deeper.append([*values, value])
        found = deeper
    return sorted(found) if keys else []


def _child_prefixes(s3: Any, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix, Delimiter="/"
    )
    return [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]
