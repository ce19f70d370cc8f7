"""The ``--no-wait`` option and the run lease every writing command holds (ADR 0023)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from goldmine.cli._context import get_platform

NoWaitOption = Annotated[
    bool,
    typer.Option(
        "--no-wait",
        help=(
            "When another run holds this run's lease, exit 1 at once with one line saying "
            "what runs, since when and where, instead of waiting for it."
        ),
    ),
]

_err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def run_lease(lease: str, *, no_wait: bool) -> AbstractContextManager[Any]:
    """Return the lease ``lease`` held for a ``with`` block; waiting lines go to stderr."""
    from goldmine.lease import hold_lease

    return hold_lease(
        get_platform().aws,
        lease,
        wait=not no_wait,
        progress=lambda line: _err.print(line, highlight=False, markup=False, soft_wrap=True),
    )


@contextmanager
def run_leases(leases: Iterable[str], *, no_wait: bool) -> Iterator[None]:
    """Hold every one of ``leases`` for a ``with`` block, taken one by one in the given order.

    For a command that writes what several runs write (``goldmine demo``). Every caller
    takes them in the same order (``lake``, ``lakehouse``, then ``mesh:<product>`` in
    publish order) and every other run holds one lease at a time, so no two runs can each
    hold a lease the other waits for.
    """
    with ExitStack() as stack:
        for lease in leases:
            stack.enter_context(run_lease(lease, no_wait=no_wait))
        yield


def holds_lease(lease: str) -> Callable[[F], F]:
    """Decorate a command so that it runs under ``lease``; it must take ``no_wait``.

    Example::

        @app.command("build")
        @holds_lease(LAKE)
        def build_command(..., no_wait: NoWaitOption = False) -> None: ...
    """

    def decorate(command: F) -> F:
        @functools.wraps(command)
        def run(*args: Any, **kwargs: Any) -> Any:
            with run_lease(lease, no_wait=bool(kwargs.get("no_wait"))):
                return command(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate
