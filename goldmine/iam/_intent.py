"""Access written as intent: who, what access level, on which data.

Modelled on policy_sentry's CRUD templates: an access level times a list of resources;
the JSON is generated (``_generate_policy.py``), never written by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

AccessLevel = Literal["read", "write", "list", "tagging", "manage"]
ACCESS_LEVELS: tuple[str, ...] = ("list", "read", "write", "tagging", "manage")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class S3Location(_Frozen):
    """A bucket, or one prefix of it.

    Parameters
    ----------
    bucket
        The bucket name.
    prefix
        Key prefix, normalised to end with ``/``; ``""`` is the whole bucket.
    """

    bucket: str
    prefix: str = ""

    @field_validator("prefix")
    @classmethod
    def _normalise(cls, value: str) -> str:
        value = value.strip("/")
        return f"{value}/" if value else ""

    @classmethod
    def from_uri(cls, uri: str) -> S3Location:
        """Parse ``s3://bucket/prefix/``."""
        if not uri.startswith("s3://"):
            raise ValueError(f"not an s3:// URI: {uri!r}")
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return cls(bucket=bucket, prefix=prefix)


class GlueLocation(_Frozen):
    """A Glue database, or one table of it.

    Parameters
    ----------
    database
        The Glue database name.
    table
        One table; ``None`` means every table of the database.
    """

    database: str
    table: str | None = None


DynamoKind = Literal["delta-log", "leases"]


class DynamoLocation(_Frozen):
    """One of the platform's DynamoDB tables (docs/adr/0023).

    Parameters
    ----------
    table
        The table name.
    kind
        ``delta-log`` (Delta commit claims) or ``leases`` (run leases): what the table
        holds decides which item actions each access level needs.
    """

    table: str
    kind: DynamoKind


class Grant(_Frozen):
    """One access level of one principal on a set of resources.

    Parameters
    ----------
    principal
        The role (or user) name the grant is for.
    level
        ``list``, ``read``, ``write``, ``tagging`` or ``manage``.
    s3
        Buckets and prefixes.
    glue
        Glue databases and tables.
    kms_keys
        ARNs of the KMS keys that encrypt ``s3`` / ``glue`` data.
    workgroups
        Athena workgroup names.
    dynamodb
        DynamoDB tables (item actions only).
    metric_namespaces
        CloudWatch namespaces the principal may put metrics in (``write``).
    """

    principal: str
    level: AccessLevel
    s3: tuple[S3Location, ...] = ()
    glue: tuple[GlueLocation, ...] = ()
    kms_keys: tuple[str, ...] = ()
    workgroups: tuple[str, ...] = ()
    dynamodb: tuple[DynamoLocation, ...] = ()
    metric_namespaces: tuple[str, ...] = ()


def grants(
    principal: str,
    levels: Iterable[AccessLevel],
    *,
    s3: Iterable[S3Location] = (),
    glue: Iterable[GlueLocation] = (),
    kms_keys: Iterable[str] = (),
    workgroups: Iterable[str] = (),
    dynamodb: Iterable[DynamoLocation] = (),
    metric_namespaces: Iterable[str] = (),
) -> list[Grant]:
    """Return one :class:`Grant` per level on the same resources.

    Examples
    --------
    >>> [g.level for g in grants("analyst", ["list", "read"], s3=[S3Location(bucket="b")])]
    ['list', 'read']
    """
    s3_t, glue_t, kms_t, wg_t = tuple(s3), tuple(glue), tuple(kms_keys), tuple(workgroups)
    ddb_t, ns_t = tuple(dynamodb), tuple(metric_namespaces)
    return [
        Grant(
            principal=principal,
            level=level,
            s3=s3_t,
            glue=glue_t,
            kms_keys=kms_t,
            workgroups=wg_t,
            dynamodb=ddb_t,
            metric_namespaces=ns_t,
        )
        for level in levels
    ]
