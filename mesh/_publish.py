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

:func:`publish_product` reads what the build would read (no Spark), skips the build
when that is what the newest publication was built from (ADR 0020), else runs the
publish plan (:data:`mesh._publish_steps.PUBLISH_PLAN`: open_context, build,
check_data, gather_quarantine, reconcile_sources, report_quality, write_tables,
register, record_publication) with :func:`goldmine.plan.run_plan` (ADR 0021).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from goldmine.observe import observe_run
from goldmine.plan import PlanRun, run_plan
from goldmine.settings import Settings
from goldmine.spark import SessionOnDemand, parquet_source_bytes, session_of, sized_execution
from goldmine.validation import warm_up as warm_up_validation
from mesh._check_data import Check, DataCheck
from mesh._contract import Contract, load_product_contract
from mesh._feed_state import previous_state
from mesh._fingerprint_inputs import input_fingerprint, unchanged_since
from mesh._generate import placement
from mesh._observe import summarize_publish
from mesh._publish_steps import (
    PUBLISH_PLAN,
    PublishInputs,
    Transform,
    Verdict,
    Written,
    apply_pii,
    build_function,
    read_publication,
)
from mesh._read_landing import Landing
from mesh._reconcile_sources import SourceReport
from mesh._registry import publication, read_entry
from mesh._report_quality import QualityReport

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from goldmine.platform import Platform

__all__ = [
    "PublishRefusedError",
    "PublishResult",
    "apply_pii",
    "built_from",
    "publish_product",
    "read_product",
]

log = logging.getLogger(__name__)
#: Kept importable here (tests build a product's frame without publishing it).
_build_function = build_function


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
    Delta version, checks and quarantine, as recorded in the registry). ``steps``: the
    publish plan as it ran (seconds and Spark jobs per step; ``None`` when unchanged).
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
    steps: PlanRun | None = None

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


def built_from(product_ids: Iterable[str]) -> dict[str, list[str]]:
    """Return each product's input products (its contract's ``inputProducts``).

    A run publishing several products publishes each after those it is built from
    (:func:`mesh.publish_products` hands this to ``run_concurrently``'s ``after``).
    """
    return {
        product_id: [
            parse_input(spec)[0] for spec in load_product_contract(product_id).input_products()
        ]
        for product_id in product_ids
    }


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
    return read_publication(spark, pub), pub


@observe_run("mesh", "publish", summarize_publish, subject="product_id", time_progress=True)
def publish_product(
    platform: Platform,
    spark: SparkSession | SessionOnDemand,
    product_id: str,
    *,
    contract: Contract | None = None,
    transform: Transform | None = None,
    run_id: str | None = None,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    landing: Landing | None = None,
) -> PublishResult:
    """Build, validate and publish one data product; skip it when its inputs are unchanged.

    Parameters
    ----------
    platform, spark
        The environment and the Spark session, or one started on demand (a skipped
        publish starts none, ADR 0036).
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
    landing
        The landing as the run settled it (:class:`mesh.Landing`): a run publishing
        several products settles the landing once and hands it to each; by default
        the publish settles its own.

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
        (``sources``; ``quarantined_records`` / ``quarantined_items``). ``steps``:
        the publish plan's steps (:data:`mesh._publish_steps.PUBLISH_PLAN`) as they ran.

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
    landing = landing or Landing(s3, platform.settings)

    say("reading inputs")
    inputs = _read_inputs(s3, platform.settings, contract, landing)
    current = _current_publication(s3, platform.settings, contract)
    if transform is None and not force and unchanged_since(current, inputs.fingerprint):
        say("unchanged, skipped")
        return _unchanged(contract, current or {})
    if not force:  # build on what the newest publication kept of its feeds (ADR 0039)
        state = previous_state(current, inputs.fingerprint["contract"]["sha256"], inputs.landed)
        inputs = dataclasses.replace(inputs, state=state)
    warm_up_validation()
    source = _source_bytes(s3, inputs)
    session = session_of(spark)
    with sized_execution(session, source, platform.settings.spark_shuffle_partitions):
        done = run_plan(
            PUBLISH_PLAN,
            progress=lambda step, _done, _total: say(step.replace("_", " ")),
            spark=session, platform=platform, s3=s3, settings=platform.settings,
            contract=contract, placed=placed, inputs=inputs, run_id=run_id, transform=transform,
        )  # fmt: skip
    log.info("%s: %s", product_id, done.summary())
    verdict: Verdict = done.outputs["report_quality"]
    written: Written | None = done.outputs["write_tables"]
    return PublishResult(
        product_id, contract.version, written is not None, verdict.check, run_id,
        placed.location, written.delta_version if written else None,
        done.outputs["register"], inputs.lineage(run_id), verdict.quality,
        written.sources if written else verdict.sources, steps=done,
    )  # fmt: skip


def _read_inputs(
    s3: Any, settings: Settings, contract: Contract, landing: Landing
) -> PublishInputs:
    """List the landed files and read the input publications (registry): no Spark."""
    feeds = list(contract.custom("sourceFeeds") or [])
    landed = landing.files(feeds)
    upstream: dict[str, dict[str, Any]] = {}
    for spec in contract.input_products():
        product, major = parse_input(spec)
        upstream[product] = _input_publication(s3, settings, product, major)
    dates = [f.ingest_date for files in landed.values() for f in files if f.ingest_date]
    dates += [dt.date.fromisoformat(str(p["as_of"])) for p in upstream.values() if p.get("as_of")]
    return PublishInputs(
        landed,
        upstream,
        input_fingerprint(contract, landed, landing.etags(feeds), upstream.values()),
        max(dates) if dates else None,
    )


def _source_bytes(s3: Any, inputs: PublishInputs) -> int | None:
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
