"""Audit the cost tags of every platform resource."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from goldmine.settings import DOMAINS, Settings
from goldmine.tags._apply import read_bucket_tags
from goldmine.tags._policy import TagViolation, bucket_domains, check_tags


@dataclass(frozen=True)
class AuditFinding:
    """One violation on one resource.

    Parameters
    ----------
    arn
        The resource ARN.
    violation
        What is wrong with its tags.
    """

    arn: str
    violation: TagViolation


@dataclass(frozen=True)
class AuditReport:
    """Result of :func:`audit_tags`.

    Parameters
    ----------
    resources
        ARNs of every platform resource checked, sorted.
    findings
        Violations, sorted by ARN then policy key order.
    """

    resources: tuple[str, ...]
    findings: tuple[AuditFinding, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """Whether every platform resource complies."""
        return not self.findings

    def noncompliant(self) -> tuple[str, ...]:
        """Return the ARNs with at least one violation."""
        return tuple(dict.fromkeys(f.arn for f in self.findings))


def _resource_path(arn: str) -> str:
    """Return the part of an ARN after the account (``database/x``, ``bucket``)."""
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else arn


def _is_platform(arn: str, tags: dict[str, str], settings: Settings) -> bool:
    """Return whether a resource is the platform's: tagged with its project or named after it."""
    if tags.get("project") == settings.project:
        return True
    prefixes = (settings.project, settings.project.replace("-", "_"))
    return any(seg.startswith(prefixes) for seg in _resource_path(arn).split("/"))


def _expectations(arn: str, settings: Settings) -> tuple[dict[str, str], bool]:
    """Return the exact tag values this resource needs and whether it is one product."""
    expected = {"project": settings.project, "environment": settings.environment}
    path = _resource_path(arn)
    if arn.startswith("arn:aws:s3:::") and "/" not in path:
        domain = bucket_domains(settings).get(path)
        if domain is not None:
            expected["domain"] = domain
        return expected, False
    if arn.startswith("arn:aws:glue:"):
        kind, _, rest = path.partition("/")
        database = rest.split("/", 1)[0]
        for d in DOMAINS:
            if database == settings.database(f"mesh_{d}"):
                expected["domain"] = d
                return expected, kind == "table"
        if database.startswith(settings.database("lakehouse_")):
            expected["domain"] = "lakehouse"
        elif database.startswith(settings.database("lake_")):
            expected["domain"] = "lake"
    return expected, False


def _tagged_resources(tagging_client: Any) -> dict[str, dict[str, str]]:
    resources: dict[str, dict[str, str]] = {}
    for page in tagging_client.get_paginator("get_resources").paginate():
        for item in page.get("ResourceTagMappingList", []):
            tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
            resources[item["ResourceARN"]] = tags
    return resources


def audit_tags(
    tagging_client: Any, settings: Settings, *, s3_client: Any | None = None
) -> AuditReport:
    """Report every platform resource that misses a required tag or has a bad value.

    Resources come from the Resource Groups Tagging API (all pages). A bucket that
    never had a tag may be absent from that API, so with ``s3_client`` every bucket
    of the settings, and every other bucket named for the project, is checked too,
    with its tags read from S3.

    Parameters
    ----------
    tagging_client
        A boto3 ``resourcegroupstaggingapi`` client.
    settings
        The platform settings (project, environment, buckets, databases).
    s3_client
        A boto3 S3 client; without it untagged buckets may go unnoticed.

    Returns
    -------
    AuditReport
        The resources checked and the findings; ``report.ok`` when none.
    """
    resources = {
        arn: tags
        for arn, tags in _tagged_resources(tagging_client).items()
        if _is_platform(arn, tags, settings)
    }
    if s3_client is not None:
        known = bucket_domains(settings)
        for listed in s3_client.list_buckets().get("Buckets", []):
            bucket, arn = listed["Name"], f"arn:aws:s3:::{listed['Name']}"
            if bucket in known or _is_platform(arn, {}, settings):
                resources[arn] = read_bucket_tags(s3_client, bucket)
    findings: list[AuditFinding] = []
    for arn in sorted(resources):
        expected, is_product = _expectations(arn, settings)
        for violation in check_tags(
            resources[arn], require_data_product=is_product, expected=expected
        ):
            findings.append(AuditFinding(arn, violation))
    return AuditReport(resources=tuple(sorted(resources)), findings=tuple(findings))
