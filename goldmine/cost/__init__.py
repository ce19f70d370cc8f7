"""Monthly cost estimate from measured storage, Athena scans and EMR Serverless runs.

Prices live in one data file, ``goldmine/cost/prices.yaml``, with their source and
the date they were copied. :func:`estimate_monthly` is pure: measurements and prices in,
estimate out.
"""

from goldmine.cost._estimate import (
    ARCHITECTURES,
    NO_QUERIES,
    NO_RUNS,
    CostLine,
    Estimate,
    billed_athena_bytes,
    estimate_monthly,
)
from goldmine.cost._measure import (
    BUCKET_ROLE_ARCHITECTURES,
    AthenaScan,
    JobRunUsage,
    Measurements,
    StorageUsage,
    measure,
    measure_storage,
    read_athena_scans,
    read_job_runs,
)
from goldmine.cost._prices import PRICES_FILE, Prices, load_prices

__all__ = [
    "ARCHITECTURES",
    "BUCKET_ROLE_ARCHITECTURES",
    "NO_QUERIES",
    "NO_RUNS",
    "PRICES_FILE",
    "AthenaScan",
    "CostLine",
    "Estimate",
    "JobRunUsage",
    "Measurements",
    "Prices",
    "StorageUsage",
    "billed_athena_bytes",
    "estimate_monthly",
    "load_prices",
    "measure",
    "measure_storage",
    "read_athena_scans",
    "read_job_runs",
]
