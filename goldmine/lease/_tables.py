"""The platform's DynamoDB tables: their keys and TTL, for the local endpoint and infra.

One description serves ``goldmine.platform`` (creates them on the local API endpoint) and
``infra/`` (creates them in AWS), so both have the same keys (docs/adr/0023).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from goldmine.settings import Settings


@dataclass(frozen=True)
class DynamoTable:
    """One DynamoDB table: name, string keys, and the TTL attribute (epoch seconds)."""

    role: str
    name: str
    hash_key: str
    range_key: str | None
    ttl_attribute: str | None


def dynamodb_tables(settings: Settings) -> tuple[DynamoTable, ...]:
    """Return the platform's DynamoDB tables.

    ``delta-log``: Delta commit claims (``tablePath``/``fileName``, the layout of Delta's
    S3DynamoDBLogStore, TTL on ``expireTime``). ``leases``: one item per run lease
    (``lease``, e.g. ``lakehouse`` or ``mesh:sales_orders``); leases end by expiry time in
    the item, not by TTL, so that a dead holder's lease stays visible until taken over.
    """
    return (
        DynamoTable("delta-log", settings.delta_log_table, "tablePath", "fileName", "expireTime"),
        DynamoTable("leases", settings.lease_table, "lease", None, None),
    )


def ensure_dynamodb_tables(dynamodb: Any, settings: Settings) -> list[str]:
    """Create the platform's DynamoDB tables that do not exist (on-demand, TTL, tags).

    Used on the local API endpoint; in AWS the infra stack owns them. Returns the names
    of the tables created.
    """
    existing = set(dynamodb.list_tables().get("TableNames", []))
    created = []
    for table in dynamodb_tables(settings):
        if table.name in existing:
            continue
        keys = [(table.hash_key, "HASH")] + (
            [(table.range_key, "RANGE")] if table.range_key else []
        )
        from goldmine.tags import tags_for

        tags = tags_for(settings, domain="platform")
        with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
            dynamodb.create_table(
                TableName=table.name,
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
                KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
                BillingMode="PAY_PER_REQUEST",
                Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
            )
            dynamodb.get_waiter("table_exists").wait(TableName=table.name)
            if table.ttl_attribute:
                dynamodb.update_time_to_live(
                    TableName=table.name,
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": table.ttl_attribute,
                    },
                )
            created.append(table.name)
    return created
