"""Leases as a person reads them, for the ``status`` commands."""

from __future__ import annotations

from goldmine.aws import AwsClients
from goldmine.lease._holder import now_s
from goldmine.lease._store import list_leases


def lease_lines(aws: AwsClients, prefix: str = "") -> list[str]:
    """Return one line per lease whose name starts with ``prefix`` (all by default).

    A lease whose holder stopped renewing shows as expired until the next run takes it.
    """
    now = now_s()
    holders = [h for h in list_leases(aws.client("dynamodb"), aws.settings.lease_table)]
    lines = [h.describe(now) for h in holders if h.lease.startswith(prefix)]
    return lines or [f"no run holds a lease{f' on {prefix}*' if prefix else ''}"]
