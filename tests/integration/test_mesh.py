"""The mesh on the local services: every product publishes from the landed week.

One module-scoped publication of all eight products is shared by the tests; the
refusal test then tries to publish a broken sales.orders on top of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import mesh
from goldmine.platform import Platform
from goldmine.spark import SessionOnDemand
from tests.moto_iam import denied, enforce, s3_client_for
from tests.oracle import (
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_KEYS,
    expected_from_s3,
)
from tests.oracle_compare import assert_frames_equal

pytestmark = [pytest.mark.integration, pytest.mark.spark]

#: The finance products built only from other domains' products, with their inputs.
BUILT_FROM_PRODUCTS = {
    "finance.revenue": ["sales.orders", "catalog.products"],
    "finance.customer_lifetime": ["sales.orders", "customer.customers"],
    "finance.product_monthly": ["sales.orders"],
}
#: Each of them is one gold table of DATASET section 4: (oracle table, its key).
GOLD_OF = {
    "finance.revenue": ("daily_sales", DAILY_SALES_KEYS),
    "finance.customer_lifetime": ("customer_lifetime", CUSTOMER_LIFETIME_KEYS),
    "finance.product_monthly": ("product_monthly", PRODUCT_MONTHLY_KEYS),
}


@pytest.fixture(scope="module")
def published(mesh_published: dict[str, mesh.PublishResult]) -> dict[str, mesh.PublishResult]:
    """Every product published from the week (the session's publication, conftest)."""
    return mesh_published


def _delta(platform: Platform, location: str) -> Any:
    from deltalake import DeltaTable

    return DeltaTable(location, storage_options=platform.aws.storage_options())


def test_every_product_is_published_and_registered(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    entries = {e["product"]: e for e in mesh.list_entries(platform.aws.s3(), platform.settings)}
    assert sorted(entries) == sorted(mesh.PUBLISH_ORDER)
    glue = platform.aws.client("glue")
    for product_id, result in published.items():
        pub = mesh.publication(entries[product_id], 1)
        assert pub["run_id"] == result.run_id
        assert pub["delta_version"] == result.delta_version
        contract = mesh.load_product_contract(product_id)
        for name in mesh.table_names(contract):
            table = glue.get_table(DatabaseName=pub["database"], Name=name)["Table"]
            assert table["StorageDescriptor"]["Location"] == pub["location"]
    for product_id, inputs in BUILT_FROM_PRODUCTS.items():
        pub = mesh.publication(entries[product_id], 1)
        assert [i["product"] for i in pub["lineage"]["inputs"]] == inputs, product_id
        assert pub["lineage"]["source_feeds"] == {}, product_id


def _read_json(platform: Platform, uri: str) -> Any:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    return json.loads(platform.aws.s3().get_object(Bucket=bucket, Key=key)["Body"].read())


def test_every_publication_records_its_great_expectations_report(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    for product_id, result in published.items():
        entry = mesh.read_entry(platform.aws.s3(), platform.settings, product_id)
        assert entry is not None
        pub = mesh.publication(entry, 1)
        quality = pub["quality"]
        assert result.quality is not None and quality == result.quality.as_dict()
        assert (quality["status"], quality["disagreements"]) == ("passed", []), product_id
        suite = quality["great_expectations"]
        contract = mesh.load_product_contract(product_id)
        assert (suite["success"], suite["failed_expectations"]) == (True, 0), product_id
        assert suite["records"] == pub["rows"]
        bucket = platform.settings.buckets.mesh[contract.domain]
        runs = f"s3://{bucket}/_registry/{contract.name}/v1/runs/{result.run_id}/"
        assert suite["result"] == f"{runs}great_expectations.json"
        saved = _read_json(platform, suite["result"])
        assert saved["success"] is True
        assert len(saved["results"]) == suite["expectations"] > 0
        run = _read_json(platform, quality["run"])
        assert quality["run"] == f"{runs}run.json"
        assert (run["published"], run["delta_version"]) == (True, pub["delta_version"])
        assert mesh.quality_line(pub).startswith("passed: ")


@pytest.mark.parametrize("product_id", sorted(GOLD_OF))
def test_finance_products_equal_the_oracle_gold(
    platform: Platform, published: dict[str, mesh.PublishResult], product_id: str
) -> None:
    """revenue, customer_lifetime, product_monthly: the gold recomputed from the source."""
    table, keys = GOLD_OF[product_id]
    expected = expected_from_s3(platform.aws.s3(), platform.settings.buckets.landing)
    actual = _delta(platform, published[product_id].location).to_pandas()
    assert len(actual) > 0
    assert_frames_equal(actual, getattr(expected, table), keys)


def test_outside_reader_sees_the_contract_schema(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    import pyarrow as pa

    arrow_types = {
        "string": pa.string(), "int": pa.int32(), "bigint": pa.int64(), "date": pa.date32(),
        "timestamp": pa.timestamp("us", tz="UTC"), "boolean": pa.bool_(),
    }  # fmt: skip
    for product_id, result in published.items():
        contract = mesh.load_product_contract(product_id)
        schema = pa.schema(_delta(platform, result.location).schema().to_arrow())
        expected = []
        for column in contract.columns:
            spec = mesh._types.parse_type(column.physical_type)
            arrow = (
                pa.decimal128(spec.precision, spec.scale)
                if spec.base == "decimal"
                else arrow_types[spec.base]
            )
            expected.append((column.name, str(arrow)))
        actual = [(f.name, str(f.type)) for f in schema]
        assert sorted(actual) == sorted(expected), product_id


def test_published_customers_hold_no_raw_pii(
    platform: Platform, published: dict[str, mesh.PublishResult]
) -> None:
    contract = mesh.load_product_contract("customer.customers")
    public = _delta(platform, published["customer.customers"].location).to_pandas()
    private = _delta(platform, mesh.private_location(contract, platform.settings)).to_pandas()
    assert public["email"].dropna().str.fullmatch(r"[0-9a-f]{64}").all()
    assert public["first_name"].dropna().str.fullmatch(r".\*\*\*").all()
    assert private["email"].dropna().str.contains("@").all()
    assert not set(public["email"].dropna()) & set(private["email"].dropna())


def _int(value: Any) -> int | None:
    return None if value is None or value != value else int(value)


#: The feed each product built from the landed feeds cleans.
FEEDS = {
    "catalog.products": "products",
    "catalog.stores": "stores",
    "finance.fx_rates": "fx_rates",
    "customer.customers": "customers",
    "sales.orders": "orders",
}


def _quarantine(platform: Platform, result: mesh.PublishResult, landed_week: list) -> Any:
    """The product's quarantine table at the published version, rows of the week's files."""
    from deltalake import DeltaTable

    assert result.sources is not None and result.sources.delta_version is not None
    table = DeltaTable(
        result.sources.location,
        version=result.sources.delta_version,
        storage_options=platform.aws.storage_options(),
    ).to_pandas()
    prefix = f"s3://{platform.settings.buckets.landing}/"
    week = {f.key for m in landed_week for f in m.files}
    table["key"] = table["source_file"].str.removeprefix(prefix)
    # Other tests may land more batches in the same bucket: keep to the shared week.
    return table[table["key"].isin(week)]


def test_orders_quarantine_holds_exactly_the_weeks_bad_records_and_reconciles(
    platform: Platform, published: dict[str, mesh.PublishResult], landed_week: list
) -> None:
    from goldmine.rules import QUARANTINE_COLUMNS

    result = published["sales.orders"]
    contract = mesh.load_product_contract("sales.orders")
    assert result.sources is not None
    location = mesh.quarantine_location(contract, platform.settings)
    assert location == f"s3://{platform.settings.buckets.mesh['sales']}/_quarantine/orders/v1/"
    assert result.sources.location == location
    quarantine = _quarantine(platform, result, landed_week)
    assert list(quarantine.columns) == [*QUARANTINE_COLUMNS, "key"]

    # Exactly the manifests' bad order records (D4, D5) and items (D6, D7, D10).
    got = sorted(
        (r.key, int(r.line_number), r.order_id, _int(r.line_no), r.reason)
        for r in quarantine.itertuples()
    )
    bad = [b for m in landed_week for b in m.bad_records if b.feed == "orders"]
    assert got == sorted((b.key, b.line, b.order_id, b.line_no, b.reason) for b in bad)
    assert {b.line_no is None for b in bad} == {True, False}  # records and items both
    assert set(quarantine["feed"]) == {"orders"}
    batch_of = {f.key: m.batch_id for m in landed_week for f in m.files}
    assert (quarantine["batch_id"] == quarantine["key"].map(batch_of)).all()
    expected = expected_from_s3(platform.aws.s3(), platform.settings.buckets.landing)
    raw = {(r.key, int(r.line)): r.raw for r in expected.quarantine.itertuples()}
    for row in quarantine.itertuples():
        assert row.raw == raw[(row.key, int(row.line_number))]

    # Reconciliation per batch: read = accepted + quarantined + duplicates.
    entry = mesh.read_entry(platform.aws.s3(), platform.settings, "sales.orders")
    assert entry is not None
    pub = mesh.publication(entry, 1)
    assert pub["quarantine"] == result.sources.as_dict()["quarantine"]
    recon = pub["reconciliation"]
    assert recon["balanced"] is True and recon["unaccounted_feeds"] == []
    by_batch = {b["batch_id"]: b for b in recon["batches"] if b["feed"] == "orders"}
    for m in landed_week:
        counts = by_batch[m.batch_id]
        records = sum(b.feed == "orders" and b.line_no is None for b in m.bad_records)
        assert (counts["read"], counts["quarantined"], counts["duplicates"]) == (
            m.order_lines,
            records,
            m.duplicate_count,
        ), m.batch_id
        assert counts["read"] == counts["accepted"] + records + m.duplicate_count
        assert counts["balanced"] is True
    check = next(c for c in result.check.checks if c.name == "reconciliation")
    assert check.passed and check.kind == "reconciliation"
    assert result.quarantined_records == recon["quarantined"] >= sum(b.line_no is None for b in bad)
    assert result.quarantined_items >= sum(b.line_no is not None for b in bad) > 0
    assert sum(pub["quarantine"]["by_reason"].values()) == (
        result.quarantined_records + result.quarantined_items
    )
    run = _read_json(platform, pub["quality"]["run"])
    assert (run["quarantine"], run["reconciliation"]) == (pub["quarantine"], recon)
    assert mesh.quarantine_line(pub).startswith(f"quarantined {result.quarantined_records} records")


def test_every_feed_product_keeps_its_rejects_and_products_of_products_have_none(
    platform: Platform, published: dict[str, mesh.PublishResult], landed_week: list
) -> None:
    for product_id, feed in FEEDS.items():
        result = published[product_id]
        assert result.sources is not None, product_id
        assert result.sources.check().passed, product_id
        quarantine = _quarantine(platform, result, landed_week)
        got = sorted((r.key, int(r.line_number), r.reason) for r in quarantine.itertuples())
        expected = sorted(
            (b.key, b.line, b.reason) for m in landed_week for b in m.bad_records if b.feed == feed
        )
        assert got == expected, product_id
    assert set(FEEDS) | set(BUILT_FROM_PRODUCTS) == set(mesh.PUBLISH_ORDER)
    finance = platform.settings.buckets.mesh["finance"]
    for product_id in BUILT_FROM_PRODUCTS:
        result = published[product_id]
        assert result.sources is None, product_id
        assert (result.quarantined_records, result.quarantined_items) == (0, 0), product_id
        entry = mesh.read_entry(platform.aws.s3(), platform.settings, product_id)
        assert entry is not None
        pub = mesh.publication(entry, 1)
        assert (pub["quarantine"], pub["reconciliation"]) == (None, None), product_id
        name = product_id.split(".", 1)[1]
        assert _keys(platform, finance, f"_quarantine/{name}/") == [], product_id


def _delta_commits(platform: Platform) -> int:
    """Count the Delta commits (``_delta_log/<version>.json``) in every mesh bucket."""
    commit = re.compile(r"_delta_log/\d{20}\.json$")
    return sum(
        1
        for bucket in platform.settings.buckets.mesh.values()
        for key in _keys(platform, bucket, "")
        if commit.search(key)
    )


def test_republishing_unchanged_inputs_commits_nothing(
    platform: Platform, spark: Any, published: dict[str, mesh.PublishResult]
) -> None:
    s3 = platform.aws.s3()
    commits = _delta_commits(platform)
    entries = mesh.list_entries(s3, platform.settings)

    on_demand = SessionOnDemand(lambda: spark)  # as `goldmine mesh publish` hands it

    again = {p: mesh.publish_product(platform, on_demand, p) for p in mesh.PUBLISH_ORDER}

    assert {p: (r.unchanged, r.published) for p, r in again.items()} == {
        p: (True, True) for p in mesh.PUBLISH_ORDER
    }
    assert not on_demand.started  # every publish skipped: no Spark (ADR 0036)
    assert _delta_commits(platform) == commits
    assert mesh.list_entries(s3, platform.settings) == entries
    for product_id, result in again.items():
        # The skipped result describes the publication it left in place.
        first = published[product_id]
        assert (result.run_id, result.delta_version) == (first.run_id, first.delta_version)
        assert result.check.passed and result.check.rows == first.check.rows
        assert result.quarantined_records == first.quarantined_records, product_id
        recorded = mesh.publication(mesh.read_entry(s3, platform.settings, product_id) or {}, 1)
        fingerprint = recorded["input_fingerprint"]
        assert [i["product"] for i in fingerprint["inputs"]] == [
            i["product"] for i in recorded["lineage"]["inputs"]
        ]
        assert sorted(fingerprint["files"]) == sorted(recorded["lineage"]["source_feeds"])


def test_a_new_batch_publishes_again_and_only_then(platform: Platform, spark: Any) -> None:
    """Own project (own buckets): the fx rates of the week, then one more batch landed."""
    from goldmine.platform import connect
    from goldmine.rules import list_landed_files
    from tests.conftest import make_settings

    isolated = connect(make_settings(platform.settings.data_dir, project="refresh"))
    s3, landing = isolated.aws.s3(), isolated.settings.buckets.landing
    week = [
        f for f in list_landed_files(s3, platform.settings.buckets.landing) if f.feed == "fx_rates"
    ]
    for f in week:
        key = f.uri.split("/", 3)[3]
        source = {"Bucket": platform.settings.buckets.landing, "Key": key}
        s3.copy_object(Bucket=landing, Key=key, CopySource=source)

    first = mesh.publish_product(isolated, spark, "finance.fx_rates", run_id="refresh-1")
    commits = _delta_commits(isolated)
    again = mesh.publish_product(isolated, spark, "finance.fx_rates", run_id="refresh-2")
    assert (first.unchanged, again.unchanged, again.run_id) == (False, True, "refresh-1")
    assert _delta_commits(isolated) == commits

    # A late batch of the last day: the same rates again, as a batch of its own.
    last = week[-1]
    late_key = last.uri.split("/", 3)[3].replace(f"fx-{last.batch_id}", f"fx-{last.batch_id}-late")
    body = s3.get_object(Bucket=landing, Key=last.uri.split("/", 3)[3])["Body"].read()
    s3.put_object(Bucket=landing, Key=late_key, Body=body)
    third = mesh.publish_product(isolated, spark, "finance.fx_rates", run_id="refresh-3")

    assert (third.published, third.unchanged) == (True, False)
    assert third.delta_version == (first.delta_version or 0) + 1
    assert first.sources is not None and third.sources is not None
    quarantine_commits = (third.sources.delta_version or 0) - (first.sources.delta_version or 0)
    assert _delta_commits(isolated) == commits + 1 + quarantine_commits
    entry = mesh.read_entry(s3, isolated.settings, "finance.fx_rates")
    assert entry is not None and [h["run_id"] for h in entry["history"]] == [
        "refresh-1",
        "refresh-3",
    ]
    files = mesh.publication(entry, 1)["input_fingerprint"]["files"]
    assert files == {"fx_rates": len(week) + 1}
    # The late batch's rates are duplicates of the last day's: same rows, one more batch.
    assert third.check.rows == first.check.rows
    # (a batch whose fx file holds no rate has no reconciliation figures, in either run)
    batches = {c.batch_id for c in first.sources.counts}
    assert {c.batch_id for c in third.sources.counts} == batches | {f"{last.batch_id}-late"}


def test_broken_data_is_refused_and_the_previous_version_stays(
    platform: Platform, spark: Any, published: dict[str, mesh.PublishResult]
) -> None:
    from pyspark.sql import functions as F

    before = published["sales.orders"]
    registry_before = mesh.read_entry(platform.aws.s3(), platform.settings, "sales.orders")

    def break_quantities(df: Any) -> Any:
        return df.withColumn(
            "quantity", F.when(F.col("line_no") == 1, F.lit(0)).otherwise(F.col("quantity"))
        )

    result = mesh.publish_product(platform, spark, "sales.orders", transform=break_quantities)
    assert not result.published
    assert [c.name for c in result.check.failures] == ["quantity_range"]
    table = _delta(platform, before.location)
    assert table.version() == before.delta_version
    assert (table.to_pandas()["quantity"] > 0).all()
    assert mesh.read_entry(platform.aws.s3(), platform.settings, "sales.orders") == registry_before
    # The refused run's report is kept beside the registry, so the owner sees why.
    assert result.quality is not None and result.check.report == result.quality.run
    assert result.quality.status == "failed" and result.quality.disagreements == ()
    assert result.quality.suite is not None
    assert list(result.quality.suite["failed_rules"]) == ["quantity_range"]
    assert _read_json(platform, result.quality.suite["result"])["success"] is False
    run = _read_json(platform, result.quality.run)
    assert run["published"] is False
    assert [c["name"] for c in run["checks"] if not c["passed"]] == ["quantity_range"]
    assert result.check.report in result.check.summary()


# --- access: moto's IAM enforcement over the real published object keys -----------------


def _keys(platform: Platform, bucket: str, prefix: str) -> list[str]:
    s3 = platform.aws.s3()
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o["Key"] for p in pages for o in p.get("Contents", [])]


@pytest.fixture
def enforced_copy(
    platform: Platform, published: dict[str, mesh.PublishResult], monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, list[str]]]:
    """The published mesh object keys, copied (as stubs) into an in-process moto S3."""
    settings = platform.settings
    layout = {
        settings.buckets.mesh["sales"]: [
            *_keys(platform, settings.buckets.mesh["sales"], "orders/"),
            *_keys(platform, settings.buckets.mesh["sales"], "_quarantine/orders/"),
            *_keys(platform, settings.buckets.mesh["sales"], "_state/orders/"),
        ],
        settings.buckets.mesh["customer"]: _keys(platform, settings.buckets.mesh["customer"], ""),
    }
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "admin")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "admin")
    with mock_aws():
        s3 = boto3.client("s3", region_name=settings.region)
        for bucket, keys in layout.items():
            s3.create_bucket(Bucket=bucket)
            for key in keys:
                s3.put_object(Bucket=bucket, Key=key, Body=b"data")
        yield layout


def test_granted_consumer_reads_orders_and_is_denied_raw_pii(
    platform: Platform, enforced_copy: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = platform.settings
    orders = mesh.load_product_contract("sales.orders")
    customers = mesh.load_product_contract("customer.customers")
    policy = mesh.role_policy(orders, settings, "consumer-sales.orders")
    s3 = s3_client_for(policy, "orders-consumer", settings.region)
    masked = s3_client_for(
        mesh.role_policy(customers, settings, "consumer-customer.customers"),
        "customers-consumer",
        settings.region,
    )
    enforce(monkeypatch)

    sales_bucket, customer_bucket = (
        settings.buckets.mesh["sales"],
        settings.buckets.mesh["customer"],
    )
    data_keys = [
        k for k in enforced_copy[sales_bucket] if k.startswith("orders/") and k.endswith(".parquet")
    ]
    assert data_keys and s3.get_object(Bucket=sales_bucket, Key=data_keys[0])["Body"].read()
    assert s3.list_objects_v2(Bucket=sales_bucket, Prefix="orders/")["KeyCount"] > 0
    # The domain's quarantine (raw rejected records) is never part of a grant.
    rejects = [k for k in enforced_copy[sales_bucket] if k.startswith("_quarantine/orders/")]
    assert rejects and denied(s3.get_object, Bucket=sales_bucket, Key=rejects[0])
    # Nor the cleaned orders the product keeps for its next batch (ADR 0039).
    kept = [k for k in enforced_copy[sales_bucket] if k.startswith("_state/orders/")]
    assert kept and denied(s3.get_object, Bucket=sales_bucket, Key=kept[0])

    raw_pii = [k for k in enforced_copy[customer_bucket] if k.startswith("_private/customers/")]
    public = [k for k in enforced_copy[customer_bucket] if k.startswith("customers/")]
    assert raw_pii and public
    assert denied(s3.get_object, Bucket=customer_bucket, Key=raw_pii[0])
    assert denied(s3.get_object, Bucket=customer_bucket, Key=public[0])
    # Even the customers product's own consumers get the masked view only.
    assert masked.get_object(Bucket=customer_bucket, Key=public[0])["Body"].read()
    assert denied(masked.get_object, Bucket=customer_bucket, Key=raw_pii[0])
    rejected = [k for k in enforced_copy[customer_bucket] if k.startswith("_quarantine/")]
    assert rejected and denied(masked.get_object, Bucket=customer_bucket, Key=rejected[0])


def test_cli_lists_and_shows_products(
    platform: Platform, published: dict[str, mesh.PublishResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from goldmine.cli import _context
    from goldmine.cli.mesh import app

    _context.start(debug=False)
    monkeypatch.setattr(_context._CONTEXT, "platform", platform)
    monkeypatch.setattr(_context._CONTEXT, "settings", platform.settings)
    runner = CliRunner()
    listed = runner.invoke(app, ["list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    for product_id in mesh.PUBLISH_ORDER:
        assert product_id in listed.output
    shown = runner.invoke(app, ["show", "finance.revenue"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    for text in (
        "finance.revenue 1.0.0 (owner finance-data-team)",
        "SLA freshness: 2d on order_date",
        "checks passed",
        "inputs: sales.orders 1.0.0@",
        "goldmine_local_mesh_finance.revenue_v1",
    ):
        assert text in shown.output
    assert "rejects" not in shown.output  # built only from products: no quarantine
    orders = runner.invoke(app, ["show", "sales.orders"], env={"COLUMNS": "1000"})
    assert orders.exit_code == 0, orders.output
    assert f"rejects   quarantined {published['sales.orders'].quarantined_records} records" in (
        orders.output
    )
    assert "reconciled: read" in orders.output


def test_breaking_change_publishes_a_new_major_alongside(
    platform: Platform, spark: Any, published: dict[str, mesh.PublishResult]
) -> None:
    import copy

    old = mesh.load_product_contract("catalog.stores")
    document = copy.deepcopy(old.raw)
    document["version"] = "2.0.0"
    channel = next(p for p in document["schema"][0]["properties"] if p["name"] == "channel")
    channel["enum"] = [{"value": "store"}, {"value": "web"}, {"value": "marketplace"}]
    document["schema"][0]["properties"] = [
        p for p in document["schema"][0]["properties"] if p["name"] != "opened_on"
    ]
    for server in document["servers"]:
        server["location"] = server["location"].replace("/stores/v1/", "/stores/v2/")
    new = mesh.parse_contract(document)
    assert mesh.diff_contracts(old, new).breaking  # removed column: needs the major bump

    def drop_opened_on(df: Any) -> Any:
        return df.drop("opened_on")

    result = mesh.publish_product(
        platform, spark, "catalog.stores", contract=new, transform=drop_opened_on
    )
    assert result.published, result.check.summary()
    assert result.location.endswith("/stores/v2/")
    v1 = _delta(platform, published["catalog.stores"].location)
    assert "opened_on" in [f.name for f in v1.schema().fields]
    entry = mesh.read_entry(platform.aws.s3(), platform.settings, "catalog.stores")
    assert entry is not None and sorted(entry["majors"]) == ["1", "2"]
    glue = platform.aws.client("glue")
    db = platform.settings.database("mesh_catalog")
    location = {
        name: glue.get_table(DatabaseName=db, Name=name)["Table"]["StorageDescriptor"]["Location"]
        for name in ("stores", "stores_v1", "stores_v2")
    }
    assert location == {
        "stores": result.location,
        "stores_v1": published["catalog.stores"].location,
        "stores_v2": result.location,
    }


def test_another_project_publishes_to_its_own_bucket_and_database(
    platform: Platform, spark: Any, published: dict[str, mesh.PublishResult]
) -> None:
    """Same local services, project ``acme``: the settings' names, not the contract's."""
    from goldmine.platform import connect
    from goldmine.settings import load_settings

    base = platform.settings
    settings = load_settings(
        **base.model_dump(exclude={"project", "buckets"}),
        project="acme",
        buckets={"landing": base.buckets.landing},  # the landed week
    )
    acme = connect(settings)
    before = mesh.read_entry(platform.aws.s3(), base, "catalog.stores")

    result = mesh.publish_product(acme, spark, "catalog.stores", run_id="test-acme")

    assert result.published, result.check.summary()
    assert result.location == "s3://acme-local-mesh-catalog/stores/v1/"
    table = platform.aws.client("glue").get_table(
        DatabaseName="acme_local_mesh_catalog", Name="stores_v1"
    )["Table"]
    assert table["StorageDescriptor"]["Location"] == result.location
    entry = mesh.read_entry(acme.aws.s3(), settings, "catalog.stores")
    assert entry is not None
    pub = mesh.publication(entry, 1)
    assert (pub["location"], pub["database"]) == (result.location, "acme_local_mesh_catalog")
    contract = mesh.load_product_contract("catalog.stores")
    assert pub["server"]["declared_location"] == contract.server("local").location
    assert pub["quality"]["great_expectations"]["result"].startswith(
        "s3://acme-local-mesh-catalog/_registry/stores/v1/runs/test-acme/"
    )
    stores = _delta(platform, result.location).to_pandas()
    assert len(stores) == published["catalog.stores"].check.rows
    # The default stack is untouched.
    assert mesh.read_entry(platform.aws.s3(), base, "catalog.stores") == before


def test_cli_publishes_each_product_after_those_it_is_built_from(
    platform: Platform, published: dict[str, mesh.PublishResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """``goldmine mesh publish`` given the products last first, on project ``atonce``
    (its own buckets and databases, reading the landed week): every product publishes,
    each reading the publications this run made of its inputs (a product started before
    its inputs would find none and fail), the independent ones at once (ADR 0034)."""
    from typer.testing import CliRunner

    from goldmine.cli import _context
    from goldmine.cli.mesh import app
    from goldmine.observe import load_run_summaries, runs_location
    from goldmine.platform import connect
    from goldmine.settings import load_settings

    base = platform.settings
    settings = load_settings(
        **base.model_dump(exclude={"project", "buckets"}),
        project="atonce",
        buckets={"landing": base.buckets.landing},
    )
    target = connect(settings)
    _context.start(debug=False)
    monkeypatch.setattr(_context._CONTEXT, "platform", target)
    monkeypatch.setattr(_context._CONTEXT, "settings", settings)
    products = ("finance.product_monthly", "sales.orders", "finance.fx_rates", "catalog.products")

    run = CliRunner().invoke(app, ["publish", *products], env={"COLUMNS": "200"})

    assert run.exit_code == 0, run.output
    pubs = {}
    for product in products:
        entry = mesh.read_entry(target.aws.s3(), settings, product)
        assert entry is not None, product
        pubs[product] = mesh.publication(entry, 1)
    for product, pub in pubs.items():
        read = {i["product"]: i["run_id"] for i in pub["lineage"]["inputs"]}
        assert read == {p: pubs[p]["run_id"] for p in mesh.built_from([product])[product]}
        assert pub["rows"] == published[product].check.rows, product
    assert [run.output.count(f"published {p} ") for p in products] == [1, 1, 1, 1]
    # The run records' times: each publish began after its inputs' ended; the two
    # products built only from the landing ran at once.
    bucket, _ = runs_location(settings)
    runs = {
        s.run_id: s
        for s in load_run_summaries(target.aws.s3(), bucket, architecture="mesh", command="publish")
    }
    timed = {p: runs[pub["run_id"]] for p, pub in pubs.items()}
    for product, inputs in mesh.built_from(products).items():
        for source in inputs:
            assert timed[product].started_at >= timed[source].finished_at, (product, source)
    first, second = timed["catalog.products"], timed["finance.fx_rates"]
    assert max(first.started_at, second.started_at) < min(first.finished_at, second.finished_at)

    # Again: every product unchanged, each skipped without starting Spark (ADR 0036).
    again = CliRunner().invoke(app, ["publish", *products], env={"COLUMNS": "200"})
    assert again.exit_code == 0, again.output
    assert [again.output.count(f"unchanged, skipped {p} ") for p in products] == [1, 1, 1, 1]
    assert "every product unchanged: Spark not started" in again.output
