"""Run metrics and lineage: every ingest, build and publish run, recorded and emitted.

Each run of a build's entry point (wrapped by :func:`observe_run`) leaves

- a :class:`RunSummary` JSON at ``s3://<artifacts>/runs/<architecture>/<run_id>.json``
  (read back with :func:`load_run_summaries`);
- CloudWatch metrics under ``settings.observability.metrics_namespace``
  (:func:`metric_data` lists them);
- a Prometheus textfile under ``<data_dir>/metrics/`` (and a Pushgateway push when
  configured);
- OpenLineage run events: files under ``<data_dir>/lineage/`` (and HTTP when configured).

See docs/adr/0022-run-metrics-and-lineage.md and docs/operations.md.
"""

from goldmine.observe._cloudwatch import metric_data, put_run_metrics
from goldmine.observe._delta_log import delta_files_added_since, delta_written_since
from goldmine.observe._emit_run import metrics_directory, record_run
from goldmine.observe._lineage import (
    dataset_name,
    job_name,
    lineage_namespace,
    read_events,
    run_events,
    run_uuid,
)
from goldmine.observe._observe_run import RunContext, StepClock, Summarize, observe_run
from goldmine.observe._prometheus import run_registry, textfile_path, write_run_textfile
from goldmine.observe._run_summary import (
    ARCHITECTURES,
    Dataset,
    FeedFigures,
    LineageStep,
    QualityResult,
    RunFigures,
    RunSummary,
    StepFigures,
    TableFigures,
)
from goldmine.observe._store_summaries import (
    RUNS_PREFIX,
    load_run_summaries,
    runs_location,
    save_run_summary,
)

__all__ = [
    "ARCHITECTURES",
    "RUNS_PREFIX",
    "Dataset",
    "FeedFigures",
    "LineageStep",
    "QualityResult",
    "RunContext",
    "RunFigures",
    "RunSummary",
    "StepClock",
    "StepFigures",
    "Summarize",
    "TableFigures",
    "dataset_name",
    "delta_files_added_since",
    "delta_written_since",
    "job_name",
    "lineage_namespace",
    "load_run_summaries",
    "metric_data",
    "metrics_directory",
    "observe_run",
    "put_run_metrics",
    "read_events",
    "record_run",
    "run_events",
    "run_registry",
    "run_uuid",
    "runs_location",
    "save_run_summary",
    "textfile_path",
    "write_run_textfile",
]
