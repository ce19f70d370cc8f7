"""The embedded ``local`` environment: an on-disk S3 store and a local AWS API endpoint.

Both run on loopback as background processes that the platform starts when they are
not running; their ports and process ids are recorded in ``<data_dir>/services.json``.
A Trino server reading the same catalog and store is started only when asked for
(``ensure_trino``); ``stop_services`` stops it with the others. A fault-injecting proxy
in front of the S3 store (:class:`FaultProxy`) runs only where a test, a benchmark or
``goldmine local faults`` starts it.
"""

from goldmine.local._fault_proxy import FAULT_KINDS, FaultCounts, FaultProxy
from goldmine.local._java import Jdk, JdkNotFoundError, find_jdk
from goldmine.local._services import (
    LocalServiceError,
    ServiceStatus,
    ensure_services,
    service_status,
    stop_services,
)
from goldmine.local._trino import (
    TRINO_CATALOG,
    TRINO_MIN_JAVA,
    TRINO_VERSION,
    ensure_trino,
    trino_home,
    trino_jdk,
)

__all__ = [
    "FAULT_KINDS",
    "TRINO_CATALOG",
    "TRINO_MIN_JAVA",
    "TRINO_VERSION",
    "FaultCounts",
    "FaultProxy",
    "Jdk",
    "JdkNotFoundError",
    "LocalServiceError",
    "ServiceStatus",
    "ensure_services",
    "ensure_trino",
    "find_jdk",
    "service_status",
    "stop_services",
    "trino_home",
    "trino_jdk",
]
