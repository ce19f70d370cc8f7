"""Import great-expectations in the background while a build's first steps run."""

from __future__ import annotations

import sys
import threading

from goldmine.validation._import_gx import import_great_expectations

_LOCK = threading.Lock()
_started: list[threading.Thread] = []


def warm_up() -> None:
    """Start importing great-expectations on a daemon thread, once per process.

    Importing it takes 1-3 s on a small machine (it loads pandas and pyspark.ml;
    ``scipy.stats`` is deferred: :func:`import_great_expectations`) and used to happen
    at a build's first report. Begun when the build starts, it overlaps the build's
    first steps, whose driver mostly waits for the JVM. The report's own import then
    finds the module loaded (or waits for it); a failed background import is simply
    tried again there and raises as it would have.
    """
    with _LOCK:
        if "great_expectations" in sys.modules or _started:
            return
        thread = threading.Thread(
            target=import_great_expectations,
            name="goldmine-import-great-expectations",
            daemon=True,
        )
        _started.append(thread)
    thread.start()
