"""The settings of a submitting process, as ``GOLDMINE_*`` variables for the job it starts.

A job reads its settings once with ``load_settings()``, like every process; the
submitter hands its own settings on through the environment so that the job sees the
same buckets, data directory and services.
"""

from __future__ import annotations

import json
from typing import Any

from goldmine.settings import Endpoints, Settings

#: Fields a job in AWS needs from the submitter; the rest are machine-local or defaults.
_REMOTE_FIELDS = (
    "project",
    "region",
    "buckets",
    "tags",
    "spark_shuffle_partitions",
    "delta_log_table",
    "lease_table",
    "lease_seconds",
)


def settings_environment(
    settings: Settings, *, endpoints: Endpoints | None = None, remote: bool = False
) -> dict[str, str]:
    """Return ``GOLDMINE_*`` variables that make ``load_settings()`` equal ``settings``.

    Parameters
    ----------
    settings
        The submitter's settings.
    endpoints
        Endpoints already resolved (the running local services); passing them lets a
        local job use the services without starting or checking them again.
    remote
        For a job that runs in AWS (EMR, EMR Serverless): the environment is ``aws``,
        bucket names are kept explicitly, machine-local fields are left out, and nested
        values are flat ``GOLDMINE_BUCKETS__RAW`` variables (no JSON: they travel inside
        ``spark-submit`` parameters).
    """
    values: dict[str, Any] = settings.model_dump(mode="json")
    if endpoints is not None:
        values["endpoints"] = endpoints.model_dump(mode="json")
    if remote:
        remote_values = {"environment": "aws", **{k: values[k] for k in _REMOTE_FIELDS}}
        return dict(_flatten("GOLDMINE", remote_values))
    env = {}
    for key, value in values.items():
        if value is None:
            continue  # unset: the job's default is None too ("null" would be read as text)
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
        env[f"GOLDMINE_{key.upper()}"] = text
    return env


def _flatten(prefix: str, values: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in values.items():
        name = f"{prefix}_{key.upper()}" if prefix == "GOLDMINE" else f"{prefix}__{key.upper()}"
        if isinstance(value, dict):
            pairs += _flatten(name, value)
        else:
            pairs.append((name, str(value)))
    return pairs
