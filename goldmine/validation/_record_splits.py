"""Record the frames :func:`split` judges, so a build can report on them afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from goldmine.validation._rule import RuleSet


@dataclass(frozen=True)
class CheckedFrame:
    """One frame :func:`split` judged inside :func:`record_splits`.

    Attributes
    ----------
    rules
        The declaration it was split by.
    frame
        The DataFrame it was given (lazy; the caller keeps its inputs readable until
        it has reported).
    """

    rules: RuleSet
    frame: Any


_RECORDING: ContextVar[list[CheckedFrame] | None] = ContextVar(
    "goldmine_validation_recording", default=None
)


@contextmanager
def record_splits() -> Iterator[list[CheckedFrame]]:
    """Collect every frame :func:`split` judges inside the block, in call order.

    The rules stay pure (``split`` keeps its signature and its outputs); a build
    opens this block around its calls of ``goldmine.rules`` and then reports on the
    frames with :func:`report_splits`. Nothing is recorded outside a block, and
    recording neither caches nor computes anything.

    Yields
    ------
    list[CheckedFrame]
        Filled while the block runs.

    Examples
    --------
    >>> with record_splits() as checked:
    ...     valid, quarantined = split(df, ITEM_RULES)
    >>> [c.rules.name for c in checked]
    ['order_items']
    """
    recorded: list[CheckedFrame] = []
    token = _RECORDING.set(recorded)
    try:
        yield recorded
    finally:
        _RECORDING.reset(token)


def note_split(rules: RuleSet, frame: Any) -> None:
    """Record ``frame`` when a :func:`record_splits` block is open (called by ``split``)."""
    recorded = _RECORDING.get()
    if recorded is not None:
        recorded.append(CheckedFrame(rules, frame))
