"""The Athena engine (``aws``): the analyst's SQL as written, through awswrangler."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.aws import configure_wrangler

if TYPE_CHECKING:
    import pandas as pd

from goldmine.platform import Platform


@dataclass(frozen=True)
class AthenaRun:
    """The result of one Athena query and what it scanned."""

    frame: pd.DataFrame
    query_id: str | None
    bytes_scanned: int
    cost_usd: float


def athena_cost_usd(bytes_scanned: int) -> float:
    """Return what Athena bills for a query: $5/TB, rounded up to the MB, 10 MB minimum."""
    from goldmine.cost import billed_athena_bytes, load_prices

    price = load_prices().athena
    return billed_athena_bytes(bytes_scanned, price) / price.tb_bytes * price.usd_per_tb_scanned


def run_athena(platform: Platform, sql: str, database: str, *, architecture: str) -> AthenaRun:
    """Run ``sql`` on Athena in the settings' workgroup and record what it scanned.

    The scan is appended to ``<data_dir>/runs/athena-scans.json`` for
    ``goldmine cost estimate``.
    """
    import awswrangler as wr

    configure_wrangler(platform.aws)
    frame = wr.athena.read_sql_query(
        sql,
        database=database,
        workgroup=platform.settings.athena_workgroup,
        ctas_approach=False,
        boto3_session=platform.aws.session(),
    )
    metadata: dict[str, Any] = dict(getattr(frame, "query_metadata", None) or {})
    scanned = int(metadata.get("Statistics", {}).get("DataScannedInBytes", 0))
    _record_scan(platform, sql, scanned, architecture)
    return AthenaRun(
        frame=frame,
        query_id=metadata.get("QueryExecutionId"),
        bytes_scanned=scanned,
        cost_usd=athena_cost_usd(scanned),
    )


def _record_scan(platform: Platform, sql: str, scanned: int, architecture: str) -> None:
    from goldmine.cost._measure import ATHENA_SCANS_FILE

    runs = platform.settings.data_dir / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    path = runs / ATHENA_SCANS_FILE
    scans = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    scans = [s for s in scans if not (isinstance(s, dict) and s.get("query") == sql)]
    scans.append({"query": sql, "bytes_scanned": scanned, "architecture": architecture})
    path.write_text(json.dumps(scans, indent=2), encoding="utf-8")
