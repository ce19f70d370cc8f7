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
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.catalog import register_table
from goldmine.tags import tag_glue_database, tag_glue_table
from mesh._build_context import BuildContext
from mesh._check_data import DataCheck, check_data
from mesh._contract import PII, Contract, load_product_contract
from mesh._generate import (
    cost_tags,
    glue_table_spec,
    placement,
    private_location,
    quarantine_location,
    table_names,
)
from mesh._reconcile_sources import SourceReport, reconcile_sources
from mesh._registry import publication, read_entry, record_publication
from mesh._report_quality import QualityReport, record_run, report_quality

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform

#: Feed name -> the contract's ``sourceFeeds`` entry it comes from (landing layout).
Transform = Callable[["DataFrame"], "DataFrame"]


class PublishRefusedError(RuntimeError):
    """The built data breaks its contract; nothing was published."""

    def __init__(self, check: DataCheck) -> None:
        self.check = check
        super().__init__(f"refused to publish {check.summary()}")


@dataclass(frozen=True)
class PublishResult:
    """What one publish did (or why it refused).

    ``check`` is the decision (its ``report`` names the run record); ``quality`` the
    status recorded in the registry, with the great-expectations outcome; ``sources``
    the reconciliation and quarantine of a product built from feeds (``None`` for one
    built only from other products), also for a refused run (then not written).
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
    entry = read_entry(platform.aws.s3(), platform.settings, product_id)
    if entry is None:
        raise LookupError(f"{product_id} was never published: publish it first")
    try:
        pub = publication(entry, major)
    except KeyError as exc:
        raise LookupError(str(exc.args[0])) from None
    df = (
        spark.read.format("delta").option("versionAsOf", pub["delta_version"]).load(pub["location"])
    )
    return df, pub


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


def _landed(platform: Platform, feeds: list[str]) -> dict[str, list[Any]]:
    from goldmine.rules import list_landed_files

    files = list_landed_files(platform.aws.s3(), platform.settings.buckets.landing)
    return {feed: [f for f in files if f.feed == feed] for feed in feeds}


def _delta_version(spark: SparkSession, location: str) -> int:
    from delta.tables import DeltaTable

    row = DeltaTable.forPath(spark, location).history(1).select("version").first()
    return int(row[0]) if row else 0


def publish_product(
    platform: Platform,
    spark: SparkSession,
    product_id: str,
    *,
    contract: Contract | None = None,
    transform: Transform | None = None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> PublishResult:
    """Build, validate and publish one data product.

    Parameters
    ----------
    platform, spark
        The environment and the Spark session.
    product_id
        ``domain.name`` (its contract is ``mesh/<domain>/<name>/contract.yaml``).
    contract
        Use this contract instead of the repo's (a new version being tried out).
    transform
        Applied to the built DataFrame before validation (tests inject bad data here).
    run_id
        Id of the job run, recorded in the lineage; a new UUID by default.
    progress
        Called with a short message at each step.

    Returns
    -------
    PublishResult
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
    settings, s3 = platform.settings, platform.aws.s3()
    run_id = run_id or uuid.uuid4().hex
    placed = placement(contract, settings)
    location = placed.location

    say("reading inputs")
    context = BuildContext(
        spark, platform, landed=_landed(platform, list(contract.custom("sourceFeeds") or []))
    )
    inputs_lineage = []
    as_of_dates = [d for d in [context.as_of] if d is not None]
    for spec in contract.input_products():
        upstream, major = parse_input(spec)
        df, pub = read_product(spark, platform, upstream, major)
        context.inputs[upstream] = df
        inputs_lineage.append(
            {
                k: pub.get(k)
                for k in ("product", "version", "major", "delta_version", "run_id", "location")
            }
        )
        if pub.get("as_of"):
            as_of_dates.append(dt.date.fromisoformat(str(pub["as_of"])))
    as_of = max(as_of_dates) if as_of_dates else None

    say("building")
    quarantine: DataFrame | None = None
    raw: DataFrame | None = None
    try:
        raw = _build_function(contract)(context)
        if transform is not None:
            raw = transform(raw)
        raw = raw.cache()
        published_df = apply_pii(raw, contract)

        say("validating")
        check = check_data(published_df, contract, as_of=as_of)
        say("reconciling sources")
        reconciled = reconcile_sources(context, quarantine_location(contract, settings))
        sources: SourceReport | None = None
        if reconciled is not None:
            sources, quarantine = reconciled
            check = dataclasses.replace(check, checks=(*check.checks, sources.check()))
        say("reporting quality (great-expectations)")
        quality = report_quality(s3, settings, contract, published_df, check, run_id)
        check = dataclasses.replace(check, report=quality.run)
        lineage = {
            "inputs": inputs_lineage,
            "source_feeds": {
                feed: sorted({f.batch_id for f in files}) for feed, files in context.landed.items()
            },
            "run_id": run_id,
            "as_of": as_of.isoformat() if as_of else None,
        }
        if not check.passed:
            record_run(
                s3,
                settings,
                contract,
                run_id,
                published=False,
                check=check,
                quality=quality,
                lineage=lineage,
                **_sources_record(sources),
            )
            return PublishResult(
                product_id,
                contract.version,
                False,
                check,
                run_id,
                location,
                lineage=lineage,
                quality=quality,
                sources=sources,
            )

        say("writing")
        partitions = [str(p.name) for p in sorted(
            (p for p in contract.table.properties or [] if p.partitioned),
            key=lambda p: p.partitionKeyPosition or 0,
        )]  # fmt: skip
        if any(c.classification == PII for c in contract.columns):
            _write(raw, private_location(contract, settings), partitions)
        if sources is not None and quarantine is not None:
            _write(quarantine, sources.location, [])
            sources = dataclasses.replace(
                sources, delta_version=_delta_version(spark, sources.location)
            )
        _write(published_df, location, partitions)
        delta_version = _delta_version(spark, location)
    finally:
        for frame in (raw, quarantine):
            if frame is not None:
                frame.unpersist()
        context.release()

    say("registering")
    glue, sts = platform.aws.client("glue"), platform.aws.client("sts")
    tags = cost_tags(contract, settings)
    entry = read_entry(s3, settings, product_id)
    newest_major = max([contract.major, int(entry["latest_major"]) if entry else 0])
    names = [table_names(contract)[1]]
    if contract.major >= newest_major:
        names.append(table_names(contract)[0])
    params = {"run_id": run_id, "delta_version": str(delta_version)}
    for name in names:
        register_table(glue, s3, glue_table_spec(contract, settings, name=name, **params))
        tag_glue_table(glue, sts, placed.database, name, tags)
    tag_glue_database(
        glue,
        sts,
        placed.database,
        {k: v for k, v in tags.items() if k != "data-product"},
    )

    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    record_publication(
        s3,
        settings,
        product_id,
        {
            "product": product_id,
            "version": contract.version,
            "major": contract.major,
            "location": location,
            "database": placed.database,
            "server": placed.as_dict(),
            "tables": names,
            "delta_version": delta_version,
            "run_id": run_id,
            "published_at": now,
            "as_of": lineage["as_of"],
            "rows": check.rows,
            "checks": [c.as_dict() for c in check.checks],
            "quality": quality.as_dict(),
            **_sources_record(sources),
            "lineage": lineage,
            "owner": contract.owner,
            "contract": contract.raw,
            "tags": tags,
        },
    )
    record_run(
        s3,
        settings,
        contract,
        run_id,
        published=True,
        check=check,
        quality=quality,
        delta_version=delta_version,
        location=location,
        database=placed.database,
        lineage=lineage,
        **_sources_record(sources),
    )
    return PublishResult(
        product_id,
        contract.version,
        True,
        check,
        run_id,
        location,
        delta_version,
        tuple(names),
        lineage,
        quality,
        sources,
    )


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
