"""Run leases: one run at a time writes an architecture's tables (docs/adr/0023).

Every build, publish and ingest holds a lease on what it writes (``lake``, ``lakehouse``,
``mesh:<product>``): one DynamoDB item, put only when free or expired, renewed while the
run lives and released at its end. The platform's DynamoDB tables are described here too.

Examples
--------
>>> from goldmine.lease import LAKE, LAKEHOUSE, mesh_lease
>>> (LAKE, LAKEHOUSE, mesh_lease("sales_orders"))
('lake', 'lakehouse', 'mesh:sales_orders')
"""

from goldmine.lease._hold_lease import LeaseHeldError, LeaseLostError, hold_lease
from goldmine.lease._holder import Holder
from goldmine.lease._show_leases import lease_lines
from goldmine.lease._store import list_leases, read_lease, release_lease, renew_lease, take_lease
from goldmine.lease._tables import DynamoTable, dynamodb_tables, ensure_dynamodb_tables

#: The lease of the raw lake (ingest and build), and of the Delta lakehouse.
LAKE = "lake"
LAKEHOUSE = "lakehouse"


def mesh_lease(product: str) -> str:
    """Return the lease of one data product's publish (``mesh:<product>``)."""
    return f"mesh:{product}"


__all__ = [
    "LAKE",
    "LAKEHOUSE",
    "DynamoTable",
    "Holder",
    "LeaseHeldError",
    "LeaseLostError",
    "dynamodb_tables",
    "ensure_dynamodb_tables",
    "hold_lease",
    "lease_lines",
    "list_leases",
    "mesh_lease",
    "read_lease",
    "release_lease",
    "renew_lease",
    "take_lease",
]
