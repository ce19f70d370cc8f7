"""Run summaries as OpenLineage run events (START, COMPLETE, FAIL), and where they go.

A run is one OpenLineage job run (``lake.build``, ``mesh.publish.sales.orders``); each
of its transformations (:class:`LineageStep`, e.g. ``lake.build.curated``: raw ->
curated) is a child run (``parent`` facet) with its input and output datasets. A
dataset is named by its storage location (namespace ``s3://<bucket>``, name the path)
and carries its Glue table as a ``symlinks`` identifier; outputs carry ``schema`` (from
Glue) and ``outputStatistics`` (rows and bytes written), and data-quality results
ride as ``dataQualityAssertions`` on the dataset they judged.

Events go through the ``openlineage-python`` transports, built here from the settings
(the client's own config loader would read the environment and YAML files, which
only ``goldmine.settings`` may do): a file transport under ``<data_dir>/lineage/``
always, and an HTTP transport when ``observability.openlineage_url`` is set.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    error_message_run,
    output_statistics_output_dataset,
    parent_run,
    schema_dataset,
    symlinks_dataset,
    tags_run,
)
from openlineage.client.transport import Transport

from goldmine.observe._run_summary import Dataset, QualityResult, RunSummary

PRODUCER = "https://github.com/goldmine/goldmine"
#: A column's ``(name, type)``, as Glue holds it.
Columns = Sequence[tuple[str, str]]


def lineage_namespace(project: str, environment: str, configured: str = "") -> str:
    """Return the OpenLineage job namespace (``configured`` or ``<project>-<environment>``)."""
    return configured or f"{project}-{environment}"


def run_uuid(run_id: str) -> str:
    """Return the run id as a UUID (OpenLineage requires one): itself, or a stable uuid5 of it.

    Examples
    --------
    >>> run_uuid("0b8e9f3c-6c2e-4d55-9c77-2d1f0e4a1b22")
    '0b8e9f3c-6c2e-4d55-9c77-2d1f0e4a1b22'
    >>> run_uuid("test-sales.orders") == run_uuid("test-sales.orders")
    True
    """
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"goldmine:run:{run_id}"))


def job_name(architecture: str, command: str, subject: str = "") -> str:
    """Return the job name of a run: ``lake.build``, ``mesh.publish.sales.orders``."""
    base = f"{architecture}.{command}"
    return f"{base}.{subject}" if subject and subject != architecture else base


def dataset_name(location: str) -> tuple[str, str]:
    """Return OpenLineage's ``(namespace, name)`` of an S3 location.

    Examples
    --------
    >>> dataset_name("s3://goldmine-local-raw/orders/")
    ('s3://goldmine-local-raw', 'orders')
    """
    bucket, _, path = location.removeprefix("s3a://").removeprefix("s3://").partition("/")
    return f"s3://{bucket}", path.strip("/") or "/"


def start_event(summary_run_id: str, job: str, namespace: str, started_at: dt.datetime) -> RunEvent:
    """Return the START event of a run, sent before it does any work."""
    return RunEvent(
        eventType=RunState.START,
        eventTime=started_at.isoformat(),
        run=Run(runId=run_uuid(summary_run_id)),
        job=Job(namespace=namespace, name=job),
        producer=PRODUCER,
    )


def run_events(
    summary: RunSummary,
    namespace: str,
    glue_namespace: str,
    schemas: Mapping[str, Columns] | None = None,
) -> list[RunEvent]:
    """Return the events that end a run: each step's START and COMPLETE, then the run's own.

    Parameters
    ----------
    summary
        The finished run.
    namespace
        The job namespace (:func:`lineage_namespace`).
    glue_namespace
        ``arn:aws:glue:<region>:<account>``: the namespace of Glue table symlinks.
    schemas
        Columns per Glue table (``database.table``) for the ``schema`` facet.
    """
    schemas = schemas or {}
    parent = job_name(summary.architecture, summary.command, summary.subject)
    parent_id = run_uuid(summary.run_id)
    tags = tags_run.TagsRunFacet(
        tags=[
            tags_run.TagsRunFacetFields("goldmine.run_id", summary.run_id, "GOLDMINE"),
            tags_run.TagsRunFacetFields("goldmine.batches", ",".join(summary.batches), "GOLDMINE"),
        ]
    )
    events = []
    if summary.status != "failed":
        for step in summary.lineage:
            facets: dict[str, Any] = {
                "parent": parent_run.ParentRunFacet(
                    run=parent_run.Run(runId=parent_id),
                    job=parent_run.Job(namespace=namespace, name=parent),
                ),
                "tags": tags,
            }
            run = Run(runId=str(uuid.uuid5(uuid.UUID(parent_id), step.job)), facets=facets)
            job = Job(namespace=namespace, name=step.job)
            inputs = [_input(d, glue_namespace, summary.quality) for d in step.inputs]
            outputs = [_output(d, glue_namespace, summary, schemas) for d in step.outputs]
            for state, at in (
                (RunState.START, summary.started_at),
                (RunState.COMPLETE, summary.finished_at),
            ):
                events.append(
                    RunEvent(
                        eventType=state,
                        eventTime=at.isoformat(),
                        run=run,
                        job=job,
                        inputs=inputs,
                        outputs=outputs,
                        producer=PRODUCER,
                    )
                )
    run_facets: dict[str, Any] = {"tags": tags}
    if summary.status == "failed":
        run_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=summary.error or "failed", programmingLanguage="PYTHON"
        )
    events.append(
        RunEvent(
            eventType=RunState.FAIL if summary.status == "failed" else RunState.COMPLETE,
            eventTime=summary.finished_at.isoformat(),
            run=Run(runId=parent_id, facets=run_facets),
            job=Job(namespace=namespace, name=parent),
            producer=PRODUCER,
        )
    )
    return events


def _symlinks(dataset: Dataset, glue_namespace: str) -> dict[str, Any]:
    if not dataset.glue_table:
        return {}
    database, _, table = dataset.glue_table.partition(".")
    return {
        "symlinks": symlinks_dataset.SymlinksDatasetFacet(
            identifiers=[
                symlinks_dataset.Identifier(glue_namespace, f"table/{database}/{table}", "TABLE")
            ]
        )
    }


def _assertions(dataset: Dataset, quality: Sequence[QualityResult]) -> Any:
    judged = [q for q in quality if q.dataset == dataset.location]
    if not judged:
        return None
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=q.name, success=q.passed, description=q.detail or None
            )
            for q in judged
        ]
    )


def _input(dataset: Dataset, glue_namespace: str, quality: Sequence[QualityResult]) -> Any:
    namespace, name = dataset_name(dataset.location)
    assertions = _assertions(dataset, quality)
    return InputDataset(
        namespace=namespace,
        name=name,
        facets=_symlinks(dataset, glue_namespace),
        inputFacets={"dataQualityAssertions": assertions} if assertions else {},
    )


def _output(
    dataset: Dataset, glue_namespace: str, summary: RunSummary, schemas: Mapping[str, Columns]
) -> Any:
    namespace, name = dataset_name(dataset.location)
    facets = _symlinks(dataset, glue_namespace)
    columns = schemas.get(dataset.glue_table or "")
    if columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[schema_dataset.SchemaDatasetFacetFields(name=n, type=t) for n, t in columns]
        )
    assertions = _assertions(dataset, summary.quality)
    if assertions is not None:  # checks of a product before it was published
        facets["dataQualityAssertions"] = assertions
    written = [t for t in summary.tables if t.dataset.location == dataset.location]
    output_facets: dict[str, Any] = {}
    if written:
        output_facets["outputStatistics"] = (
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=written[0].rows_written, size=written[0].bytes_written
            )
        )
    return OutputDataset(namespace=namespace, name=name, facets=facets, outputFacets=output_facets)


def lineage_transports(data_dir: Path, url: str | None) -> list[Transport]:
    """Return the transports of the settings: files under ``data_dir/lineage``, HTTP if set."""
    from openlineage.client.transport.file import FileConfig, FileTransport

    directory = data_dir / "lineage"
    directory.mkdir(parents=True, exist_ok=True)
    transports: list[Transport] = [
        FileTransport(FileConfig(log_file_path=str(directory / "event"), append=False))
    ]
    if url:
        from openlineage.client.transport.http import HttpConfig, HttpTransport

        transports.append(HttpTransport(HttpConfig(url=url)))
    return transports


def emit_events(transports: Sequence[Transport], events: Sequence[RunEvent]) -> None:
    """Send every event through every transport, in order."""
    for event in events:
        for transport in transports:
            transport.emit(cast(Any, event))


def read_events(data_dir: Path) -> list[dict[str, Any]]:
    """Return the run events written by the file transport, in event time order."""
    import json

    found: list[dict[str, Any]] = []
    for path in sorted((data_dir / "lineage").glob("event-*.json")):
        found.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return sorted(found, key=lambda e: str(e["eventTime"]))
