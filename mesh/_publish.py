"""Publish a data product: build, validate against the contract, then write and register.

Nothing visible changes when validation fails: the Delta table, the Glue tables and the
registry entry are only written after every check passed, and a Delta overwrite is one
atomic commit (the previous version stays readable, also by time travel). Every run,
published or refused, leaves its quality report (great-expectations result and run
record) under ``_registry/<name>/v<major>/runs/<run_id>/`` in the domain bucket.

A product built from feeds must reconcile its source records (read = accepted +
quarantined + duplicates, per batch and feed; one more check, a mismatch refuses the
publish) and, when published, keeps the records and items its build rejected in the
domain's private ``_quarantine/<name>/v<major>/`` table (:mod:`mesh._reconcile_sources`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.catalog import register_table
from goldmine.observe import observe_run
from goldmine.settings import Settings
from goldmine.spark import parquet_source_bytes, sized_execution
from goldmine.tags import tag_glue_database, tag_glue_table
from mesh._build_context import BuildContext
from mesh._check_data import Check, DataCheck, check_data
from mesh._contract import PII, Contract, load_product_contract
from mesh._fingerprint_inputs import input_fingerprint, landed_etags, unchanged_since
from mesh._generate import (
    Placement,
    cost_tags,
    glue_table_spec,
    placement,
    private_location,
    quarantine_location,
    table_names,
)
from mesh._observe import summarize_publish
from mesh._reconcile_sources import SourceReport, reconcile_sources
from mesh._registry import publication, read_entry, record_publication
from mesh._report_quality import QualityReport, record_run, report_quality

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform
    from goldmine.rules import LandedFile

log = logging.getLogger(__name__)
#: Feed name -> the contract's ``sourceFeeds`` entry it comes from (landing layout).
Transform = Callable[["DataFrame"], "DataFrame"]


class PublishRefusedError(RuntimeError):
    """The built data breaks its contract; nothing was published."""

    def __init__(self, check: DataCheck) -> None:
        self.check = check
        super().__init__(f"refused to publish {check.summary()}")


@dataclass(frozen=True)
class PublishResult:
    """What one publish did (or why it refused, or why it was skipped).

    ``check`` is the decision (its ``report`` names the run record); ``quality`` the
    status recorded in the registry, with the great-expectations outcome; ``sources``
    the reconciliation and quarantine of a product built from feeds (``None`` for one
    built only from other products), also for a refused run (then not written).
    ``unchanged``: the inputs were those of the newest publication, so nothing was
    built or written; every other field then describes that publication (its run id,
    Delta version, checks and quarantine, as recorded in the registry).
    """

    product_id: str
    version: str
    published: bool
    check: DataCheck
    run_id: str
    location: str = ""
    delta_version: int | None = None
    tables: tuple[str, ...] = ()
    lineage: dict[str, Any] = field(default_factory=dict)
    quality: QualityReport | None = None
    sources: SourceReport | None = None
    unchanged: bool = False

    @property
    def quarantined_records(self) -> int:
        """Source records the build quarantined (counted in the reconciliation)."""
        return self.sources.records if self.sources else 0

    @property
    def quarantined_items(self) -> int:
        """Order items the build quarantined (their order record was accepted)."""
        return self.sources.items if self.sources else 0


def parse_input(spec: str) -> tuple[str, int]:
    """Parse an ``inputProducts`` entry ``domain.name@major``.

    Examples
    --------
    >>> parse_input("sales.orders@1")
    ('sales.orders', 1)
    """
    product, _, major = spec.partition("@")
    if not major.isdigit():
        raise ValueError(f"input {spec!r} must pin a major version: domain.name@MAJOR")
    return product, int(major)


def read_product(
    spark: SparkSession, platform: Platform, product_id: str, major: int
) -> tuple[DataFrame, dict[str, Any]]:
    """Read a published product (pinned major) at its registered Delta version.

    Returns
    -------
    (DataFrame, publication)
        The data and its registry publication record (version, location, run id).

    Raises
    ------
    LookupError
        When the product or that major was never published.
    """
    pub = _input_publication(platform.aws.s3(), platform.settings, product_id, major)
    return _read_publication(spark, pub), pub


def _read_publication(spark: SparkSession, pub: dict[str, Any]) -> DataFrame:
    """Return the Delta table of a publication at its registered version."""
    return (
        spark.read.format("delta").option("versionAsOf", pub["delta_version"]).load(pub["location"])
    )


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


def _build_function(contract: Contract) -> Callable[[BuildContext], DataFrame]:
    target = str(contract.custom("build") or "")
    module_name, _, function = target.partition(":")
    if not module_name or not function:
        raise ValueError(f"{contract.product_id}: customProperties build must be 'module:function'")
    built: Callable[[BuildContext], DataFrame] = getattr(
        importlib.import_module(module_name), function
    )
    return built


def _landed(s3: Any, settings: Settings, feeds: list[str]) -> dict[str, list[LandedFile]]:
    """Return the settled landed files of ``feeds`` (the settle rule, ADR 0026)."""
    from goldmine.landing import settled_files

    if not feeds:
        return {}
    files, _ = settled_files(s3, settings.buckets.landing, settings.quiet_seconds, say=log.warning)
    return {feed: [f for f in files if f.feed == feed] for feed in feeds}


_COMMIT = re.compile(r"_delta_log/(\d{20})\.json$")


def _delta_version(s3: Any, location: str) -> int:
    """Return the newest version of the Delta table at ``location`` from its log's keys.

    One S3 listing of ``_delta_log/`` (no Spark job, no log replay): a commit is the
    ``_delta_log/<20-digit version>.json`` object (written before the write returns,
    also through the DynamoDB log store).
    """
    bucket, _, prefix = location.removeprefix("s3://").removeprefix("s3a://").partition("/")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=f"{prefix.rstrip('/')}/_delta_log/0"
    )
    found = (_COMMIT.search(o["Key"]) for page in pages for o in page.get("Contents", []))
    return max((int(m.group(1)) for m in found if m), default=0)


@dataclass(frozen=True)
class _Inputs:
    """What a build will read, known before any Spark work: files, publications, fingerprint."""

    landed: dict[str, list[LandedFile]]
    upstream: dict[str, dict[str, Any]]  # input product id -> the publication read
    fingerprint: dict[str, Any]
    as_of: dt.date | None

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


@dataclass
class _Built:
    """The build's frames: as built (cached), as published (PII treated), its quarantine."""

    raw: DataFrame
    published: DataFrame
    quarantine: DataFrame | None = None

    def release(self) -> None:
        for frame in (self.raw, self.quarantine):
            if frame is not None:
                frame.unpersist()


@observe_run("mesh", "publish", summarize_publish, subject="product_id", time_progress=True)
def publish_product(
    platform: Platform,
    spark: SparkSession,
    product_id: str,
    *,
    contract: Contract | None = None,
    transform: Transform | None = None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> PublishResult:
    """Build, validate and publish one data product; skip it when its inputs are unchanged.

    Parameters
    ----------
    platform, spark
        The environment and the Spark session.
    product_id
        ``domain.name`` (its contract is ``mesh/<domain>/<name>/contract.yaml``).
    contract
        Use this contract instead of the repo's (a new version being tried out).
    transform
        Applied to the built DataFrame before validation (tests inject bad data here);
        a publish with a transform is never skipped.
    run_id
        Id of the job run, recorded in the lineage; a new UUID by default.
    progress
        Called with a short message at each step.
    force
        Build and publish even when the inputs are those of the newest publication
        (after a change of the build code, which the fingerprint does not cover).

    Returns
    -------
    PublishResult
        ``unchanged`` when the newest publication of the contract's major was built
        from the same inputs (:mod:`mesh._fingerprint_inputs`): nothing was built or
        written, and the result describes that publication (``published`` true).
        ``published`` is ``False`` when the data broke the contract or its source
        records do not reconcile (check ``reconciliation``): then nothing visible was
        written, only the run's quality report (see ``check`` for why). Otherwise the
        product and, for a product built from feeds, its quarantine table were written
        (``sources``; ``quarantined_records`` / ``quarantined_items``).

    Raises
    ------
    ContractError
        Before building, when the contract's server for this environment does not
        state where the settings place the product (:func:`mesh.placement`).
    """
    say = progress or (lambda _msg: None)
    contract = contract or load_product_contract(product_id)
    run_id = run_id or uuid.uuid4().hex
    placed = placement(contract, platform.settings)
    # One S3 client for the whole publish: each ``platform.aws.s3()`` makes a new boto3
    # session and loads the service model again (0.1-1 s each, about ten per publish).
    s3 = platform.aws.s3()

    say("reading inputs")
    inputs = _read_inputs(s3, platform.settings, contract)
    current = _current_publication(s3, platform.settings, contract)
    if transform is None and not force and unchanged_since(current, inputs.fingerprint):
        say("unchanged, skipped")
        return _unchanged(contract, current or {})
    source = _source_bytes(s3, inputs)
    with sized_execution(spark, source, platform.settings.spark_shuffle_partitions):
        context = _open_context(spark, platform, s3, inputs)
        built: _Built | None = None
        try:
            say("building")
            built = _build(contract, context, transform)
            say("validating")
            check = check_data(built.published, contract, as_of=inputs.as_of)
            say("reconciling sources")
            sources, check = _reconcile(context, contract, platform.settings, built, check)
            say("reporting quality (great-expectations)")
            quality, check = _report(s3, platform.settings, contract, built, check, run_id)
            lineage = inputs.lineage(run_id)
            if not check.passed:
                _record_run(
                    s3, platform.settings, contract, run_id, check, quality, sources, lineage,
                    published=False,
                )  # fmt: skip
                return PublishResult(
                    product_id, contract.version, False, check, run_id, placed.location,
                    lineage=lineage, quality=quality, sources=sources,
                )  # fmt: skip
            say("writing")
            delta_version, sources = _write_tables(
                s3, platform.settings, contract, placed.location, built, sources
            )
        finally:
            if built is not None:
                built.release()
            context.release()

    say("registering")
    names = _register(platform, s3, contract, placed, run_id, delta_version)
    publication = {
        "product": product_id,
        "version": contract.version,
        "major": contract.major,
        "location": placed.location,
        "database": placed.database,
        "server": placed.as_dict(),
        "tables": names,
        "delta_version": delta_version,
        "run_id": run_id,
        "published_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "as_of": lineage["as_of"],
        "rows": check.rows,
        "checks": [c.as_dict() for c in check.checks],
        "quality": quality.as_dict(),
        **_sources_record(sources),
        "lineage": lineage,
        "input_fingerprint": inputs.fingerprint,
        "owner": contract.owner,
        "contract": contract.raw,
        "tags": cost_tags(contract, platform.settings),
    }
    record_publication(s3, platform.settings, product_id, publication)
    _record_run(
        s3, platform.settings, contract, run_id, check, quality, sources, lineage, published=True,
        delta_version=delta_version, location=placed.location, database=placed.database,
    )  # fmt: skip
    return PublishResult(
        product_id, contract.version, True, check, run_id, placed.location, delta_version,
        tuple(names), lineage, quality, sources,
    )  # fmt: skip


def _read_inputs(s3: Any, settings: Settings, contract: Contract) -> _Inputs:
    """List the landed files and read the input publications (registry): no Spark."""
    landed = _landed(s3, settings, list(contract.custom("sourceFeeds") or []))
    upstream: dict[str, dict[str, Any]] = {}
    for spec in contract.input_products():
        product, major = parse_input(spec)
        upstream[product] = _input_publication(s3, settings, product, major)
    etags = landed_etags(s3, [f for files in landed.values() for f in files])
    dates = [f.ingest_date for files in landed.values() for f in files if f.ingest_date]
    dates += [dt.date.fromisoformat(str(p["as_of"])) for p in upstream.values() if p.get("as_of")]
    return _Inputs(
        landed,
        upstream,
        input_fingerprint(contract, landed, etags, upstream.values()),
        max(dates) if dates else None,
    )


def _source_bytes(s3: Any, inputs: _Inputs) -> int | None:
    """Source-equivalent bytes a build reads (landed files, input products' Parquet).

    ``None`` when a landed file's size is unknown; sizes the build's shuffles.
    """
    sizes = [f.size for files in inputs.landed.values() for f in files]
    if None in sizes:
        return None
    landed = sum(s for s in sizes if s is not None)
    return landed + parquet_source_bytes(s3, [str(p["location"]) for p in inputs.upstream.values()])


def _input_publication(s3: Any, settings: Settings, product_id: str, major: int) -> dict[str, Any]:
    entry = read_entry(s3, settings, product_id)
    if entry is None:
        raise LookupError(f"{product_id} was never published: publish it first")
    try:
        return publication(entry, major)
    except KeyError as exc:
        raise LookupError(str(exc.args[0])) from None


def _current_publication(s3: Any, settings: Settings, contract: Contract) -> dict[str, Any] | None:
    """Return the newest publication of the contract's major (``None``: never published)."""
    entry = read_entry(s3, settings, contract.product_id)
    found: dict[str, Any] | None = (entry or {}).get("majors", {}).get(str(contract.major))
    return found


def _unchanged(contract: Contract, pub: dict[str, Any]) -> PublishResult:
    """Return the result of a skipped publish: the newest publication, as recorded."""
    checks = tuple(
        Check(str(c["name"]), str(c["kind"]), bool(c["passed"]), str(c.get("detail", "")))
        for c in pub.get("checks") or []
    )
    quality = QualityReport.from_dict(pub["quality"]) if pub.get("quality") else None
    check = DataCheck(
        contract.product_id, int(pub.get("rows") or 0), checks, quality.run if quality else ""
    )
    sources = SourceReport.from_dict(pub) if pub.get("reconciliation") else None
    return PublishResult(
        contract.product_id, str(pub["version"]), True, check, str(pub["run_id"]),
        str(pub["location"]), int(pub["delta_version"]), tuple(pub.get("tables") or ()),
        dict(pub.get("lineage") or {}), quality, sources, unchanged=True,
    )  # fmt: skip


def _open_context(
    spark: SparkSession, platform: Platform, s3: Any, inputs: _Inputs
) -> BuildContext:
    """Return the build's context: its landed files and its input products as read."""
    context = BuildContext(spark, platform, landed=inputs.landed, s3=s3)
    for product, pub in inputs.upstream.items():
        context.inputs[product] = _read_publication(spark, pub)
    return context


def _build(contract: Contract, context: BuildContext, transform: Transform | None) -> _Built:
    """Run the contract's build function; cache its output and treat PII for publishing."""
    raw = _build_function(contract)(context)
    if transform is not None:
        raw = transform(raw)
    raw = raw.cache()
    return _Built(raw, apply_pii(raw, contract))


def _reconcile(
    context: BuildContext, contract: Contract, settings: Settings, built: _Built, check: DataCheck
) -> tuple[SourceReport | None, DataCheck]:
    """Reconcile the build's source records; add the verdict to the checks."""
    reconciled = reconcile_sources(context, quarantine_location(contract, settings))
    if reconciled is None:
        return None, check
    sources, built.quarantine = reconciled
    return sources, dataclasses.replace(check, checks=(*check.checks, sources.check()))


def _report(
    s3: Any, settings: Settings, contract: Contract, built: _Built, check: DataCheck, run_id: str
) -> tuple[QualityReport, DataCheck]:
    """Run and save the great-expectations report; name it in the check."""
    quality = report_quality(s3, settings, contract, built.published, check, run_id)
    return quality, dataclasses.replace(check, report=quality.run)


def _write_tables(
    s3: Any,
    settings: Settings,
    contract: Contract,
    location: str,
    built: _Built,
    sources: SourceReport | None,
) -> tuple[int, SourceReport | None]:
    """Write the private table (PII), the quarantine and the product; one commit each."""
    partitions = [str(p.name) for p in sorted(
        (p for p in contract.table.properties or [] if p.partitioned),
        key=lambda p: p.partitionKeyPosition or 0,
    )]  # fmt: skip
    if any(c.classification == PII for c in contract.columns):
        _write(built.raw, private_location(contract, settings), partitions)
    if sources is not None and built.quarantine is not None:
        _write(built.quarantine, sources.location, [])
        sources = dataclasses.replace(sources, delta_version=_delta_version(s3, sources.location))
    _write(built.published, location, partitions)
    return _delta_version(s3, location), sources


def _register(
    platform: Platform,
    s3: Any,
    contract: Contract,
    placed: Placement,
    run_id: str,
    delta_version: int,
) -> list[str]:
    """Register and tag the product's Glue tables (the versioned one, and the newest major's)."""
    settings = platform.settings
    glue, sts = platform.aws.client("glue"), platform.aws.client("sts")
    tags = cost_tags(contract, settings)
    entry = read_entry(s3, settings, contract.product_id)
    newest_major = max([contract.major, int(entry["latest_major"]) if entry else 0])
    names = [table_names(contract)[1]]
    if contract.major >= newest_major:
        names.append(table_names(contract)[0])
    params = {"run_id": run_id, "delta_version": str(delta_version)}
    for name in names:
        register_table(glue, s3, glue_table_spec(contract, settings, name=name, **params))
        tag_glue_table(glue, sts, placed.database, name, tags)
    tag_glue_database(
        glue, sts, placed.database, {k: v for k, v in tags.items() if k != "data-product"}
    )
    return names


def _record_run(
    s3: Any,
    settings: Settings,
    contract: Contract,
    run_id: str,
    check: DataCheck,
    quality: QualityReport,
    sources: SourceReport | None,
    lineage: dict[str, Any],
    *,
    published: bool,
    **details: Any,
) -> None:
    record_run(
        s3, settings, contract, run_id,
        published=published, check=check, quality=quality,
        lineage=lineage, **details, **_sources_record(sources),
    )  # fmt: skip


def _sources_record(sources: SourceReport | None) -> dict[str, Any]:
    """Return the ``quarantine`` and ``reconciliation`` of a publication (``None``: no feeds)."""
    if sources is None:
        return {"quarantine": None, "reconciliation": None}
    return sources.as_dict()


def _write(df: DataFrame, location: str, partitions: list[str]) -> None:
    writer = (
        df.write.format("delta")
        .mode("overwrite")
        .option("partitionOverwriteMode", "static")
        .option("overwriteSchema", "true")
    )
    if partitions:
        writer = writer.partitionBy(*partitions)
    writer.save(location)
