"""Leases as a person reads them, for the ``status`` commands."""

from __future__ import annotations

from typing import TYPE_CHECKING

from goldmine.lease._holder import now_s
from goldmine.lease._store import list_leases

if TYPE_CHECKING:
    from goldmine.aws import AwsClients


def lease_lines(aws: AwsClients, lease: str | None = None) -> list[str]:
    """Return one line per lease: ``lease`` and its ``lease:*`` parts, or every lease.

    ``lease_lines(aws, "mesh")`` shows every ``mesh:<product>`` lease; ``"lake"`` shows
    ``lake`` only. A lease whose holder stopped renewing shows as expired until the next
    run takes it.
    """
    now, dynamodb = now_s(), aws.client("dynamodb")
    try:
        holders = list_leases(dynamodb, aws.settings.lease_table)
    except dynamodb.exceptions.ResourceNotFoundException:
        return [f"leases: table {aws.settings.lease_table} does not exist yet"]
    mine = [h for h in holders if lease is None or h.lease.split(":")[0] == lease]
    return [h.describe(now) for h in mine] or [
        f"leases: no run holds {'any lease' if lease is None else f'the {lease} lease'}"
    ]
