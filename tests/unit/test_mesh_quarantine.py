"""Reconciliation of a product build's sources: the verdict, the record and the refusal."""

from __future__ import annotations

from typing import Any

import pytest

import mesh
from goldmine.rules import QUARANTINE_COLUMNS, BatchCounts
from goldmine.settings import Settings
from mesh import (
    _check_data,
    _publish,
    _publish_steps,
    _reconcile_sources,
    _registry,
    _report_quality,
)
from mesh._build_context import BuildContext

LOCATION = "s3://goldmine-local-mesh-sales/_quarantine/orders/v1/"


def _report(*counts: BatchCounts, **fields: Any) -> mesh.SourceReport:
    return mesh.SourceReport(
        counts, {"unparseable": 1, "invalid_quantity": 2}, 2, LOCATION, **fields
    )


BALANCED = (
    BatchCounts("20250106", "orders", 10, 8, 1, 1),
    BatchCounts("20250107", "orders", 5, 5, 0, 0),
)
#: One record lost between reading and the three outcomes.
UNBALANCED = BatchCounts("20250108", "orders", 10, 8, 1, 0)


def test_quarantine_lives_in_the_domain_bucket_outside_every_grant() -> None:
    settings = Settings()
    contract = mesh.load_product_contract("sales.orders")
    assert mesh.quarantine_location(contract, settings) == LOCATION
    statements = [
        s for doc in mesh.role_policy(contract, settings, "consumer-sales.orders") for s in
        doc["Statement"]
    ]  # fmt: skip
    resources = [r for s in statements for r in s["Resource"] if r.startswith("arn:aws:s3")]
    assert resources and not [r for r in resources if "_quarantine" in r]
    assert QUARANTINE_COLUMNS == (
        "feed", "batch_id", "source_file", "line_number", "order_id", "line_no", "reason", "raw",
    )  # fmt: skip


def test_balanced_sources_pass_and_are_recorded() -> None:
    report = _report(*BALANCED)
    check = report.check()
    assert (check.name, check.kind, check.passed) == ("reconciliation", "reconciliation", True)
    assert check.detail == (
        "read 15 = accepted 13 + quarantined 1 + duplicates 1 in 2 batches (orders)"
    )
    assert (report.records, report.items) == (1, 2)
    record = report.as_dict()
    assert record["quarantine"] == {
        "location": LOCATION,
        "delta_version": None,
        "records": 1,
        "items": 2,
        "by_reason": {"invalid_quantity": 2, "unparseable": 1},
    }
    recon = record["reconciliation"]
    assert (recon["balanced"], recon["read"], recon["unaccounted_feeds"]) == (True, 15, [])
    assert [b["batch_id"] for b in recon["batches"]] == ["20250106", "20250107"]
    assert mesh.quarantine_line(record) == (
        f"quarantined 1 records, 2 items (invalid_quantity 2, unparseable 1) in {LOCATION}; "
        "reconciled: read 15 = accepted 13 + quarantined 1 + duplicates 1 in 2 batches"
    )
    # Products built only from products have no quarantine line.
    assert mesh.quarantine_line({"quarantine": None, "reconciliation": None}) is None


def test_unbalanced_batch_fails_with_its_figures() -> None:
    check = _report(*BALANCED, UNBALANCED).check()
    assert not check.passed
    assert check.detail == (
        "reconciliation failed, nothing written: orders batch 20250108: "
        "read 10 != accepted 8 + quarantined 1 + duplicates 0"
    )
    assert _report(*BALANCED, UNBALANCED).as_dict()["reconciliation"]["balanced"] is False


def test_a_source_feed_not_cleaned_through_the_context_fails() -> None:
    check = _report(*BALANCED, unaccounted=("customers",)).check()
    assert not check.passed
    assert check.detail == (
        "source feeds customers were not cleaned with BuildContext.clean_feed: "
        "their rejected records would be lost"
    )


# --- the refusal: publish_product with the Spark and AWS parts replaced ----------------


class _Frame:
    """Stands in for a DataFrame: the publisher only persists and unpersists it here."""

    is_cached = False

    def persist(self) -> _Frame:
        return self

    def unpersist(self) -> None:
        pass


class _Aws:
    def s3(self) -> object:
        return object()

    def client(self, name: str) -> object:
        raise AssertionError(f"a refused publish must not touch {name}")


class _Platform:
    settings = Settings()
    aws = _Aws()


class _Conf(dict):  # type: ignore[type-arg]
    """A session's runtime conf: what ``sized_execution`` sets and restores."""

    def set(self, key: str, value: str) -> None:
        self[key] = value

    def unset(self, key: str) -> None:
        self.pop(key, None)


class _Tracker:
    def getJobIdsForGroup(self, group: str) -> list[int]:  # noqa: N802 (Spark's name)
        return []


class _SparkContext(dict):  # type: ignore[type-arg]
    """The local properties the plan runner sets to count each step's jobs (none here),
    and the task slots ``sized_execution`` sizes shuffles for."""

    defaultParallelism = 2  # noqa: N815 (Spark's name)

    def getLocalProperty(self, key: str) -> str | None:  # noqa: N802 (Spark's name)
        return self.get(key)

    def setLocalProperty(self, key: str, value: str | None) -> None:  # noqa: N802
        self[key] = value

    def setJobGroup(self, group: str, description: str) -> None:  # noqa: N802
        self["spark.jobGroup.id"] = group

    def statusTracker(self) -> _Tracker:  # noqa: N802
        return _Tracker()


class _Spark:
    def __init__(self) -> None:
        self.conf = _Conf({"spark.sql.adaptive.enabled": "true"})
        self.sparkContext = _SparkContext()


class _Landing:
    """The run's landing: the stores feed, nothing landed."""

    def files(self, feeds: Any) -> dict[str, list[Any]]:
        return {feed: [] for feed in feeds}

    def etags(self, feeds: Any) -> dict[str, str]:
        return {}


def test_unbalanced_sources_refuse_the_publish_and_write_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contract = mesh.load_product_contract("catalog.stores")  # no input products to read
    runs: list[dict[str, Any]] = []
    sources = _report(*BALANCED, UNBALANCED)
    passed = mesh.DataCheck(contract.product_id, 3, (mesh.Check("schema", "schema", True),))

    def refuse_writes(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a refused publish must write nothing")

    def quality(s3: Any, settings: Any, c: Any, df: Any, check: mesh.DataCheck, run_id: str) -> Any:
        return mesh.QualityReport(
            "passed" if check.passed else "failed",
            sum(x.passed for x in check.checks),
            len(check.checks),
            run=f"s3://goldmine-local-mesh-catalog/_registry/stores/v1/runs/{run_id}/run.json",
        )

    monkeypatch.setattr(_publish, "read_entry", lambda s3, settings, product_id: None)
    monkeypatch.setattr(BuildContext, "read_feed", lambda self, feed: _Frame())
    monkeypatch.setattr(_publish_steps, "build_function", lambda c: lambda context: _Frame())
    monkeypatch.setattr(_publish_steps, "apply_pii", lambda df, c: df)
    monkeypatch.setattr(_check_data, "check_data", lambda df, c, as_of=None: passed)
    monkeypatch.setattr(_reconcile_sources, "quarantine_frame", lambda context: _Frame())
    monkeypatch.setattr(
        _reconcile_sources, "reconcile_sources", lambda context, quarantine, loc: sources
    )
    monkeypatch.setattr(_report_quality, "report_quality", quality)
    monkeypatch.setattr(_publish_steps, "record_run", lambda *a, **details: runs.append(details))
    monkeypatch.setattr(_publish_steps, "_write", refuse_writes)
    monkeypatch.setattr(_registry, "record_publication", refuse_writes)

    spark = _Spark()
    result = mesh.publish_product(
        _Platform(),  # type: ignore[arg-type]
        spark,  # type: ignore[arg-type]
        "catalog.stores",
        run_id="r1",
        landing=_Landing(),  # type: ignore[arg-type]
    )
    assert spark.conf == {"spark.sql.adaptive.enabled": "true"}  # restored after the build

    assert not result.published
    assert [c.name for c in result.check.failures] == ["reconciliation"]
    assert "orders batch 20250108: read 10 != accepted 8 + quarantined 1 + duplicates 0" in (
        str(mesh.PublishRefusedError(result.check))
    )
    assert result.quality is not None and result.quality.status == "failed"
    assert (result.quarantined_records, result.quarantined_items) == (2, 2)
    assert result.sources is not None and result.sources.delta_version is None
    assert result.steps is not None and result.steps.outputs["write_tables"] is None
    assert result.tables == ()
    [run] = runs
    assert run["published"] is False
    assert run["reconciliation"]["balanced"] is False
    assert run["quarantine"]["delta_version"] is None
