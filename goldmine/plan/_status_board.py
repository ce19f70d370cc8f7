"""One status line per piece of work running at once (the demo's builds, mesh publishes)."""

from __future__ import annotations

import threading
from collections.abc import Callable

Say = Callable[[str], None]


class StatusBoard:
    r"""The latest message of each running piece of work, told to ``say`` as one line each.

    Examples
    --------
    >>> shown = []
    >>> board = StatusBoard(shown.append)
    >>> board.teller("lake")("reading"); board.teller("mesh")("building")
    >>> shown[-1]
    'reading\nbuilding'
    >>> board.done("lake"); board.teller("mesh")("writing")
    >>> shown[-1]
    'writing'
    """

    def __init__(self, say: Say) -> None:
        self._say = say
        self._latest: dict[str, str] = {}
        self._lock = threading.Lock()

    def teller(self, name: str) -> Say:
        """Return the ``say`` of one piece of work: its message replaces its line."""

        def tell(message: str) -> None:
            with self._lock:
                self._latest[name] = message
                self._say("\n".join(self._latest.values()))

        return tell

    def done(self, name: str) -> None:
        """Drop the line of a piece of work (it finished, or failed)."""
        with self._lock:
            self._latest.pop(name, None)
