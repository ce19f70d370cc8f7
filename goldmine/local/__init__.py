"""The embedded ``local`` environment: an on-disk S3 store and a local AWS API endpoint.

Both run on loopback as background processes that the platform starts when they are
not running; their ports and process ids are recorded in ``<data_dir>/services.json``.
"""

from goldmine.local._services import ServiceStatus, ensure_services, service_status, stop_services

__all__ = ["ServiceStatus", "ensure_services", "service_status", "stop_services"]
