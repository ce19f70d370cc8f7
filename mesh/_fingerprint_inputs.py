"""Fingerprint what a product build reads, so a publish with unchanged inputs commits nothing.

A published version records the fingerprint of its inputs in the registry
(``input_fingerprint`` of the publication). Before building, the publisher computes the
fingerprint of what it would read now and, when it equals the newest publication's of
the same major, skips the build: no Spark job, no Delta commit, no registry change
(ADR 0020).

What a fingerprint covers:

- the contract (its version and a digest of the whole document: a changed rule or
  column rebuilds even without a version bump);
- for a product built from feeds: every landed file of its ``sourceFeeds``, by key,
  size and ETag as the S3 listing gives them (a batch never changes after it lands;
  ``stores/stores.csv`` is replaced in place, so the ETag is what notices it);
- for a product built from products: the publication it reads of each input (product,
  version, major, Delta version, run id).

The build code is not covered: after a change of a build function, publish with
``force`` (``goldmine mesh publish --force``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goldmine.rules import LandedFile
    from mesh._contract import Contract

#: Fields of an input product's publication that identify what a build read of it.
INPUT_FIELDS = ("product", "version", "major", "delta_version", "run_id")


def _digest(document: Any) -> str:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def landed_etags(s3: Any, files: Iterable[LandedFile]) -> dict[str, str]:
    """Return ``{uri: ETag}`` of ``files``, from one S3 listing per bucket and feed prefix.

    The prefix of a feed is the common prefix of its files' keys, so a feed of many
    batches costs one paginated listing, not a HEAD request per file.
    """
    keys: dict[tuple[str, str], list[str]] = {}
    for landed in files:
        bucket, key = landed.uri.removeprefix("s3://").split("/", 1)
        keys.setdefault((bucket, str(landed.feed)), []).append(key)
    etags: dict[str, str] = {}
    for (bucket, _feed), feed_keys in keys.items():
        wanted = set(feed_keys)
        prefix = _common_prefix(feed_keys)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                if obj["Key"] in wanted:
                    etags[f"s3://{bucket}/{obj['Key']}"] = str(obj.get("ETag", "")).strip('"')
    return etags


def _common_prefix(keys: list[str]) -> str:
    """Return the longest common prefix of ``keys``.

    Examples
    --------
    >>> _common_prefix(["sales/orders/ingest_date=2025-01-06/a", "sales/orders/x"])
    'sales/orders/'
    """
    first, last = min(keys), max(keys)
    n = 0
    while n < min(len(first), len(last)) and first[n] == last[n]:
        n += 1
    return first[:n]


def input_fingerprint(
    contract: Contract,
    landed: Mapping[str, list[LandedFile]],
    etags: Mapping[str, str],
    inputs: Iterable[Mapping[str, Any]],
) -> dict[str, Any]:
    """Return the fingerprint of a build's inputs (pure; recorded with the publication).

    Parameters
    ----------
    contract
        The product's contract.
    landed
        The landed files of the contract's ``sourceFeeds``, per feed (empty for a
        product built only from products).
    etags
        ``{uri: ETag}`` of those files (:func:`landed_etags`).
    inputs
        The publications the build reads of its input products (registry records).

    Returns
    -------
    dict
        ``digest`` (sha256 over everything below: equal digests, equal inputs),
        ``contract`` (version and document digest), ``files`` (landed files counted
        per feed) and ``inputs`` (each input's product, version, major, Delta
        version and run id), readable in the registry.

    Examples
    --------
    >>> from mesh import load_product_contract
    >>> c = load_product_contract("finance.revenue")
    >>> pub = {"product": "sales.orders", "version": "1.0.0", "major": 1,
    ...        "delta_version": 3, "run_id": "r1", "location": "s3://x/"}
    >>> a = input_fingerprint(c, {}, {}, [pub])
    >>> a == input_fingerprint(c, {}, {}, [dict(pub, location="s3://elsewhere/")])
    True
    >>> a == input_fingerprint(c, {}, {}, [dict(pub, delta_version=4)])
    False
    """
    files = {
        feed: sorted(
            [f.uri, f.size if f.size is not None else -1, etags.get(f.uri, "")] for f in found
        )
        for feed, found in sorted(landed.items())
    }
    reads = [{k: pub.get(k) for k in INPUT_FIELDS} for pub in inputs]
    document = {
        "contract": {"version": contract.version, "sha256": _digest(contract.raw)},
        "feeds": files,
        "inputs": reads,
    }
    return {
        "digest": _digest(document),
        "contract": document["contract"],
        "files": {feed: len(found) for feed, found in files.items()},
        "inputs": reads,
    }


def unchanged_since(publication: Mapping[str, Any] | None, fingerprint: Mapping[str, Any]) -> bool:
    """Return whether ``publication`` was built from the inputs ``fingerprint`` describes.

    Examples
    --------
    >>> unchanged_since({"input_fingerprint": {"digest": "ab"}}, {"digest": "ab"})
    True
    >>> unchanged_since({"version": "1.0.0"}, {"digest": "ab"})  # recorded before fingerprints
    False
    >>> unchanged_since(None, {"digest": "ab"})
    False
    """
    if not publication:
        return False
    recorded = publication.get("input_fingerprint") or {}
    return bool(recorded.get("digest")) and recorded.get("digest") == fingerprint["digest"]
