"""The input fingerprint a publication records: what changes it and what does not."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import mesh
from goldmine.rules import LandedFile
from mesh._fingerprint_inputs import input_fingerprint, landed_etags, unchanged_since

BUCKET = "goldmine-local-landing"


def _fx(batch: str, size: int = 120) -> LandedFile:
    day = dt.date(2025, 1, int(batch[-2:]))
    key = f"finance/fx_rates/ingest_date={day}/fx-{batch}.csv"
    return LandedFile(f"s3://{BUCKET}/{key}", "fx_rates", batch, day, size)


WEEK = [_fx("20250106"), _fx("20250107")]
ETAGS = {f.uri: f"etag-{f.batch_id}" for f in WEEK}


def _feed_print(files: list[LandedFile], etags: dict[str, str] = ETAGS) -> str:
    contract = mesh.load_product_contract("finance.fx_rates")
    return str(input_fingerprint(contract, {"fx_rates": files}, etags, [])["digest"])


def test_same_files_in_any_order_give_the_same_fingerprint() -> None:
    assert _feed_print(WEEK) == _feed_print(list(reversed(WEEK)))


def test_a_new_batch_a_resized_or_rewritten_file_change_it() -> None:
    same = _feed_print(WEEK)
    assert _feed_print([*WEEK, _fx("20250108")]) != same
    assert _feed_print([WEEK[0], _fx("20250107", size=121)]) != same
    assert _feed_print(WEEK, {**ETAGS, WEEK[1].uri: "rewritten"}) != same


def test_a_contract_change_changes_it_even_without_a_version_bump() -> None:
    contract = mesh.load_product_contract("finance.fx_rates")
    document = copy.deepcopy(contract.raw)
    document["description"] = {"purpose": "changed wording"}
    changed = mesh.parse_contract(document)
    assert changed.version == contract.version
    before = input_fingerprint(contract, {"fx_rates": WEEK}, ETAGS, [])
    after = input_fingerprint(changed, {"fx_rates": WEEK}, ETAGS, [])
    assert before["digest"] != after["digest"]
    assert before["files"] == {"fx_rates": 2}


def test_products_built_from_products_follow_their_inputs_versions() -> None:
    contract = mesh.load_product_contract("finance.revenue")
    orders = {"product": "sales.orders", "version": "1.0.0", "major": 1, "delta_version": 4,
              "run_id": "r4", "location": "s3://goldmine-local-mesh-sales/orders/v1/",
              "published_at": "2026-12-03T01:00:00+00:00"}  # fmt: skip
    products = {"product": "catalog.products", "version": "1.0.0", "major": 1,
                "delta_version": 2, "run_id": "p2"}  # fmt: skip
    recorded = input_fingerprint(contract, {}, {}, [orders, products])
    assert recorded["inputs"][0] == {
        "product": "sales.orders", "version": "1.0.0", "major": 1, "delta_version": 4,
        "run_id": "r4",
    }  # fmt: skip
    publication = {"input_fingerprint": recorded}
    republished = dict(orders, published_at="2026-12-03T02:00:00+00:00")
    assert unchanged_since(
        publication, input_fingerprint(contract, {}, {}, [republished, products])
    )
    newer = dict(orders, delta_version=5, run_id="r5")
    assert not unchanged_since(publication, input_fingerprint(contract, {}, {}, [newer, products]))


class _Listing:
    """An S3 client that answers ``list_objects_v2`` pages from a key -> ETag map."""

    def __init__(self, objects: dict[str, str]) -> None:
        self.objects = objects
        self.prefixes: list[str] = []

    def get_paginator(self, name: str) -> _Listing:
        assert name == "list_objects_v2"
        return self

    def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:  # noqa: N803
        self.prefixes.append(Prefix)
        found = [
            {"Key": k, "ETag": f'"{e}"'} for k, e in self.objects.items() if k.startswith(Prefix)
        ]
        return [{"Contents": found}]


def test_etags_come_from_one_listing_per_feed() -> None:
    keys = {f.uri.split("/", 3)[3]: f"etag-{f.batch_id}" for f in WEEK}
    stores = LandedFile(f"s3://{BUCKET}/stores/stores.csv", "stores", "stores", None, 80)
    s3 = _Listing({**keys, "stores/stores.csv": "etag-stores", "finance/fx_rates/x.txt": "no"})
    etags = landed_etags(s3, [*WEEK, stores])
    assert etags == {**ETAGS, stores.uri: "etag-stores"}
    assert sorted(s3.prefixes) == ["finance/fx_rates/ingest_date=2025-01-0", "stores/stores.csv"]
