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
    rejected
        Spark: the ``quarantined`` output :func:`split` returned, persisted (the build
        computes it when it writes its quarantine; the report reads it back).
        ``None`` for pandas.
    observation
        Spark: the ``pyspark.sql.Observation`` of ``frame``: records judged and
        failures per rule, collected by the first action that reads ``rejected``
        (every record of ``frame`` flows through it before the rejects' filter).
        ``None`` for pandas.
    """

    rules: RuleSet
    frame: Any
    rejected: Any = None
    observation: Any = None


_RECORDING: ContextVar[list[CheckedFrame] | None] = ContextVar(
    "goldmine_validation_recording", default=None
)


@contextmanager
def record_splits() -> Iterator[list[CheckedFrame]]:
    """Collect every frame :func:`split` judges inside the block, in call order.

    The rules stay pure (``split`` keeps its signature and its outputs); a build
    opens this block around its calls of ``goldmine.rules`` and then reports on the
    frames with :func:`report_splits`. Nothing is recorded outside a block. Inside
    it, a Spark split also observes its input (a count per rule, computed by the
    actions that read it anyway) and persists its rejected records, which the build
    computes when it writes them; the report unpersists them (ADR 0014).

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


def recording() -> bool:
    """Whether a :func:`record_splits` block is open."""
    return _RECORDING.get() is not None


def note_split(rules: RuleSet, frame: Any, rejected: Any = None, observation: Any = None) -> None:
    """Record ``frame`` when a :func:`record_splits` block is open (called by ``split``)."""
    recorded = _RECORDING.get()
    if recorded is not None:
        recorded.append(CheckedFrame(rules, frame, rejected, observation))
