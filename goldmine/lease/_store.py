"""Lease items in DynamoDB: conditional take, renew, release, read and list."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from goldmine.lease._holder import Holder


def take_lease(dynamodb: Any, table: str, holder: Holder, *, now: float) -> Holder | None:
    """Put ``holder``'s item if the lease is free or expired at ``now``; else return the holder.

    Returns ``None`` when taken (the put succeeded), or the current holder when not.
    """
    try:
        dynamodb.put_item(
            TableName=table,
            Item=holder.to_item(),
            ConditionExpression="attribute_not_exists(lease) OR expiresAt <= :now",
            ExpressionAttributeValues={":now": {"N": f"{now:.3f}"}},
        )
        return None
    except dynamodb.exceptions.ConditionalCheckFailedException:
        current = read_lease(dynamodb, table, holder.lease)
        # released between the put and the read: report it as free to be tried again
        return current if current is not None else replace(holder, token="", expires_at=now)


def renew_lease(dynamodb: Any, table: str, holder: Holder, *, expires_at: float) -> bool:
    """Move ``holder``'s expiry to ``expires_at``; ``False`` if the lease is no longer its own."""
    try:
        dynamodb.update_item(
            TableName=table,
            Key={"lease": {"S": holder.lease}},
            UpdateExpression="SET expiresAt = :e",
            ConditionExpression="#t = :t",
            ExpressionAttributeNames={"#t": "token"},
            ExpressionAttributeValues={":e": {"N": f"{expires_at:.3f}"}, ":t": {"S": holder.token}},
        )
        return True
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False


def release_lease(dynamodb: Any, table: str, holder: Holder) -> bool:
    """Delete ``holder``'s item if it still holds it; ``False`` when it had lost it."""
    try:
        dynamodb.delete_item(
            TableName=table,
            Key={"lease": {"S": holder.lease}},
            ConditionExpression="#t = :t",
            ExpressionAttributeNames={"#t": "token"},
            ExpressionAttributeValues={":t": {"S": holder.token}},
        )
        return True
    except dynamodb.exceptions.ConditionalCheckFailedException:
        return False


def read_lease(dynamodb: Any, table: str, lease: str) -> Holder | None:
    """Return the holder of ``lease`` (expired or not), or ``None`` when nobody holds it."""
    item = dynamodb.get_item(TableName=table, Key={"lease": {"S": lease}}, ConsistentRead=True).get(
        "Item"
    )
    return Holder.from_item(item) if item else None


def list_leases(dynamodb: Any, table: str) -> list[Holder]:
    """Return every lease item of ``table`` (held or expired), sorted by lease name."""
    holders: list[Holder] = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        holders.extend(Holder.from_item(item) for item in page.get("Items", []))
    return sorted(holders, key=lambda h: h.lease)
