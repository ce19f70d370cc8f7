"""Read the roles to deploy from ``goldmine.iam`` (the one source of IAM truth)."""

from __future__ import annotations

from dataclasses import dataclass

from goldmine.iam import CONSUMES, policy_for, role_names
from goldmine.settings import DOMAINS, Settings
from goldmine_infra._roles import RoleSpec
from goldmine_infra._tagging import PLATFORM_DOMAIN

#: Prefix of the Spark job roles (``spark-lake``, ``spark-lakehouse``, ``spark-mesh``).
JOB_ROLE_PREFIX = "spark-"
#: The job role of lake ingestion (object-created ingests and backfills).
INGEST_ROLE = "spark-lake"


@dataclass(frozen=True)
class RoleSpecs:
    """Roles split by who assumes them.

    Parameters
    ----------
    jobs
        Roles EMR Serverless job runs assume (processing stack).
    people
        Roles analysts, producers and consumers assume (governance stack).
    """

    jobs: list[RoleSpec]
    people: list[RoleSpec]


def _ownership(name: str) -> tuple[str, str | None, tuple[str, ...]]:
    """Return (cost domain, data product, consumed mesh domains) of a role name."""
    kind, _, rest = name.partition("-")
    if kind == "spark":
        return (rest if rest in ("lake", "lakehouse") else PLATFORM_DOMAIN), None, ()
    if kind == "producer":
        upstream = tuple(sorted({p.split(".", 1)[0] for p in CONSUMES.get(rest, ())}))
        return rest, None, upstream
    if kind == "consumer":
        domain = rest.split(".", 1)[0]
        return domain, rest, (domain,)
    return PLATFORM_DOMAIN, None, ()


def role_specs(settings: Settings, *, kms_key_arn: str | None = None) -> RoleSpecs:
    """Return every ``goldmine.iam`` role with its generated policy documents.

    Parameters
    ----------
    settings
        The platform settings.
    kms_key_arn
        The data key's ARN (a CDK token at synth time), passed to ``policy_for``
        so S3 grants include the key, exactly as ``goldmine iam policy`` would.
    """
    jobs: list[RoleSpec] = []
    people: list[RoleSpec] = []
    for name in role_names(settings):
        domain, product, consumes = _ownership(name)
        spec = RoleSpec(
            name=name,
            documents=tuple(policy_for(name, settings, kms_key_arn=kms_key_arn)),
            domain=domain,
            data_product=product,
            consumes=tuple(d for d in consumes if d in DOMAINS),
        )
        (jobs if name.startswith(JOB_ROLE_PREFIX) else people).append(spec)
    return RoleSpecs(jobs=jobs, people=people)
