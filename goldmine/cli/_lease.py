"""The ``--no-wait`` option and the run lease every writing command holds (ADR 0023)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager
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
