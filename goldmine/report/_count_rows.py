"""Rows per layer and quarantine by reason of each build, from what the builds keep.

No Spark: the lake's ledgers and Parquet footers (``lake_status``), the lakehouse's
Delta logs (and one column of its quarantine table), the mesh's registry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from goldmine.read_delta import count_values, delta_rows

if TYPE_CHECKING:
    from goldmine.settings import Settings


def lake_rows(status: Any) -> dict[str, int]:
    """Rows per zone of the lake (a ``lake.LakeStatus``)."""
    return {zone.zone: sum(zone.rows.values()) for zone in status.zones}


def lake_quarantine(status: Any) -> dict[str, int]:
    """Quarantined records and items by reason, from the lake's build ledgers."""
    return dict(status.quarantine)


def lakehouse_rows(settings: Settings, storage_options: Mapping[str, str]) -> dict[str, int]:
    """Rows per medallion layer of the lakehouse, from its tables' Delta logs."""
    from lakehouse import LAYERS, layer_tables

    return {
        layer: sum(delta_rows(t.uri(settings), storage_options) for t in layer_tables(layer))
        for layer in LAYERS
    }


def lakehouse_quarantine(settings: Settings, storage_options: Mapping[str, str]) -> dict[str, int]:
    """Rows of the lakehouse's ``silver.quarantine`` table by reason."""
    from lakehouse import table

    return count_values(table("silver.quarantine").uri(settings), "reason", storage_options)


def mesh_publications(entries: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Return the newest publication of each registry entry (``mesh.list_entries``)."""
    return [e["majors"][str(e["latest_major"])] for e in entries if e.get("majors")]


def mesh_rows(publications: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rows published per domain of the mesh, from the registry's publications.

    Examples
    --------
    >>> mesh_rows([{"product": "sales.orders", "rows": 5}, {"product": "sales.x", "rows": 2}])
    {'sales': 7}
    """
    rows: Counter[str] = Counter()
    for pub in publications:
        rows[str(pub["product"]).split(".", 1)[0]] += int(pub.get("rows") or 0)
    return dict(rows)


def mesh_quarantine(publications: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Quarantined records and items by reason over every product built from feeds."""
    reasons: Counter[str] = Counter()
    for pub in publications:
        quarantine = pub.get("quarantine") or {}
        reasons.update({str(k): int(v) for k, v in (quarantine.get("by_reason") or {}).items()})
    return dict(sorted(reasons.items()))
