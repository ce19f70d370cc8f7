"""Read a ``pyspark.sql.Observation`` without blocking on one that no action made."""

from __future__ import annotations

import time
from typing import Any

#: How long to wait for an observation after the actions that make it: Spark hands
#: the metrics over on its listener bus, shortly after the action returns.
OBSERVATION_WAIT_S = 5.0


def observed_metrics(observation: Any, wait_s: float = OBSERVATION_WAIT_S) -> dict[str, Any] | None:
    """Return an observation's metrics, or None if no action made them within ``wait_s``.

    ``Observation.get`` blocks until the first action that reads the observed frame
    completes, for ever when none does (a frame that was never read); this waits on
    the observation's future for at most ``wait_s`` seconds instead. An observation
    completed without metrics is None too: Spark 3.5 completes it empty when the
    action that finished did not carry them (seen on a persisted frame whose
    observed rows were all filtered out after the observation).
    """
    deadline = time.monotonic() + wait_s
    while not observation_made(observation) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not observation_made(observation):
        return None
    # ``Observation.get`` iterates the Java map with py4j, whose iterator ends on a Java
    # exception that PySpark's handler converts (ten ``isInstanceOf`` round trips, each
    # naming a class through every JAR); an array of the entries ends by its length.
    entries = observation._jo.getAsJava().entrySet().toArray()
    return {entry.getKey(): entry.getValue() for entry in entries} or None


def observation_made(observation: Any) -> bool:
    """Whether an action has made the observation already (its future completed); no wait."""
    return bool(observation._jo.future().isCompleted())
