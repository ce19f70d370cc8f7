"""Who holds a run lease: the DynamoDB item of one lease, and how it reads to a person."""

from __future__ import annotations

import os
import socket
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Holder:
    """The holder of one lease, as stored in its item.

    ``token`` is unique per acquisition: renew and release are conditional on it, so a run
    whose lease expired and was taken over can never extend or drop the new holder's.
    """

    lease: str
    token: str
    host: str
    pid: int
    command: str
    started_at: float
    expires_at: float

    def expired(self, now: float) -> bool:
        """Whether the lease has run out (its holder stopped renewing) at ``now``."""
        return self.expires_at <= now

    def describe(self, now: float) -> str:
        """Return one line: what holds it, since when, where, and when it runs out."""
        left = self.expires_at - now
        ends = f"expires in {left:.0f} s" if left > 0 else f"expired {-left:.0f} s ago"
        return (
            f"`{self.command}` (pid {self.pid} on {self.host}) holds lease {self.lease} "
            f"since {_utc(self.started_at)}, {ends}"
        )

    def to_item(self) -> dict[str, Any]:
        """Return the DynamoDB item (low-level attribute values)."""
        return {
            "lease": {"S": self.lease},
            "token": {"S": self.token},
            "host": {"S": self.host},
            "pid": {"N": str(self.pid)},
            "command": {"S": self.command},
            "startedAt": {"N": f"{self.started_at:.3f}"},
            "expiresAt": {"N": f"{self.expires_at:.3f}"},
        }

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Holder:
        """Read a holder back from its DynamoDB item."""
        return cls(
            lease=item["lease"]["S"],
            token=item["token"]["S"],
            host=item["host"]["S"],
            pid=int(item["pid"]["N"]),
            command=item["command"]["S"],
            started_at=float(item["startedAt"]["N"]),
            expires_at=float(item["expiresAt"]["N"]),
        )


def new_holder(lease: str, *, command: str | None, seconds: float, now: float) -> Holder:
    """Return a holder for this process: host, pid, command line, a fresh token."""
    shown = command or " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    return Holder(
        lease=lease,
        token=uuid.uuid4().hex,
        host=socket.gethostname(),
        pid=os.getpid(),
        command=shown[:200],
        started_at=round(now, 3),
        expires_at=round(now + seconds, 3),
    )


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def now_s() -> float:
    """Return the wall clock in epoch seconds (leases compare times across processes)."""
    return time.time()
