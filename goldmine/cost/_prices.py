"""Unit prices, read from the one data file ``prices.yaml``."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

PRICES_FILE = Path(__file__).with_name("prices.yaml")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class S3StandardPrice(_Frozen):
    """S3 Standard storage price."""

    usd_per_gb_month: float
    gb_bytes: int
    source: str


class AthenaPrice(_Frozen):
    """Athena SQL price per data scanned."""

    usd_per_tb_scanned: float
    tb_bytes: int
    minimum_bytes_per_query: int
    round_up_bytes: int
    source: str


class EmrServerlessPrice(_Frozen):
    """EMR Serverless worker prices."""

    usd_per_vcpu_hour: float
    usd_per_memory_gb_hour: float
    usd_per_storage_gb_hour: float
    source: str


class Assumptions(_Frozen):
    """How often measured work repeats in a month."""

    athena_query_runs_per_month: int
    job_runs_per_month: int


class Prices(_Frozen):
    """Every unit price of the estimate, with region, source and date copied."""

    region: str
    currency: str
    copied_on: str
    s3_standard: S3StandardPrice
    athena: AthenaPrice
    emr_serverless: EmrServerlessPrice
    assumptions: Assumptions


def load_prices(path: Path | None = None) -> Prices:
    """Read the prices file.

    Parameters
    ----------
    path
        A prices YAML file; the packaged ``goldmine/cost/prices.yaml`` by default.

    Returns
    -------
    Prices
        The validated prices.
    """
    raw = yaml.safe_load((path or PRICES_FILE).read_text(encoding="utf-8"))
    return Prices.model_validate(raw)
