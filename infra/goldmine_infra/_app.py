"""The CDK app: every stack of one deployed environment, tagged and checked by cdk-nag."""

from __future__ import annotations

from aws_cdk import App, Aspects, Environment, Stack
from cdk_nag import AwsSolutionsChecks

from goldmine.settings import DOMAINS, Settings
from goldmine.tags import BUCKET_ROLE_DOMAINS
from goldmine_infra._catalog import CatalogStack
from goldmine_infra._governance import GovernanceStack
from goldmine_infra._ingestion import IngestionStack
from goldmine_infra._intents import INGEST_ROLE, role_specs
from goldmine_infra._monitoring import MonitoringStack
from goldmine_infra._naming import camel, stack_name
from goldmine_infra._processing import ProcessingStack
from goldmine_infra._query import QueryStack
from goldmine_infra._secrets import SecretsStack
from goldmine_infra._storage import StorageStack
from goldmine_infra._tagging import tag

#: CDK feature flags the stacks rely on (also in cdk.json for the CLI).
FEATURE_FLAGS: dict[str, object] = {
    # Grant S3 log delivery by bucket policy, so the log bucket can enforce ownership.
    "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True,
    # Exports protect the producing stack from removing what a consumer still uses.
    "@aws-cdk/core:defaultCrossStackReferences": "strong",
}

#: Stack parts in deployment order (``goldmine-aws-<part>``).
STACK_PARTS: tuple[str, ...] = (
    "storage",
    "catalog",
    "query",
    "processing",
    "governance",
    "secrets",
    "ingestion",
    "monitoring",
)


def build_app(
    settings: Settings, *, outdir: str | None = None, image_tag: str | None = None
) -> App:
    """Build the CDK app of one environment (``settings.environment``).

    Parameters
    ----------
    settings
        The platform settings; names of buckets, databases, workgroups, the EMR
        release and the secret all come from here.
    outdir
        The cloud assembly directory (``infra/cdk.out`` by default through ``cdk.json``).
    image_tag
        Tag of the custom job image in the stack's ECR repository; when set, the EMR
        Serverless application runs it (push the image before deploying).

    Returns
    -------
    App
        The app with stacks ``<project>-<environment>-<part>`` for each ``STACK_PARTS``.
    """
    app = App(outdir=outdir, context=dict(FEATURE_FLAGS))
    env = Environment(region=settings.region)

    def name(part: str) -> str:
        return stack_name(settings, part)

    storage = StorageStack(
        app,
        name("storage"),
        settings=settings,
        env=env,
        description=f"{settings.project}: buckets of every zone, layer and domain",
    )
    catalog = CatalogStack(
        app,
        name("catalog"),
        settings=settings,
        buckets=storage.buckets,
        env=env,
        description=f"{settings.project}: Glue databases",
    )
    query = QueryStack(
        app,
        name("query"),
        settings=settings,
        results=storage.buckets["athena_results"],
        key=storage.key,
        env=env,
        description=f"{settings.project}: Athena workgroups",
    )
    specs = role_specs(settings, kms_key_arn=storage.key.key_arn)
    processing = ProcessingStack(
        app,
        name("processing"),
        settings=settings,
        job_roles=specs.jobs,
        artifacts=storage.buckets["artifacts"],
        key=storage.key,
        image_tag=image_tag,
        env=env,
        description=f"{settings.project}: EMR Serverless application and job roles",
    )
    governance = GovernanceStack(
        app,
        name("governance"),
        settings=settings,
        roles=specs.people,
        databases=catalog.databases,
        env=env,
        description=f"{settings.project}: IAM roles and Lake Formation grants",
    )
    governance.add_stack_dependency(catalog, "Lake Formation grants need the mesh databases")
    secrets = SecretsStack(
        app,
        name("secrets"),
        settings=settings,
        env=env,
        description=f"{settings.project}: source-system credentials with rotation",
    )
    ingestion = IngestionStack(
        app,
        name("ingestion"),
        settings=settings,
        landing=storage.buckets["landing"],
        artifacts=storage.buckets["artifacts"],
        application_id=processing.application.attr_application_id,
        application_arn=processing.application.attr_arn,
        job_roles=processing.job_roles,
        ingest_role=INGEST_ROLE,
        env=env,
        description=f"{settings.project}: event-driven ingestion, daily build, backfill",
    )
    monitoring = MonitoringStack(
        app,
        name("monitoring"),
        settings=settings,
        application_id=processing.application.attr_application_id,
        machines=ingestion.machines,
        workgroups=query.workgroups,
        env=env,
        description=f"{settings.project}: alarms and dashboard",
    )

    for stack in (storage, catalog, query, processing, governance, secrets, ingestion, monitoring):
        tag(stack, settings)
    for role, bucket in storage.buckets.items():
        tag(bucket, settings, domain=BUCKET_ROLE_DOMAINS[role])
    for domain in DOMAINS:
        tag(query.node.find_child(camel(domain)), settings, domain=domain)
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app


def stacks_of(app: App) -> list[Stack]:
    """Return the stacks of ``app`` in deployment order."""
    return [c for c in app.node.children if isinstance(c, Stack)]
