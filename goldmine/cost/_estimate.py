"""Monthly cost estimate: a pure function of measurements and prices."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from goldmine.cost._measure import Measurements
from goldmine.cost._prices import AthenaPrice, Prices

ARCHITECTURES: tuple[str, ...] = ("lake", "lakehouse", "mesh", "shared")
NO_QUERIES = "no measured queries yet"
NO_RUNS = "no EMR Serverless runs recorded"


@dataclass(frozen=True)
class CostLine:
    """One priced item of the estimate.

    Parameters
    ----------
    category
        ``storage``, ``athena`` or ``emr_serverless``.
    architecture, domain
        Where the cost is allocated.
    item
        What is priced (``bucket/prefix``, query name, job name).
    quantity, unit
        Monthly quantity and its unit (``GB-month``, ``TB scanned``, ``vCPU-hours``).
    usd
        Monthly cost in USD (not rounded).
    """

    category: str
    architecture: str
    domain: str
    item: str
    quantity: float
    unit: str
    usd: float


@dataclass(frozen=True)
class Estimate:
    """A monthly estimate: priced lines, notes on what is missing, price provenance."""

    lines: tuple[CostLine, ...]
    notes: tuple[str, ...]
    region: str
    prices_copied_on: str

    @property
    def total(self) -> float:
        """Return the monthly total in USD."""
        return sum(line.usd for line in self.lines)

    def by_architecture(self) -> dict[str, float]:
        """Return ``{architecture: USD}`` for lake, lakehouse, mesh and shared."""
        totals = dict.fromkeys(ARCHITECTURES, 0.0)
        for line in self.lines:
            totals[line.architecture] = totals.get(line.architecture, 0.0) + line.usd
        return totals

    def by_domain(self) -> dict[str, float]:
        """Return ``{domain: USD}`` for the domains that have a cost, sorted."""
        totals: dict[str, float] = defaultdict(float)
        for line in self.lines:
            totals[line.domain] += line.usd
        return dict(sorted(totals.items()))


def billed_athena_bytes(bytes_scanned: int, price: AthenaPrice) -> int:
    """Return the bytes Athena bills for one query: rounded up to the MB, 10 MB minimum."""
    rounded = math.ceil(bytes_scanned / price.round_up_bytes) * price.round_up_bytes
    return max(price.minimum_bytes_per_query, rounded)


def estimate_monthly(measurements: Measurements, prices: Prices) -> Estimate:
    """Price one month of the measured platform.

    Storage is priced as S3 Standard GB-months of the bytes stored now; each measured
    Athena query and the last run of each job repeat as often as ``prices.assumptions``
    (or a query's own ``runs_per_month``) say.

    Parameters
    ----------
    measurements
        Stored bytes, Athena scans (``None``: none measured) and job runs.
    prices
        Unit prices and assumptions (``load_prices()``).

    Returns
    -------
    Estimate
        Lines in input order: storage, then Athena, then EMR Serverless.

    Examples
    --------
    >>> from goldmine.cost import AthenaScan, Measurements, load_prices
    >>> e = estimate_monthly(Measurements(athena_scans=(AthenaScan("q", 1),)), load_prices())
    >>> round(e.total, 6)  # 10 MB minimum x 30 runs at $5/TB
    0.001431
    """
    lines: list[CostLine] = []
    notes: list[str] = []
    s3 = prices.s3_standard
    for use in measurements.storage:
        gb = use.bytes / s3.gb_bytes
        lines.append(
            CostLine(
                "storage",
                use.architecture,
                use.domain,
                f"s3://{use.bucket}/{use.prefix}",
                gb,
                "GB-month",
                gb * s3.usd_per_gb_month,
            )
        )
    athena = prices.athena
    if measurements.athena_scans is None:
        notes.append(NO_QUERIES)
    else:
        for scan in measurements.athena_scans:
            runs = scan.runs_per_month or prices.assumptions.athena_query_runs_per_month
            tb = billed_athena_bytes(scan.bytes_scanned, athena) * runs / athena.tb_bytes
            lines.append(
                CostLine(
                    "athena",
                    scan.architecture,
                    scan.domain,
                    scan.query,
                    tb,
                    "TB scanned",
                    tb * athena.usd_per_tb_scanned,
                )
            )
    emr = prices.emr_serverless
    runs_per_month = prices.assumptions.job_runs_per_month
    if not measurements.job_runs:
        notes.append(NO_RUNS)
    for run in measurements.job_runs:
        per_run = (
            run.vcpu_hours * emr.usd_per_vcpu_hour
            + run.memory_gb_hours * emr.usd_per_memory_gb_hour
            + run.storage_gb_hours * emr.usd_per_storage_gb_hour
        )
        lines.append(
            CostLine(
                "emr_serverless",
                run.architecture,
                run.domain,
                run.job,
                run.vcpu_hours * runs_per_month,
                "vCPU-hours",
                per_run * runs_per_month,
            )
        )
    return Estimate(tuple(lines), tuple(notes), prices.region, prices.copied_on)
