"""The steps of a publish, run as a declared plan (:data:`PUBLISH_PLAN`, ADR 0021).

Each step is a function that takes what it needs by parameter name (a plan input:
``spark``, ``platform``, ``s3``, ``settings``, ``contract``, ``placed``, ``inputs``,
``run_id``, ``transform``; or an earlier step's output, named after the step) and
returns what it produced. The runner (:func:`goldmine.plan.run_plan`) times each step,
counts its Spark jobs, and keeps the frames a step declares persisted until the plan
ends: the landed lines (``open_context``), the product as built and what its build
asked to keep (``build``), and the quarantine (``gather_quarantine``).

A refused publish runs the same steps: ``report_quality`` decides, ``write_tables``
and ``register`` then do nothing (``None`` / no tables), and ``record_publication``
records the refused run only. Nothing visible is written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.catalog import register_table
from goldmine.plan import Plan, Step
from goldmine.read_delta import delta_log_reader, read_delta_table
from goldmine.spark import run_concurrently
from goldmine.tags import tag_glue_database, tag_glue_table
from mesh import _check_data, _reconcile_sources, _registry, _report_quality
from mesh._build_context import BuildContext
from mesh._check_data import DataCheck
from mesh._contract import PII, Contract
from mesh._feed_state import (
    FeedState,
    carried_rejects,
    keeps_state,
    replace_files,
    state_frames,
    state_table,
)
from mesh._generate import (
    Placement,
    cost_tags,
    glue_table_spec,
    private_location,
    quarantine_location,
    state_location,
    table_names,
)
from mesh._reconcile_sources import SourceReport
from mesh._report_quality import QualityReport, record_run

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform
    from goldmine.read_delta import DeltaLogReader
    from goldmine.rules import LandedFile
    from goldmine.settings import Settings

#: Applied to the built frame before validation (tests inject bad data with it).
Transform = Callable[["DataFrame"], "DataFrame"]


@dataclass(frozen=True)
class PublishInputs:
    """What a build will read, known before any Spark work: files, publications, fingerprint."""

    landed: dict[str, list[LandedFile]]
    upstream: dict[str, dict[str, Any]]  # input product id -> the publication read
    fingerprint: dict[str, Any]
    as_of: dt.date | None
    state: FeedState | None = None  # what the newest publication kept to build on (ADR 0039)

    def lineage(self, run_id: str) -> dict[str, Any]:
        """Return the publication's ``lineage``: input publications, feeds' batches, as_of."""
        keys = ("product", "version", "major", "delta_version", "run_id", "location")
        return {
            "inputs": [{k: pub.get(k) for k in keys} for pub in self.upstream.values()],
            "source_feeds": {
                feed: sorted({f.batch_id for f in files}) for feed, files in self.landed.items()
            },
            "run_id": run_id,
            "as_of": self.as_of.isoformat() if self.as_of else None,
        }


@dataclass(frozen=True)
class Built:
    """The product as built and as published (PII treated); what the build asked to keep.

    ``raw`` and ``kept`` (:meth:`mesh.BuildContext.keep`) stay persisted while the plan runs.
    """

    raw: DataFrame
    published: DataFrame
    kept: tuple[DataFrame, ...] = ()

    def persisted(self) -> list[DataFrame]:
        """Return the frames the plan keeps persisted: ``kept``, then the product as built.

        In that order: a frame persisted after another that it reads is computed from
        that one's copy (persisting the product first would price the items twice).
        """
        return [*self.kept, self.raw]


@dataclass(frozen=True)
class Verdict:
    """The decision on one build: every check (with the reconciliation), its report, sources."""

    check: DataCheck
    quality: QualityReport
    sources: SourceReport | None


@dataclass(frozen=True)
class Written:
    """What ``write_tables`` committed: the product's Delta version, the quarantine's.

    ``state``: the publication's record of the kept cleaned feed (``None``: the
    product keeps none, :mod:`mesh._feed_state`).
    """

    delta_version: int
    sources: SourceReport | None
    state: dict[str, Any] | None = None


def read_publication(
    spark: SparkSession, pub: dict[str, Any], log: DeltaLogReader | None = None
) -> DataFrame:
    """Return the Delta table of a publication at its registered version.

    With ``log``, a small one is read in the driver (a local frame, ADR 0044).
    """
    return read_delta_table(spark, pub["location"], log, version=int(pub["delta_version"]))


def apply_pii(df: DataFrame, contract: Contract) -> DataFrame:
    """Hash (``sha256``) or mask (first letter + ``***``) every PII column of the contract."""
    from pyspark.sql import functions as F

    for column in contract.columns:
        if column.classification != PII:
            continue
        col = F.col(column.name)
        if column.pii_treatment == "sha256":
            treated = F.sha2(col, 256)
        else:
            treated = F.when(col.isNotNull(), F.concat(F.substring(col, 1, 1), F.lit("***")))
        df = df.withColumn(column.name, treated)
    return df


def build_function(contract: Contract) -> Callable[[BuildContext], DataFrame]:
    """Return the contract's build function (``customProperties.build: module:function``)."""
    target = str(contract.custom("build") or "")
    module_name, _, function = target.partition(":")
    if not module_name or not function:
        raise ValueError(f"{contract.product_id}: customProperties build must be 'module:function'")
    built: Callable[[BuildContext], DataFrame] = getattr(
        importlib.import_module(module_name), function
    )
    return built


# --- the steps ----------------------------------------------------------------------------


def open_context(
    spark: SparkSession, platform: Platform, s3: Any, inputs: PublishInputs
) -> BuildContext:
    """Return the build's context: its feeds' landed lines read, its input products opened.

    With a kept state (``inputs.state``), only the files it does not hold are read, and
    the record-level rejects of the kept ones are carried into the quarantine.
    """
    context = BuildContext(spark, platform, landed=inputs.landed, s3=s3, state=inputs.state)
    log = delta_log_reader(platform.aws) if inputs.upstream else None
    for product, pub in inputs.upstream.items():  # small ones read in the driver (ADR 0044)
        context.inputs[product] = read_publication(spark, pub, log)
    if inputs.state is not None:
        context.carried_quarantine.append(carried_rejects(spark, inputs.state))
    context.read_feeds()
    return context


def build(contract: Contract, open_context: BuildContext, transform: Transform | None) -> Built:
    """Run the contract's build function; treat PII for publishing."""
    raw = build_function(contract)(open_context)
    if transform is not None:
        raw = transform(raw)
    return Built(raw, apply_pii(raw, contract), tuple(open_context.kept))


def check_data(contract: Contract, inputs: PublishInputs, build: Built) -> DataCheck:
    """Check the product as published against its contract (schema, quality, freshness)."""
    return _check_data.check_data(build.published, contract, as_of=inputs.as_of)


def gather_quarantine(open_context: BuildContext) -> DataFrame | None:
    """Return every record and item the build rejected (``None``: a product without feeds)."""
    if not open_context.landed and not open_context.cleaned:
        return None
    return _reconcile_sources.quarantine_frame(open_context)


def reconcile_sources(
    contract: Contract,
    settings: Settings,
    open_context: BuildContext,
    gather_quarantine: DataFrame | None,
) -> SourceReport | None:
    """Reconcile the build's source records (``None``: a product without feeds)."""
    if gather_quarantine is None:
        return None
    location = quarantine_location(contract, settings)
    return _reconcile_sources.reconcile_sources(open_context, gather_quarantine, location)


def report_quality(
    s3: Any,
    settings: Settings,
    contract: Contract,
    run_id: str,
    build: Built,
    check_data: DataCheck,
    reconcile_sources: SourceReport | None,
) -> Verdict:
    """Decide: add the reconciliation to the checks; run and save the great-expectations report."""
    check = check_data
    if reconcile_sources is not None:
        check = dataclasses.replace(check, checks=(*check.checks, reconcile_sources.check()))
    quality = _report_quality.report_quality(s3, settings, contract, build.published, check, run_id)
    return Verdict(dataclasses.replace(check, report=quality.run), quality, reconcile_sources)


def write_tables(
    s3: Any,
    settings: Settings,
    contract: Contract,
    placed: Placement,
    inputs: PublishInputs,
    open_context: BuildContext,
    build: Built,
    gather_quarantine: DataFrame | None,
    report_quality: Verdict,
) -> Written | None:
    """Write the private table (PII), the quarantine and the kept state, then the product.

    One commit each. The private table, the quarantine and the kept cleaned feed
    (:mod:`mesh._feed_state`) are written at once (independent tables: ADR 0028); the
    product, the table consumers read, only once they are committed, as before.
    ``None`` when the verdict refused the publish: nothing is written.
    """
    if not report_quality.check.passed:
        return None
    partitions = [str(p.name) for p in sorted(
        (p for p in contract.table.properties or [] if p.partitioned),
        key=lambda p: p.partitionKeyPosition or 0,
    )]  # fmt: skip
    sources = report_quality.sources
    first: dict[str, Callable[[], Any]] = {}
    if any(c.classification == PII for c in contract.columns):
        private = private_location(contract, settings)
        first["private"] = functools.partial(_write, s3, build.raw, private, partitions)
    if sources is not None and gather_quarantine is not None:
        first["quarantine"] = functools.partial(_write, s3, gather_quarantine, sources.location, [])
    state = _keep_state(s3, contract, settings, inputs, open_context)
    first.update({f"state {name}": write for name, write in state.writes.items()})
    written = run_concurrently(first)
    if sources is not None and "quarantine" in written:
        sources = dataclasses.replace(sources, delta_version=written["quarantine"])
    product = _write(s3, build.published, placed.location, partitions)
    return Written(product, sources, state.record(written))


def register(
    platform: Platform,
    s3: Any,
    contract: Contract,
    placed: Placement,
    run_id: str,
    write_tables: Written | None,
) -> tuple[str, ...]:
    """Register and tag the product's Glue tables (the versioned one, and the newest major's).

    No table when nothing was written (a refused publish).
    """
    if write_tables is None:
        return ()
    settings = platform.settings
    glue, sts = platform.aws.client("glue"), platform.aws.client("sts")
    tags = cost_tags(contract, settings)
    entry = _registry.read_entry(s3, settings, contract.product_id)
    newest_major = max([contract.major, int(entry["latest_major"]) if entry else 0])
    names = [table_names(contract)[1]]
    if contract.major >= newest_major:
        names.append(table_names(contract)[0])
    params = {"run_id": run_id, "delta_version": str(write_tables.delta_version)}
    for name in names:
        register_table(glue, s3, glue_table_spec(contract, settings, name=name, **params))
        tag_glue_table(glue, sts, placed.database, name, tags)
    tag_glue_database(
        glue, sts, placed.database, {k: v for k, v in tags.items() if k != "data-product"}
    )
    return tuple(names)


def record_publication(
    s3: Any,
    settings: Settings,
    contract: Contract,
    placed: Placement,
    run_id: str,
    inputs: PublishInputs,
    report_quality: Verdict,
    write_tables: Written | None,
    register: tuple[str, ...],
) -> dict[str, Any] | None:
    """Record the run (published or refused) and, when written, the publication in the registry.

    Returns the publication recorded (``None``: refused, only the run was recorded).
    """
    verdict, lineage = report_quality, inputs.lineage(run_id)
    if write_tables is None:
        _record_run(s3, settings, contract, run_id, verdict, verdict.sources, lineage,
                    published=False)  # fmt: skip
        return None
    publication = {
        "product": contract.product_id,
        "version": contract.version,
        "major": contract.major,
        "location": placed.location,
        "database": placed.database,
        "server": placed.as_dict(),
        "tables": list(register),
        "delta_version": write_tables.delta_version,
        "run_id": run_id,
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": lineage["as_of"],
        "rows": verdict.check.rows,
        "checks": [c.as_dict() for c in verdict.check.checks],
        "quality": verdict.quality.as_dict(),
        **sources_record(write_tables.sources),
        "state": write_tables.state,
        "lineage": lineage,
        "input_fingerprint": inputs.fingerprint,
        "owner": contract.owner,
        "contract": contract.raw,
        "tags": cost_tags(contract, settings),
    }
    _registry.record_publication(s3, settings, contract.product_id, publication)
    _record_run(
        s3, settings, contract, run_id, verdict, write_tables.sources, lineage, published=True,
        delta_version=write_tables.delta_version, location=placed.location,
        database=placed.database,
    )  # fmt: skip
    return publication


#: A publish after its inputs were read (:func:`mesh.publish_product` runs it).
PUBLISH_PLAN = Plan(
    "mesh.publish",
    (
        Step("open_context", open_context, persist=lambda context: context.lines.values()),
        Step("build", build, persist=Built.persisted),
        Step("check_data", check_data),
        Step("gather_quarantine", gather_quarantine, persist=True),
        Step("reconcile_sources", reconcile_sources),
        Step("report_quality", report_quality),
        Step("write_tables", write_tables),
        Step("register", register),
        Step("record_publication", record_publication),
    ),
)


# --- helpers of the steps ------------------------------------------------------------------


@dataclass(frozen=True)
class _StateWrites:
    """The writes of a publish's kept state, and its publication record once written."""

    location: str
    files: tuple[str, ...]
    versions: dict[str, int]  # kept tables not written by this publish
    writes: dict[str, Callable[[], int]]

    def record(self, written: dict[str, Any]) -> dict[str, Any] | None:
        """Return the publication's ``state`` record (``None``: the product keeps none)."""
        if not self.location:
            return None
        versions = dict(self.versions)
        for name in self.writes:
            versions[name] = int(written[f"state {name}"])
        return {"location": self.location, "versions": versions, "files": list(self.files)}


def _keep_state(
    s3: Any, contract: Contract, settings: Settings, inputs: PublishInputs, context: BuildContext
) -> _StateWrites:
    """Return the writes that keep this publish's cleaned ``orders`` for the next one.

    A full build writes the kept tables whole; one built on a state replaces the rows of
    the files it cleaned (none new: nothing is written, the versions stay).
    """
    if not keeps_state(list(contract.custom("sourceFeeds") or [])) or (
        "orders" not in context.cleaned
    ):
        return _StateWrites("", (), {}, {})
    cleaned = context.cleaned["orders"]
    files = tuple(sorted(f.uri for f in inputs.landed["orders"]))
    previous = inputs.state
    new = None if previous is None else sorted(set(files) - set(previous.files))
    location = previous.location if previous is not None else state_location(contract, settings)
    if new == []:
        assert previous is not None
        return _StateWrites(location, files, dict(previous.versions), {})

    def write(frame: DataFrame, table: str) -> int:
        if new is None:  # a full build: the kept tables whole
            return _write(s3, frame, table, [])
        replace_files(frame, table, new)
        return _written_version(s3, table)

    writes: dict[str, Callable[[], int]] = {
        name: functools.partial(write, frame, state_table(location, name))
        for name, frame in state_frames(cleaned).items()
    }
    return _StateWrites(location, files, {}, writes)


_COMMIT = re.compile(r"_delta_log/(\d{20})\.json$")


def _delta_version(s3: Any, location: str) -> int | None:
    """Return the newest version of the Delta table at ``location`` from its log's keys.

    One S3 listing of ``_delta_log/`` (no Spark job, no log replay): a commit is the
    ``_delta_log/<20-digit version>.json`` object (written before the write returns,
    also through the DynamoDB log store). ``None``: no commit, no table yet.
    """
    bucket, _, prefix = location.removeprefix("s3://").removeprefix("s3a://").partition("/")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{prefix.rstrip('/')}/_delta_log/0"
    )
    found = (_COMMIT.search(o["Key"]) for page in pages for o in page.get("Contents", []))
    return max((int(m.group(1)) for m in found if m), default=None)


def _write(s3: Any, df: DataFrame, location: str, partitions: list[str]) -> int:
    """Write ``df`` as the whole next version of the table at ``location``; return it.

    An existing table is overwritten (one commit; the previous version stays readable
    by time travel). A table without a commit yet is created with the save mode
    ``errorifexists``: an overwrite first lists the files it replaces, a Spark job over
    the empty table's state that a creation skips (one job less per new table), and a
    table that appeared meanwhile fails the write instead of being replaced.
    """
    writer = df.write.format("delta")
    if _delta_version(s3, location) is None:
        writer = writer.mode("errorifexists")
    else:
        writer = (
            writer.mode("overwrite")
            .option("partitionOverwriteMode", "static")
            .option("overwriteSchema", "true")
        )
    if partitions:
        writer = writer.partitionBy(*partitions)
    writer.save(location)
    return _written_version(s3, location)


def _written_version(s3: Any, location: str) -> int:
    """Return the version a write just committed at ``location`` (none: a broken store)."""
    version = _delta_version(s3, location)
    if version is None:  # the save returned without a commit
        raise RuntimeError(f"Delta wrote no commit at {location}")
    return version


def _record_run(
    s3: Any,
    settings: Settings,
    contract: Contract,
    run_id: str,
    verdict: Verdict,
    sources: SourceReport | None,
    lineage: dict[str, Any],
    *,
    published: bool,
    **details: Any,
) -> None:
    record_run(
        s3, settings, contract, run_id,
        published=published, check=verdict.check, quality=verdict.quality,
        lineage=lineage, **details, **sources_record(sources),
    )  # fmt: skip


def sources_record(sources: SourceReport | None) -> dict[str, Any]:
    """Return the ``quarantine`` and ``reconciliation`` of a publication (``None``: no feeds)."""
    if sources is None:
        return {"quarantine": None, "reconciliation": None}
    return sources.as_dict()
