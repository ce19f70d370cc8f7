"""Alarms and dashboards on the platform's own run metrics (``goldmine.observe``, ADR 0022).

Every ingest, build and publish run puts its figures in one CloudWatch namespace
(``settings.observability.metrics_namespace``) with the dimensions ``Environment``,
``Architecture`` and ``Feed`` / ``Table`` / ``Product`` / ``Command`` / ``Step``. Here:

- one alarm per feed on its quarantine rate: the highest rate any of the three builds
  reported for the feed in the last hour (metric math ``MAX``), above
  :data:`QUARANTINE_RATE_MAX` percent;
- the gold freshness alarm: the newest order date the lake, the lakehouse or the mesh built is
  more than :data:`GOLD_MAX_AGE_DAYS` days old, or no build reported one in 24 h;
- one dashboard per architecture: runs, steps, records per feed, quarantine, rows and
  bytes written per table (``SEARCH`` expressions, so new tables appear by themselves).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cw

from goldmine.observe import ARCHITECTURES
from goldmine.rules import LANDING_PREFIXES
from goldmine.settings import Settings

#: A feed's quarantine rate (percent of records read) above which someone should look.
QUARANTINE_RATE_MAX = 5.0
#: Gold is stale when its newest built order date is more than this many days old.
GOLD_MAX_AGE_DAYS = 2
#: The builds that report the newest order date they built: the lake's and the
#: lakehouse's gold, the mesh's finance.revenue (its freshness element, order_date).
GOLD_ARCHITECTURES = ("lake", "lakehouse", "mesh")
#: The source feeds: one quarantine-rate alarm each.
FEEDS: tuple[str, ...] = tuple(sorted(LANDING_PREFIXES))


def run_metric(
    settings: Settings,
    name: str,
    architecture: str,
    *,
    statistic: str = "Maximum",
    period: Duration | None = None,
    **dimensions: str,
) -> cw.Metric:
    """Return one run metric of ``architecture`` in the settings' environment."""
    return cw.Metric(
        namespace=settings.observability.metrics_namespace,
        metric_name=name,
        dimensions_map={
            "Environment": settings.environment,
            "Architecture": architecture,
            **dimensions,
        },
        statistic=statistic,
        period=period or Duration.hours(1),
        label=architecture,
    )


def quarantine_rate(settings: Settings, feed: str) -> cw.MathExpression:
    """Return the highest quarantine rate of ``feed`` over the three builds."""
    using = {
        arch: run_metric(settings, "QuarantineRate", arch, Feed=feed) for arch in ARCHITECTURES
    }
    return cw.MathExpression(
        expression=f"MAX([{', '.join(using)}])",
        using_metrics=using,
        label=f"{feed} quarantine rate (max of the builds)",
        period=Duration.hours(1),
    )


def gold_age(settings: Settings) -> cw.MathExpression:
    """Return the age in days of the newest order date in gold (the older of the builds)."""
    using = {
        arch: run_metric(settings, "NewestOrderDateAgeDays", arch, period=Duration.days(1))
        for arch in GOLD_ARCHITECTURES
    }
    return cw.MathExpression(
        expression=f"MAX([{', '.join(using)}])",
        using_metrics=using,
        label="days since the newest order date built into gold",
        period=Duration.days(1),
    )


def _search(settings: Settings, architecture: str, keys: str, metric: str, stat: str) -> str:
    namespace = settings.observability.metrics_namespace
    return (
        f'SEARCH(\'{{{namespace},Environment,Architecture,{keys}}} MetricName="{metric}" '
        f'Environment="{settings.environment}" Architecture="{architecture}"\', '
        f"'{stat}', 3600)"
    )


def _graph(
    settings: Settings, architecture: str, title: str, keys: str, metric: str, stat: str = "Sum"
) -> cw.GraphWidget:
    expression = cw.MathExpression(
        expression=_search(settings, architecture, keys, metric, stat),
        using_metrics={},
        label="",
        period=Duration.hours(1),
    )
    return cw.GraphWidget(title=title, left=[expression], width=12)


def dashboard_widgets(
    settings: Settings, architecture: str, alarms: list[cw.Alarm]
) -> list[list[cw.IWidget]]:
    """Return the rows of widgets of one architecture's dashboard."""
    table = "Product" if architecture == "mesh" else "Table"
    command = "Command"
    rows: list[list[cw.IWidget]] = [
        [cw.AlarmStatusWidget(title=f"{architecture}: alarms", alarms=alarms, width=24)],
        [
            _graph(settings, architecture, "Run seconds", command, "RunSeconds", "Maximum"),
            _graph(settings, architecture, "Failed runs", command, "RunFailed"),
        ],
        [
            _graph(
                settings, architecture, "Step seconds", f"{command},Step", "StepSeconds", "Maximum"
            ),
            _graph(settings, architecture, "Records read per feed", "Feed", "RecordsRead"),
        ],
        [
            _graph(
                settings, architecture, "Records quarantined per feed", "Feed", "RecordsQuarantined"
            ),
            _graph(
                settings,
                architecture,
                "Quarantined records by reason",
                "Reason",
                "RecordsQuarantinedByReason",
            ),
        ],
        [
            _graph(
                settings, architecture, f"Rows written per {table.lower()}", table, "RowsWritten"
            ),
            _graph(
                settings, architecture, f"Bytes written per {table.lower()}", table, "BytesWritten"
            ),
        ],
    ]
    if architecture in GOLD_ARCHITECTURES:
        rows.append(
            [
                cw.GraphWidget(
                    title="Days since the newest order date built",
                    left=[
                        run_metric(
                            settings,
                            "NewestOrderDateAgeDays",
                            architecture,
                            period=Duration.days(1),
                        )
                    ],
                    left_annotations=[
                        cw.HorizontalAnnotation(value=GOLD_MAX_AGE_DAYS, label="stale above")
                    ],
                    width=24,
                )
            ]
        )
    return rows
