"""The Glue Data Catalog, kept re-creatable from storage.

Every table the platform registers is written twice: to Glue, and as a JSON
descriptor next to the data (``s3://<bucket>/_catalog/<database>/<table>.json``).
:func:`sync_catalog` re-registers every descriptor, so a catalog that lost its state
(the local API endpoint keeps it in memory) is rebuilt from what is on disk, partitions
of hive-partitioned tables included (found as ``key=value/`` prefixes in storage).
"""

from goldmine.catalog._partitions import register_partitions, stored_partitions
from goldmine.catalog._register import (
    CATALOG_PREFIX,
    TableSpec,
    ensure_database,
    register_table,
    sync_catalog,
)

__all__ = [
    "CATALOG_PREFIX",
    "TableSpec",
    "ensure_database",
    "register_partitions",
    "register_table",
    "stored_partitions",
    "sync_catalog",
]
