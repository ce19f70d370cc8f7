"""Storage per build and layer, from the bucket listing the cost estimate measures."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from goldmine.cost import BUCKET_ROLE_ARCHITECTURES, StorageUsage
from goldmine.report._model import BUILDS, LayerStorage

SHARED = "shared"
#: Layers in the order data flows through them; any other layer follows, by name.
FLOW: tuple[str, ...] = (
    "landing", "raw", "curated", "analytics", "bronze", "silver", "gold",
    "catalog", "customer", "sales", "finance",
)  # fmt: skip


def layer_of(role: str, prefix: str) -> str:
    """Name the layer of an object under ``prefix`` of the bucket of ``role``.

    The lake's layers are its zone buckets, the lakehouse's the top-level prefixes of
    its one bucket (``bronze/``, ``silver/``, ``gold/``, ``_system/``), the mesh's its
    domain buckets, and a shared bucket is its own layer.

    Examples
    --------
    >>> layer_of("curated", "orders/"), layer_of("lakehouse", "gold/")
    ('curated', 'gold')
    >>> layer_of("mesh-finance", "revenue/"), layer_of("landing", "sales/")
    ('finance', 'landing')
    """
    if role == "lakehouse":
        return prefix.rstrip("/") or "(root)"
    return role.removeprefix("mesh-")


def storage_by_layer(
    usages: Iterable[StorageUsage], bucket_roles: Mapping[str, str]
) -> dict[str, tuple[LayerStorage, ...]]:
    """Sum ``usages`` per build (and ``shared``) and layer.

    Parameters
    ----------
    usages
        Bytes per bucket and top-level prefix (``goldmine.cost.measure_storage``).
    bucket_roles
        ``{bucket name: role}`` (the inverse of ``settings.buckets.all()``).

    Returns
    -------
    dict
        ``{build or "shared": layers}``, layers in :data:`FLOW` order; every build present.
    """
    sums: dict[str, dict[str, list[int]]] = {b: {} for b in (*BUILDS, SHARED)}
    for use in usages:
        role = bucket_roles.get(use.bucket)
        if role is None:
            continue
        architecture = BUCKET_ROLE_ARCHITECTURES.get(role, SHARED)
        entry = sums.setdefault(architecture, {}).setdefault(layer_of(role, use.prefix), [0, 0])
        entry[0] += use.bytes
        entry[1] += use.objects

    def order(layer: str) -> tuple[int, str]:
        return (FLOW.index(layer) if layer in FLOW else len(FLOW), layer)

    return {
        build: tuple(LayerStorage(layer, *layers[layer]) for layer in sorted(layers, key=order))
        for build, layers in sums.items()
    }
