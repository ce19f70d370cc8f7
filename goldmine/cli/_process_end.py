"""How a ``goldmine`` command's process ends: without waiting for work nobody needs (ADR 0045)."""

from __future__ import annotations

import gc
import sys


def end_process() -> None:
    """Let this process end at once; call it when the command is done and only exiting is left.

    The command's Spark session, if it started one, ends without being waited for
    (:func:`goldmine.spark.end_session`: its JVM stops Spark and exits while Python
    does). Then every object alive is frozen out of the cyclic garbage collector:
    Python's finalization would otherwise run it over the whole heap (0.45 s once
    great-expectations is imported) to free memory the operating system reclaims
    anyway. Finalizers still run for what reference counting frees and for
    ``weakref.finalize`` and ``atexit`` (open files are flushed as before); an object
    held only by a reference cycle is not finalized, as Python never promised at exit.
    """
    if "pyspark" in sys.modules:  # a command without Spark never imports it
        from goldmine.spark import end_session

        end_session()
    gc.freeze()
