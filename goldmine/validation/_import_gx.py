"""Import great-expectations without running the statistics library it never uses here."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
from types import ModuleType

#: Modules great-expectations imports when it is imported, for expectations and metrics
#: the platform's rule sets never run (KL divergence, Kolmogorov-Smirnov tests): about
#: a third of its import's CPU (``python -X importtime``: 0.6-0.7 s of 1.9 s).
DEFERRED = ("scipy.stats",)
_LOCK = threading.Lock()


def import_great_expectations() -> ModuleType:
    """Import great-expectations (once per process) and return it.

    Each module of :data:`DEFERRED` not imported yet is first registered as a lazy
    module (the standard library's ``importlib.util.LazyLoader``): great-expectations'
    ``from scipy import stats`` binds it without running it, and its code runs at its
    first attribute access, so an expectation that uses it works as before. (On Python
    3.11 that first access is not safe from two threads at once, which the platform's
    rule sets, using none of those expectations, never make.)
    """
    with _LOCK:
        if "great_expectations" not in sys.modules:
            for name in DEFERRED:
                _defer(name)
    return importlib.import_module("great_expectations")


def _defer(name: str) -> None:
    """Register ``name`` as a lazy module, bound on its (imported) parent package."""
    if name in sys.modules:
        return
    parent, _, child = name.rpartition(".")
    spec = importlib.util.find_spec(name)  # imports the parent package (cheap)
    if spec is None or spec.loader is None:
        return
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    # ``from parent import child`` finds the attribute and imports nothing: an import of
    # a module already in ``sys.modules`` reads its ``__spec__``, which would run it.
    setattr(sys.modules[parent], child, module)
