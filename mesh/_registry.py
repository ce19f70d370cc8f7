"""The registry of published products, kept with the data (STYLE.md: nothing in memory).

One JSON document per product in its domain bucket, ``_registry/<name>.json``: the
newest publication of every major version and the history of publications. Glue holds
the tables (with the contract version and run id as table parameters); together they
answer ``mesh list`` / ``mesh show``.

Beside it, every publish run (published or refused) leaves its quality report under
``_registry/<name>/v<major>/runs/<run_id>/``: ``great_expectations.json`` (the
great-expectations validation result of the suite generated from the contract) and
``run.json`` (the outcome, every check and the quality status), so a product owner
sees why a version was refused.
"""

from __future__ import annotations

import json
from typing import Any

from goldmine.settings import Settings
from mesh._contract import Contract, ContractError, parse_odcs

REGISTRY_PREFIX = "_registry/"


def registry_key(name: str) -> str:
    """Return the registry object key of a product (``_registry/orders.json``)."""
    return f"{REGISTRY_PREFIX}{name}.json"


def runs_prefix(name: str, major: int) -> str:
    """Return the prefix of a major version's publish runs (``_registry/orders/v1/runs/``)."""
    return f"{REGISTRY_PREFIX}{name}/v{major}/runs/"


def run_key(name: str, major: int, run_id: str, file: str) -> str:
    """Return the key of one file of a publish run's report (``run.json``, ...)."""
    return f"{runs_prefix(name, major)}{run_id}/{file}"


def put_json(s3: Any, bucket: str, key: str, document: Any) -> str:
    """Write ``document`` as JSON to ``s3://bucket/key`` and return that URI."""
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(document, indent=2, sort_keys=True, default=str).encode(),
        ContentType="application/json",
    )
    return f"s3://{bucket}/{key}"


def read_entry(s3: Any, settings: Settings, product_id: str) -> dict[str, Any] | None:
    """Return the registry entry of ``domain.name``, ``None`` when never published."""
    domain, _, name = product_id.partition(".")
    try:
        body = s3.get_object(Bucket=settings.buckets.mesh[domain], Key=registry_key(name))["Body"]
    except s3.exceptions.NoSuchKey:
        return None
    entry: dict[str, Any] = json.loads(body.read())
    return entry


def write_entry(s3: Any, settings: Settings, entry: dict[str, Any]) -> None:
    """Write a registry entry (``entry["product"]`` names it)."""
    domain, _, name = str(entry["product"]).partition(".")
    put_json(s3, settings.buckets.mesh[domain], registry_key(name), entry)


def record_publication(
    s3: Any, settings: Settings, product_id: str, publication: dict[str, Any]
) -> dict[str, Any]:
    """Add one publication to the product's entry: newest of its major, and history."""
    entry = read_entry(s3, settings, product_id) or {
        "product": product_id,
        "majors": {},
        "history": [],
    }
    entry["majors"][str(publication["major"])] = publication
    entry["history"].append(
        {k: publication[k] for k in ("version", "major", "delta_version", "run_id", "published_at")}
    )
    entry["latest_major"] = max(int(m) for m in entry["majors"])
    write_entry(s3, settings, entry)
    return entry


def list_entries(s3: Any, settings: Settings) -> list[dict[str, Any]]:
    """Return every registry entry of every mesh domain, sorted by product id."""
    entries = []
    for bucket in settings.buckets.mesh.values():
        try:
            pages = s3.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=REGISTRY_PREFIX
            )
            keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        except s3.exceptions.NoSuchBucket:
            continue
        for key in keys:
            # Entries only: ``_registry/<name>.json``, not the run reports under it.
            if key.endswith(".json") and "/" not in key.removeprefix(REGISTRY_PREFIX):
                entries.append(json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    return sorted(entries, key=lambda e: str(e["product"]))


def publication(entry: dict[str, Any], major: int | None = None) -> dict[str, Any]:
    """Return the newest publication of ``major`` (the latest major by default).

    Raises
    ------
    KeyError
        When that major was never published.
    """
    wanted = str(major if major is not None else entry["latest_major"])
    if wanted not in entry["majors"]:
        raise KeyError(f"{entry['product']} has no published major version {wanted}")
    found: dict[str, Any] = entry["majors"][wanted]
    return found


def published_contract(s3: Any, settings: Settings, product_id: str) -> Contract:
    """Return the contract of the newest publication of ``domain.name`` (its latest major).

    Read leniently (ODCS only), like any contract ``mesh diff`` compares.

    Raises
    ------
    ContractError
        When the product was never published.
    """
    source = f"registry {product_id}"
    if product_id.count(".") != 1 or product_id.partition(".")[0] not in settings.buckets.mesh:
        raise ContractError(source, ["not a product id DOMAIN.PRODUCT of a mesh domain"])
    entry = read_entry(s3, settings, product_id)
    if entry is None:
        raise ContractError(source, ["never published (goldmine mesh publish PRODUCT)"])
    newest = publication(entry)
    return parse_odcs(newest["contract"], f"{source} {newest['version']}")


def quality_line(publication: dict[str, Any]) -> str:
    """Return the quality status of a publication in one line (for ``mesh show``).

    Examples
    --------
    >>> quality_line({"checks": [{"passed": True}], "quality": {"status": "passed"}})
    'passed: 1/1 checks passed'
    """
    checks = publication.get("checks") or []
    quality = publication.get("quality") or {}
    n_ok = sum(bool(c.get("passed")) for c in checks)
    status = quality.get("status") or ("passed" if n_ok == len(checks) else "failed")
    parts = [f"{n_ok}/{len(checks)} checks passed"]
    suite = quality.get("great_expectations") or {}
    if suite:
        met = suite["expectations"] - suite["failed_expectations"]
        parts.append(f"great-expectations {met}/{suite['expectations']} expectations met")
    if quality.get("disagreements"):
        parts.append(f"great-expectations disagrees on {', '.join(quality['disagreements'])}")
    if suite.get("result"):
        parts.append(f"report {suite['result']}")
    return f"{status}: {'; '.join(parts)}"


def quarantine_line(publication: dict[str, Any]) -> str | None:
    """Return what the product's build rejected, in one line (for ``mesh show``).

    ``None`` for a product built only from other products (no quarantine) and for
    publications recorded before quarantines were kept.

    Examples
    --------
    >>> quarantine_line({
    ...     "quarantine": {"records": 3, "items": 2, "location": "s3://b/_quarantine/o/v1/",
    ...                    "by_reason": {"invalid_quantity": 2, "unparseable": 3}},
    ...     "reconciliation": {"balanced": True, "read": 10, "accepted": 6,
    ...                        "quarantined": 3, "duplicates": 1,
    ...                        "batches": [{"batch_id": "20250106"}]},
    ... })  # doctest: +NORMALIZE_WHITESPACE
    'quarantined 3 records, 2 items (invalid_quantity 2, unparseable 3) in
    s3://b/_quarantine/o/v1/; reconciled: read 10 = accepted 6 + quarantined 3 +
    duplicates 1 in 1 batches'
    """
    quarantine = publication.get("quarantine")
    if not quarantine:
        return None
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(quarantine.get("by_reason", {}).items()))
    items = f", {quarantine['items']} items" if quarantine.get("items") else ""
    line = f"quarantined {quarantine['records']} records{items}"
    line += f" ({reasons})" if reasons else ""
    line += f" in {quarantine['location']}"
    recon = publication.get("reconciliation") or {}
    if recon:
        batches = len({b.get("batch_id") for b in recon.get("batches", [])})
        verdict = "reconciled" if recon.get("balanced") else "NOT reconciled"
        line += (
            f"; {verdict}: read {recon['read']} = accepted {recon['accepted']} + "
            f"quarantined {recon['quarantined']} + duplicates {recon['duplicates']} "
            f"in {batches} batches"
        )
    return line
