"""Generate least-privilege IAM policy JSON from grants; split it at the size limit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from goldmine.iam._intent import Grant, S3Location

POLICY_VERSION = "2012-10-17"
#: Managed policy size limit, in characters, whitespace excluded (as AWS counts).
MANAGED_POLICY_MAX_CHARS = 6144

# Actions per access level and resource kind. No wildcard actions anywhere.
_S3_OBJECT = {
    "read": ("s3:GetObject", "s3:GetObjectVersion"),
    "write": (
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    ),
    "tagging": ("s3:GetObjectTagging", "s3:PutObjectTagging"),
}
# Bucket-level actions, only granted on whole-bucket locations.
_S3_BUCKET = {
    "tagging": ("s3:GetBucketTagging", "s3:PutBucketTagging"),
    "manage": (
        "s3:GetBucketVersioning",
        "s3:GetLifecycleConfiguration",
        "s3:PutBucketVersioning",
        "s3:PutLifecycleConfiguration",
    ),
}
_GLUE = {
    "list": ("glue:GetDatabases",),
    "read": (
        "glue:BatchGetPartition",
        "glue:GetDatabase",
        "glue:GetPartition",
        "glue:GetPartitions",
        "glue:GetTable",
        "glue:GetTableVersion",
        "glue:GetTableVersions",
        "glue:GetTables",
    ),
    "write": (
        "glue:BatchCreatePartition",
        "glue:BatchDeletePartition",
        "glue:BatchUpdatePartition",
        "glue:CreatePartition",
        "glue:CreateTable",
        "glue:DeletePartition",
        "glue:DeleteTable",
        "glue:UpdatePartition",
        "glue:UpdateTable",
    ),
    "tagging": ("glue:GetTags", "glue:TagResource", "glue:UntagResource"),
    "manage": ("glue:CreateDatabase", "glue:UpdateDatabase"),
}
_ATHENA = {
    "list": ("athena:ListQueryExecutions",),
    "read": (
        "athena:BatchGetQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:GetWorkGroup",
    ),
    "write": ("athena:StartQueryExecution", "athena:StopQueryExecution"),
    "tagging": ("athena:ListTagsForResource", "athena:TagResource", "athena:UntagResource"),
    "manage": ("athena:UpdateWorkGroup",),
}
_KMS = {"read": ("kms:Decrypt",), "write": ("kms:Decrypt", "kms:GenerateDataKey")}
# Item actions per table kind and level: exactly what the code calls (docs/adr/0023).
# The Delta LogStore reads a claim (GetItem), the newest claim (Query) and claims or
# completes one (PutItem); a run lease is read (GetItem), listed by `status` (Scan),
# taken (PutItem), renewed (UpdateItem) and released (DeleteItem).
_DYNAMODB = {
    "delta-log": {"read": ("dynamodb:GetItem", "dynamodb:Query"), "write": ("dynamodb:PutItem",)},
    "leases": {
        "read": ("dynamodb:GetItem", "dynamodb:Scan"),
        "write": ("dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"),
    },
}
_SID_NAMES = {
    "s3": "S3",
    "glue": "Glue",
    "athena": "Athena",
    "kms": "Kms",
    "dynamodb": "DynamoDb",
    "cloudwatch": "CloudWatch",
}


def _bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def _object_arn(location: S3Location) -> str:
    return f"arn:aws:s3:::{location.bucket}/{location.prefix}*"


class _Atoms:
    """(resource bundle, condition) -> actions, in first-seen order.

    A bundle is the set of ARNs an action needs together (a Glue table call needs the
    catalog, the database and the table); bundles with the same actions and condition
    become one statement, so every statement names every resource type it needs.
    """

    def __init__(self) -> None:
        self.actions: dict[tuple[tuple[str, ...], str], set[str]] = {}

    def add(
        self, actions: Iterable[str], resources: Sequence[str], condition: dict[str, Any] | None
    ) -> None:
        key = (tuple(resources), json.dumps(condition, sort_keys=True) if condition else "")
        self.actions.setdefault(key, set()).update(actions)

    def statements(self) -> list[dict[str, Any]]:
        grouped: dict[tuple[tuple[str, ...], str], dict[str, None]] = {}
        for (bundle, condition), actions in self.actions.items():
            resources = grouped.setdefault((tuple(sorted(actions)), condition), {})
            resources.update(dict.fromkeys(bundle))
        counts: dict[str, int] = {}
        out: list[dict[str, Any]] = []
        for (action_list, condition), resources in grouped.items():
            service = _SID_NAMES[action_list[0].split(":", 1)[0]]
            counts[service] = counts.get(service, 0) + 1
            statement: dict[str, Any] = {
                "Sid": f"{service}Access{counts[service]}",
                "Effect": "Allow",
                "Action": list(action_list),
                "Resource": list(resources),
            }
            if condition:
                statement["Condition"] = json.loads(condition)
            out.append(statement)
        return out


def statements_for(
    grants: Sequence[Grant], *, region: str, account_id: str
) -> list[dict[str, Any]]:
    """Return the least-privilege Allow statements of a set of grants.

    Statements with the same actions and condition are merged; resources are always
    ARNs (never ``"*"``; the one exception is ``cloudwatch:PutMetricData``, which has no
    resource type in IAM: it is scoped by the ``cloudwatch:namespace`` condition), S3
    object access is scoped to ``bucket/prefix/*``,
    ``s3:ListBucket`` to its prefixes with an ``s3:prefix`` condition, KMS to key ARNs
    through the services the grant uses (``kms:ViaService``).

    Parameters
    ----------
    grants
        The grants of one principal.
    region
        Region of the Glue catalog, Athena workgroups and ``kms:ViaService``.
    account_id
        Account in Glue / Athena ARNs (``"*"`` matches the caller's account;
        the CDK app passes the real account).

    Returns
    -------
    list[dict[str, Any]]
        IAM statements, in the order the grants first need them.
    """
    atoms = _Atoms()
    catalog = f"arn:aws:glue:{region}:{account_id}:catalog"
    listed: dict[str, set[str] | None] = {}
    for grant in grants:
        level = grant.level
        for loc in grant.s3:
            if level == "list":
                prefixes = listed.setdefault(loc.bucket, set())
                if prefixes is not None:
                    if loc.prefix:
                        prefixes.add(loc.prefix)
                    else:
                        listed[loc.bucket] = None
            if level in _S3_OBJECT:
                atoms.add(_S3_OBJECT[level], [_object_arn(loc)], None)
            if level in _S3_BUCKET and not loc.prefix:
                atoms.add(_S3_BUCKET[level], [_bucket_arn(loc.bucket)], None)
        if level in _GLUE:
            for glue in grant.glue:
                database = f"arn:aws:glue:{region}:{account_id}:database/{glue.database}"
                table = (
                    f"arn:aws:glue:{region}:{account_id}:table/{glue.database}/{glue.table or '*'}"
                )
                if level == "tagging":
                    resources = [database, table] if glue.table is None else [table]
                elif level in {"list", "manage"}:
                    resources = [catalog, database]
                else:
                    resources = [catalog, database, table]
                atoms.add(_GLUE[level], resources, None)
        if level in _ATHENA:
            for workgroup in grant.workgroups:
                arn = f"arn:aws:athena:{region}:{account_id}:workgroup/{workgroup}"
                atoms.add(_ATHENA[level], [arn], None)
        for dynamo in grant.dynamodb:
            actions = _DYNAMODB[dynamo.kind].get(level, ())
            if actions:
                arn = f"arn:aws:dynamodb:{region}:{account_id}:table/{dynamo.table}"
                atoms.add(actions, [arn], None)
        if level == "write" and grant.metric_namespaces:
            namespaces = {"StringEquals": {"cloudwatch:namespace": list(grant.metric_namespaces)}}
            atoms.add(("cloudwatch:PutMetricData",), ["*"], namespaces)
        if level in _KMS and grant.kms_keys:
            services = [f"s3.{region}.amazonaws.com"] if grant.s3 else []
            services += [f"glue.{region}.amazonaws.com"] if grant.glue else []
            condition = {"StringEquals": {"kms:ViaService": services}} if services else None
            for key in grant.kms_keys:
                atoms.add(_KMS[level], [key], condition)
    for bucket, prefixes in listed.items():
        atoms.add(("s3:GetBucketLocation",), [_bucket_arn(bucket)], None)
        condition = (
            {"StringLike": {"s3:prefix": [f"{p}*" for p in sorted(prefixes)]}}
            if prefixes is not None
            else None
        )
        atoms.add(("s3:ListBucket",), [_bucket_arn(bucket)], condition)
    return atoms.statements()


def policy_size(document: dict[str, Any]) -> int:
    """Return a policy's size as AWS counts it: characters, whitespace excluded."""
    return len(re.sub(r"\s", "", json.dumps(document, separators=(",", ":"))))


def _document(statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Version": POLICY_VERSION, "Statement": statements}


def split_policy(
    statements: Sequence[dict[str, Any]], *, max_chars: int = MANAGED_POLICY_MAX_CHARS
) -> list[dict[str, Any]]:
    """Pack statements, in order, into as few policy documents as fit ``max_chars``.

    A statement that does not fit the room left is split by resources: its parts
    (Sid suffixed ``P1``, ``P2``...) fill the current document, then new ones.

    Parameters
    ----------
    statements
        IAM statements.
    max_chars
        Size limit per document (whitespace excluded); 6,144 for managed policies.

    Returns
    -------
    list[dict[str, Any]]
        Policy documents, each at most ``max_chars``.

    Raises
    ------
    ValueError
        When one statement with a single resource does not fit a document alone.
    """
    documents: list[list[dict[str, Any]]] = [[]]

    def fits(statement: dict[str, Any]) -> bool:
        return policy_size(_document([*documents[-1], statement])) <= max_chars

    for statement in statements:
        if fits(statement):
            documents[-1].append(dict(statement))
            continue
        if documents[-1] and policy_size(_document([statement])) <= max_chars:
            documents.append([dict(statement)])
            continue
        remaining = list(statement["Resource"])
        part_no = 0
        while remaining:
            part_no += 1
            sid = f"{statement['Sid']}P{part_no}"
            taken = 0
            while taken < len(remaining) and fits(
                {**statement, "Sid": sid, "Resource": remaining[: taken + 1]}
            ):
                taken += 1
            if taken == 0:
                if not documents[-1]:
                    raise ValueError(f"statement {sid} exceeds {max_chars} characters alone")
                documents.append([])
                part_no -= 1
                continue
            documents[-1].append({**statement, "Sid": sid, "Resource": remaining[:taken]})
            remaining = remaining[taken:]
    return [_document(s) for s in documents if s]


def bucket_policy(bucket: str) -> dict[str, Any]:
    """Return the bucket policy every platform bucket carries: deny requests without TLS.

    Examples
    --------
    >>> bucket_policy("b")["Statement"][0]["Condition"]
    {'Bool': {'aws:SecureTransport': 'false'}}
    """
    return _document(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [_bucket_arn(bucket), f"{_bucket_arn(bucket)}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    )
