"""Curated zone tables: typed, cleaned, deduplicated Parquet (snappy), written by Spark.

- ``order_versions``: one row per accepted order record (every version, D1 duplicates dropped).
  Keys: ``order_id, updated_at``. Partition: ``batch_id``.
- ``orders``: one row per order, its current version (D2 newest ``updated_at`` wins).
  Keys: ``order_id``. Partition: ``order_date`` (D3).
- ``order_lines``: one row per valid line (D6/D7/D10) of an order's current version, exact USD.
  Keys: ``order_id, line_no``. Partition: ``order_date``.
- ``customer_records``: one row per accepted customer record (D11 email cleaned).
  Keys: ``customer_id, updated_at``. Partition: ``batch_id``.
- ``customers``: one row per customer version, SCD2 (D12) + inferred members (D8).
  Keys: ``customer_id, valid_from``. Partition: ``snapshot_date``.
- ``products``: one row per product, current record (all products ever seen, D7).
  Keys: ``product_id``. Partition: ``snapshot_date``.
- ``fx_rates``: one row per rate date x currency (last landed wins).
  Keys: ``rate_date, currency``. Partition: ``snapshot_date``.
- ``stores``: one row per store of the latest stores file.
  Keys: ``store_id``. Partition: ``snapshot_date``.
- ``quarantine``: one row per quarantined record or item, with reason and raw text.
  Keys: ``source_file, line_number, line_no``. Partition: ``batch_id``.
- ``duplicates``: one row per order record dropped as an exact duplicate (D1).
  Keys: ``source_file, line_number``. Partition: ``batch_id``.

``batch_id`` partitions belong to one batch (the ``<batch_id>`` of its file names,
DATASET.md section 1; its rows keep their ``ingest_date`` as a column): a build
replaces the partitions of the batches it builds, so a batch that grew after it was
built is built again whole. ``order_date`` partitions are rewritten when a batch
touches them (late data, updates); a dimension gets a new full snapshot per build,
named after the newest ingest date built (never older than the newest snapshot).
"""

from __future__ import annotations

from lake._tables import LakeTable

_SPECS: tuple[tuple[str, str | None, str, tuple[str, ...]], ...] = (
    ("order_versions", "batch_id", "accepted order record", ("order_id", "updated_at")),
    ("orders", "order_date", "order (current version)", ("order_id",)),
    ("order_lines", "order_date", "valid line of a current order", ("order_id", "line_no")),
    ("customer_records", "batch_id", "accepted customer record", ("customer_id", "updated_at")),
    ("customers", "snapshot_date", "customer version (SCD2)", ("customer_id", "valid_from")),
    ("products", "snapshot_date", "product (current record)", ("product_id",)),
    ("fx_rates", "snapshot_date", "rate date x currency", ("rate_date", "currency")),
    ("stores", "snapshot_date", "store", ("store_id",)),
    (
        "quarantine",
        "batch_id",
        "quarantined record or item",
        ("source_file", "line_number", "line_no"),
    ),
    ("duplicates", "batch_id", "dropped duplicate record", ("source_file", "line_number")),
)


def curated_tables(bucket: str) -> dict[str, LakeTable]:
    """Return the curated tables in ``bucket`` by name."""
    return {name: LakeTable(bucket, name, part, grain, keys) for name, part, grain, keys in _SPECS}
