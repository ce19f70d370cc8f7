"""Every job runs end to end on a real Spark standalone cluster and matches local runs.

The cluster (one master, two 1-core workers) is started with ``spark-class`` in the
session platform's data directory. The master's and workers' JSON APIs prove that the
executors of each application ran on both workers (separate JVMs, whose process ids
the executor logs name).

Which run proves what:

- ``make test`` (not ``slow``; two minutes on top of the session's builds):
  ``lakehouse_build`` submitted to the cluster against the session's landed week,
  its tables (bronze, silver, gold, ledger) and validation results equal to those of
  the session's in-process ``build_lakehouse`` (``lakehouse_built``, local[2]).
- ``make test-slow`` (``-m slow``; tens of minutes): every job, by pipeline (``smoke``
  too: its local-vs-cluster pair cost 80 s of ``make test`` and proved no more than the
  ``lakehouse_build`` run on the cluster, issue 18). Each case
  lands its own copy of the test week in a private platform, runs its jobs with
  ``--target local`` (``spark-submit`` to ``local[*]``), snapshots what they wrote,
  deletes it, reruns with ``--target standalone`` and compares table content:
  ``lake`` (``lake_ingest`` + ``lake_build``), ``lakehouse-steps`` (bronze, silver,
  gold as three jobs), ``lakehouse-build`` (one job) and ``mesh`` (``mesh_publish``).

Cases are defined for the pipelines whose entry points exist in ``jobs/``; a job
without a case fails ``test_every_job_has_a_case``, so a new entry point gets one.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from goldmine.jobs import (
    ClusterSpec,
    cluster_down,
    cluster_up,
    discover_jobs,
    get_job,
    master_json,
    submit_local,
)
from goldmine.settings import DOMAINS
from tests.conftest import WEEK_DAYS, WEEK_SCALE, WEEK_SEED, make_settings

pytestmark = [pytest.mark.integration, pytest.mark.spark]


@dataclass(frozen=True)
class Case:
    """A pipeline of jobs, its arguments, and where its outputs live."""

    steps: tuple[tuple[str, tuple[str, ...]], ...]
    outputs: tuple[tuple[str, str], ...]  # (bucket role or "mesh:<domain>", key prefix)
    needs_source: bool = True  # land the test week first (smoke lands its own source)
    marks: tuple[Any, ...] = field(default=())

    @property
    def jobs(self) -> set[str]:
        return {name for name, _ in self.steps}


CASES: dict[str, Case] = {
    "smoke": Case(
        steps=(("smoke", ("--days", "1", "--scale", "0.01", "--seed", "5")),),
        outputs=(("lakehouse", "_smoke/"),),
        needs_source=False,
        marks=(pytest.mark.slow,),
    ),
    "lake": Case(
        steps=(("lake_ingest", ("--all",)), ("lake_build", ())),
        outputs=(("raw", ""), ("curated", ""), ("analytics", "")),
        marks=(pytest.mark.slow,),
    ),
    "lakehouse-steps": Case(
        steps=(("lakehouse_bronze", ()), ("lakehouse_silver", ()), ("lakehouse_gold", ())),
        outputs=(("lakehouse", ""),),
        marks=(pytest.mark.slow,),
    ),
    "mesh": Case(
        steps=(("mesh_publish", ()),),
        outputs=tuple((f"mesh:{d}", "") for d in DOMAINS),
        marks=(pytest.mark.slow,),
    ),
    "lakehouse-build": Case(
        steps=(("lakehouse_build", ()),),
        outputs=(("lakehouse", ""),),
        marks=(pytest.mark.slow,),
    ),
}


def _available() -> list[Any]:
    known = set(discover_jobs())
    return [
        pytest.param(name, case, id=name, marks=case.marks)
        for name, case in CASES.items()
        if case.jobs <= known
    ]


@pytest.fixture(scope="module")
def cluster(platform) -> Iterator[Any]:
    status = cluster_up(platform.settings, ClusterSpec())
    yield status
    cluster_down(platform.settings)


def test_every_job_has_a_case():
    covered = set().union(*(c.jobs for c in CASES.values()))
    assert set(discover_jobs()) <= covered, "add a Case for the new job entry points"


def test_cluster_has_two_alive_workers(cluster):
    from goldmine.jobs._cluster import DAEMON_JAVA_OPTIONS

    workers = master_json(cluster)["workers"]
    assert [w["state"] for w in workers] == ["ALIVE", "ALIVE"]
    assert {w["cores"] for w in workers} == {1}
    # the master and the workers are JVMs that run the daemons' options (ADR 0038)
    for name, pid in cluster.pids.items():
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        assert "java" in Path(arguments[0]).name, (name, arguments[:3])
        assert set(DAEMON_JAVA_OPTIONS) <= set(arguments), (name, arguments)


@pytest.mark.parametrize(("name", "case"), _available())
def test_job_on_standalone_equals_local(name, case, platform, cluster, tmp_path_factory):
    # A private platform: the jobs land, overwrite and delete data that the session's
    # shared fixtures (landed_week, built tables) must keep.
    target = _private_platform(tmp_path_factory.mktemp(f"jobs-{name}"), land=case.needs_source)
    try:
        _clear(target, case)
        for job, args in case.steps:
            run = submit_local(target, get_job(job), list(args), master="local[*]")
            assert run.succeeded, f"{job} failed on local[*]:\n{_errors(run.output)}"
        local = _snapshot(target, case)
        assert local, f"{name} wrote no table under {case.outputs}"
        _clear(target, case)

        before = {a["id"] for a in master_json(cluster)["completedapps"]}
        for job, args in case.steps:
            run = submit_local(
                target, get_job(job), list(args), master=cluster.master_url,
                extra_conf=ClusterSpec().submit_conf(),
            )  # fmt: skip
            assert run.succeeded, f"{job} failed on the cluster:\n{_errors(run.output)}"
        apps = [a for a in master_json(cluster)["completedapps"] if a["id"] not in before]
        spark_jobs = [j for j, _ in case.steps if _uses_spark(j)]
        assert len(apps) == len(spark_jobs)
        for app in apps:
            _assert_ran_on_both_workers(platform, cluster, app["id"])

        assert _snapshot(target, case) == local
    finally:
        from goldmine.local import stop_services

        stop_services(target.settings)


def test_lakehouse_build_on_standalone_equals_the_session_build(
    platform, cluster, lakehouse_built, tmp_path_factory
):
    """``lakehouse_build`` on the cluster writes what the in-process build wrote.

    The default run's proof: it reuses the session's landed week and its
    ``lakehouse_built`` tables (``build_lakehouse`` on the test session, local[2]),
    submits one job to the cluster, and compares every lakehouse table (bronze, silver,
    gold, ledger) and validation result. The slow cases compare ``--target local``
    (``spark-submit``) with ``--target standalone`` for every job.
    """
    target = _sibling_platform(platform, tmp_path_factory.mktemp("jobs-sibling"))
    case = Case(steps=(("lakehouse_build", ()),), outputs=(("lakehouse", ""),))
    local = _snapshot(platform, case)
    assert any(key.startswith("lakehouse:gold/") for key in local), sorted(local)

    before = {a["id"] for a in master_json(cluster)["completedapps"]}
    run = submit_local(
        target, get_job("lakehouse_build"), [], master=cluster.master_url,
        extra_conf=ClusterSpec().submit_conf(),
    )  # fmt: skip
    assert run.succeeded, f"lakehouse_build failed on the cluster:\n{_errors(run.output)}"
    apps = [a for a in master_json(cluster)["completedapps"] if a["id"] not in before]
    assert len(apps) == 1
    _assert_ran_on_both_workers(platform, cluster, apps[0]["id"])

    assert _snapshot(target, case) == local


def _errors(output: str) -> str:
    """The lines of a job's output worth reading (pytest's tmp dirs do not outlive runs)."""
    keep = [line for line in output.splitlines() if re.search(r"Error|Exception|Caused by", line)]
    return "\n".join(keep[:30]) or output[-3000:]


def _uses_spark(job: str) -> bool:
    return job != "lake_ingest"  # copies objects with boto3; no Spark application


def _private_platform(data_dir, *, land: bool):
    from goldmine.platform import connect
    from goldmine.sales import GeneratorConfig, S3Sink, generate_sales

    target = connect(make_settings(data_dir))
    if not land:
        return target
    sink = S3Sink(target.aws.s3(), target.settings.buckets.landing)
    generate_sales(sink, GeneratorConfig(days=WEEK_DAYS, scale=WEEK_SCALE, seed=WEEK_SEED))
    return target


#: The sibling platform's project: not named ``goldmine*``, so the session platform's
#: cost audit (resources named after its project) does not count its buckets and
#: Glue databases, as for the demo's ``demo`` project.
SIBLING_PROJECT = "standalone"


def _sibling_platform(platform, data_dir):
    """A platform on the session's running services with its own buckets and Glue
    databases (project :data:`SIBLING_PROJECT`) that reads the session's landing bucket.

    Its jobs see the landed week as the session's builds did (same source URIs in
    bronze and silver) and write nothing the session's fixtures hold. The buckets it
    creates get its cost tags; the shared landing bucket keeps the session's.
    """
    from goldmine.lease import ensure_dynamodb_tables
    from goldmine.platform import connect, ensure_buckets
    from goldmine.tags import bucket_domains, tag_bucket, tags_for

    settings = make_settings(
        data_dir,
        project=SIBLING_PROJECT,
        buckets={"landing": platform.settings.buckets.landing},
        endpoints=platform.aws.endpoints,
    )
    target = connect(settings)  # endpoints given: starts, creates and tags nothing
    s3, domains = target.aws.s3(), bucket_domains(settings)
    for bucket in ensure_buckets(target):
        tag_bucket(s3, bucket, tags_for(settings, domain=domains[bucket]))
    ensure_dynamodb_tables(target.aws.client("dynamodb"), settings)  # its leases, its commits
    return target


def _assert_ran_on_both_workers(platform, cluster, app_id: str) -> None:
    executors: dict[str, list[dict[str, Any]]] = {}
    for worker in master_json(cluster)["workers"]:
        with urllib.request.urlopen(f"{worker['webuiaddress']}/json/", timeout=5) as response:
            state = json.loads(response.read())
        ran = [e for e in state["executors"] + state["finishedexecutors"] if e["appid"] == app_id]
        executors[worker["id"]] = ran
    assert all(executors.values()), f"{app_id}: executors per worker {executors}"
    # Each executor is its own JVM: its log names its process id.
    work = platform.settings.data_dir / "spark" / "work"
    pids = set()
    for log in work.glob(f"worker-*/{app_id}/*/stderr"):
        match = re.search(r"process name: (\d+)@", log.read_text())
        assert match, log
        pids.add(int(match.group(1)))
    assert len(pids) >= 2


def _objects(target, bucket: str, prefix: str) -> list[dict[str, Any]]:
    s3 = target.aws.s3()
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [o for page in pages for o in page.get("Contents", [])]


def _bucket(target, role: str) -> str:
    buckets = target.settings.buckets
    return (
        buckets.mesh[role.split(":", 1)[1]] if role.startswith("mesh:") else getattr(buckets, role)
    )


def _clear(target, case: Case) -> None:
    """Delete what ``case`` writes, deepest keys first, and its Delta tables' commit claims.

    The local store lists folders as keys (``zone/table/``) and retries deleting a
    non-empty one for about ten seconds, so a folder goes after the objects under it
    (reverse key order). A Delta table's claims in DynamoDB (ADR 0023) go with it: a
    claim of version 0 left behind fails the next run's first commit there.
    """
    s3, ddb = target.aws.s3(), target.aws.client("dynamodb")
    roots = []
    for role, prefix in case.outputs:
        bucket = _bucket(target, role)
        keys = sorted((o["Key"] for o in _objects(target, bucket, prefix)), reverse=True)
        for key in keys:
            s3.delete_object(Bucket=bucket, Key=key)
        roots.append(target.s3_uri(bucket, prefix).rstrip("/"))
    claims = target.settings.delta_log_table
    for page in ddb.get_paginator("scan").paginate(TableName=claims):
        for item in page["Items"]:
            if item["tablePath"]["S"].startswith(tuple(roots)):
                key = {k: item[k] for k in ("tablePath", "fileName")}
                ddb.delete_item(TableName=claims, Key=key)


def _snapshot(target, case: Case) -> dict[str, Any]:
    """Return what ``case`` wrote, keyed ``<bucket role>:<key>`` (bucket names may differ).

    Each Delta table and Parquet dataset as its sorted rows (without run-time columns),
    each JSON document (validation results, mesh registry) without what names or times
    its run, and each other plain object outside tables, ledgers and catalog files as
    its ETag.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq
    from deltalake import DeltaTable

    options = target.aws.storage_options()
    s3 = target.aws.s3()
    snapshot: dict[str, Any] = {}
    for role, prefix in case.outputs:
        bucket = _bucket(target, role)
        objects = _objects(target, bucket, prefix)
        keys = [o["Key"] for o in objects]
        tables = sorted({k.split("/_delta_log/")[0] for k in keys if "/_delta_log/" in k})
        for table in tables:
            data = DeltaTable(f"s3://{bucket}/{table}", storage_options=options).to_pyarrow_table()
            snapshot[f"{role}:{table}"] = _rows(data)
        rest = [k for k in keys if not any(k.startswith(f"{t}/") for t in tables)]
        datasets: dict[str, list[str]] = {}
        for key in rest:
            if key.endswith(".parquet"):
                datasets.setdefault(_dataset_root(key), []).append(key)
        for root, files in sorted(datasets.items()):
            parts = [pq.read_table(pa.BufferReader(_body(s3, bucket, k))) for k in sorted(files)]
            snapshot[f"{role}:{root}"] = sorted(r for p in parts for r in _rows(p))
        for obj in objects:
            key = obj["Key"]
            if key not in rest or key.endswith((".parquet", "/")) or _is_metadata(key):
                continue
            name = f"{role}:{_RUN_ID.sub('<run>', key)}"
            if key.endswith(".json"):
                snapshot[name] = _without_run(json.loads(_body(s3, bucket, key)))
            else:
                snapshot[name] = obj.get("ETag") or obj["Size"]
    return snapshot


def _body(s3: Any, bucket: str, key: str) -> bytes:
    body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return body


#: Keys of a JSON document (validation results, mesh registry and run records) that
#: name or time its run, or sample rows in an order that depends on partitioning: not
#: what the run computed. ``digest``: a publication's input fingerprint hashes the run
#: ids of the input publications it read (ADR 0020); its readable parts stay compared.
RUN_KEYS = frozenset(
    {
        "id", "run_id", "run_time", "validation_time", "ge_load_time", "checked_at",
        "published_at", "digest",
    }
)  # fmt: skip
#: A run id (uuid4 hex) inside a key or a value, e.g. ``_registry/orders/v1/runs/<id>/``.
_RUN_ID = re.compile(r"\b[0-9a-f]{32}\b")


def _without_run(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: _without_run(v)
            for k, v in value.items()
            if k not in RUN_KEYS and not k.startswith("partial_unexpected")
        }
    if isinstance(value, list):
        return [_without_run(v) for v in value]
    if isinstance(value, str):
        return _RUN_ID.sub("<run>", value)
    return value


#: Columns that record when a run happened, not what it computed (run ledgers, load times).
RUN_TIME_COLUMNS = frozenset(
    {"finished_at", "started_at", "ingested_at", "processed_at", "loaded_at", "run_id"}
)


def _rows(table: Any) -> list[tuple[str, ...]]:
    names = sorted(n for n in table.column_names if n not in RUN_TIME_COLUMNS)
    columns = [table.column(n).to_pylist() for n in names]
    return sorted(tuple(repr(v) for v in row) for row in zip(*columns, strict=True))


def _dataset_root(key: str) -> str:
    """``zone/table/date=2025-01-06/part-0.parquet`` -> ``zone/table``."""
    parts = key.split("/")[:-1]
    while parts and "=" in parts[-1]:
        parts.pop()
    return "/".join(parts)


def _is_metadata(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return (
        key.startswith(("_ledger/", "_catalog/"))
        or name.startswith(("_", "."))
        or (name.endswith(".crc"))
    )
