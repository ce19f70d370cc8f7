"""Hold a run lease for the length of a ``with`` block: take (or wait), renew, release."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from goldmine.lease._holder import Holder, new_holder, now_s
from goldmine.lease._store import release_lease, renew_lease, take_lease

if TYPE_CHECKING:
    from goldmine.aws import AwsClients

#: Leases this thread holds, with how deep the ``with`` blocks nest (a build called from
#: a command that already holds its lease does not wait for itself).
_LOCAL = threading.local()


class LeaseHeldError(RuntimeError):
    """Another run holds the lease and the caller asked not to wait; one line says who."""


class LeaseLostError(RuntimeError):
    """The run's lease expired and was taken over while it ran (it could not renew)."""


def _print_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@contextmanager
def hold_lease(
    aws: AwsClients,
    lease: str,
    *,
    wait: bool = True,
    command: str | None = None,
    progress: Callable[[str], None] | None = _print_stderr,
) -> Iterator[Holder | None]:
    """Hold ``lease`` while the block runs: every build, publish and ingest writes under one.

    The lease is one item of ``settings.lease_table``, put only when it is free or expired.
    A thread renews it every third of ``settings.lease_seconds``; it is released when the
    block ends, also on failure. A holder killed with SIGKILL stops renewing: its lease
    expires and the next run takes it.

    Parameters
    ----------
    aws
        Clients of the environment (DynamoDB).
    lease
        What the run writes: ``lake``, ``lakehouse`` or ``mesh:<product>``.
    wait
        Wait for the holder to finish (printing who holds it at every look), or raise
        :class:`LeaseHeldError` at once.
    command
        How the holder is shown to others; default this process's command line.
    progress
        Where waiting lines go (default stderr); ``None`` for silence.

    Yields
    ------
    Holder or None
        This run's holder; ``None`` when this thread already held ``lease`` (nested).

    Raises
    ------
    LeaseHeldError
        ``wait=False`` and another run holds the lease.
    LeaseLostError
        The block finished but the lease had been taken over meanwhile.
    """
    held: dict[str, int] = _LOCAL.__dict__.setdefault("held", {})
    nested = lease in held
    held[lease] = held.get(lease, 0) + 1
    try:
        if nested:
            yield None
            return
        yield from _held(aws, lease, wait=wait, command=command, progress=progress)
    finally:
        held[lease] -= 1
        if not held[lease]:
            del held[lease]


def _held(
    aws: AwsClients,
    lease: str,
    *,
    wait: bool,
    command: str | None,
    progress: Callable[[str], None] | None,
) -> Iterator[Holder]:
    settings = aws.settings
    dynamodb, table = aws.client("dynamodb"), settings.lease_table
    holder = _take(
        dynamodb,
        table,
        lease,
        seconds=settings.lease_seconds,
        poll=settings.lease_poll_seconds,
        wait=wait,
        command=command,
        progress=progress,
    )
    stop, lost = threading.Event(), threading.Event()
    renewer = threading.Thread(
        target=_renew_until_stopped,
        args=(dynamodb, table, holder, settings.lease_seconds, stop, lost),
        name=f"lease-{lease}",
        daemon=True,
    )
    renewer.start()
    try:
        yield holder
    finally:
        stop.set()
        renewer.join()
        release_lease(dynamodb, table, holder)
    if lost.is_set():
        raise LeaseLostError(
            f"lease {lease} ran out while this run held it (it could not renew for "
            f"{settings.lease_seconds:g} s): another run may have written at the same time"
        )


def _take(
    dynamodb: Any,
    table: str,
    lease: str,
    *,
    seconds: float,
    poll: float,
    wait: bool,
    command: str | None,
    progress: Callable[[str], None] | None,
) -> Holder:
    while True:
        now = now_s()
        mine = new_holder(lease, command=command, seconds=seconds, now=now)
        current = take_lease(dynamodb, table, mine, now=now)
        if current is None:
            return mine
        if not current.token:
            continue  # released between our put and our read: try again at once
        if not wait:
            raise LeaseHeldError(f"{current.describe(now)}; not waiting (--no-wait)")
        if progress is not None:
            progress(f"waiting: {current.describe(now)}")
        time.sleep(poll)


def _renew_until_stopped(
    dynamodb: Any,
    table: str,
    holder: Holder,
    seconds: float,
    stop: threading.Event,
    lost: threading.Event,
) -> None:
    while not stop.wait(seconds / 3):
        try:
            if not renew_lease(dynamodb, table, holder, expires_at=now_s() + seconds):
                lost.set()
                return
        except Exception as exc:
            _print_stderr(f"lease {holder.lease}: renewal failed ({exc}); retrying")
