"""IAM intents -> least-privilege JSON: whole policies, size split, parliament lint."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest

from goldmine.iam import (
    MANAGED_POLICY_MAX_CHARS,
    GlueLocation,
    S3Location,
    UnknownRoleError,
    bucket_policy,
    consumer_policy,
    grants,
    policy_for,
    policy_size,
    role_names,
    split_policy,
    statements_for,
)
from goldmine.settings import Settings

GLUE = "arn:aws:glue:us-east-1:*"
GLUE_READ = [
    "glue:BatchGetPartition",
    "glue:GetDatabase",
    "glue:GetPartition",
    "glue:GetPartitions",
    "glue:GetTable",
    "glue:GetTableVersion",
    "glue:GetTableVersions",
    "glue:GetTables",
]


@pytest.fixture
def settings() -> Settings:
    return Settings(project="goldmine", environment="local")


def _lint(document: dict[str, Any]) -> list[tuple[str, Any]]:
    found = parliament.analyze_policy_string(json.dumps(document)).findings
    return [(f.issue, f.detail) for f in found]


def test_analyst_policy_is_exactly_this(settings: Settings) -> None:
    assert policy_for("analyst", settings) == [
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AthenaAccess1",
                    "Effect": "Allow",
                    "Action": [
                        "athena:BatchGetQueryExecution",
                        "athena:GetQueryExecution",
                        "athena:GetQueryResults",
                        "athena:GetWorkGroup",
                        "athena:ListQueryExecutions",
                        "athena:StartQueryExecution",
                        "athena:StopQueryExecution",
                    ],
                    "Resource": ["arn:aws:athena:us-east-1:*:workgroup/goldmine-analysts"],
                },
                {
                    "Sid": "GlueAccess1",
                    "Effect": "Allow",
                    "Action": ["glue:GetDatabases"],
                    "Resource": [
                        f"{GLUE}:catalog",
                        f"{GLUE}:database/goldmine_local_lake_analytics",
                        f"{GLUE}:database/goldmine_local_lakehouse_gold",
                    ],
                },
                {
                    "Sid": "S3Access1",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                    "Resource": [
                        "arn:aws:s3:::goldmine-local-analytics/*",
                        "arn:aws:s3:::goldmine-local-lakehouse/gold/*",
                        "arn:aws:s3:::goldmine-local-curated/products/*",
                        "arn:aws:s3:::goldmine-local-curated/stores/*",
                        "arn:aws:s3:::goldmine-local-lakehouse/silver/products/*",
                        "arn:aws:s3:::goldmine-local-lakehouse/silver/stores/*",
                    ],
                },
                {
                    "Sid": "GlueAccess2",
                    "Effect": "Allow",
                    "Action": GLUE_READ,
                    "Resource": [
                        f"{GLUE}:catalog",
                        f"{GLUE}:database/goldmine_local_lake_analytics",
                        f"{GLUE}:table/goldmine_local_lake_analytics/*",
                        f"{GLUE}:database/goldmine_local_lakehouse_gold",
                        f"{GLUE}:table/goldmine_local_lakehouse_gold/*",
                    ],
                },
                {
                    "Sid": "S3Access2",
                    "Effect": "Allow",
                    "Action": [
                        "s3:AbortMultipartUpload",
                        "s3:DeleteObject",
                        "s3:GetObject",
                        "s3:GetObjectVersion",
                        "s3:ListMultipartUploadParts",
                        "s3:PutObject",
                    ],
                    "Resource": ["arn:aws:s3:::goldmine-local-athena-results/*"],
                },
                {
                    "Sid": "S3Access3",
                    "Effect": "Allow",
                    "Action": ["s3:GetBucketLocation", "s3:ListBucket"],
                    "Resource": [
                        "arn:aws:s3:::goldmine-local-analytics",
                        "arn:aws:s3:::goldmine-local-athena-results",
                    ],
                },
                {
                    "Sid": "S3Access4",
                    "Effect": "Allow",
                    "Action": ["s3:GetBucketLocation"],
                    "Resource": [
                        "arn:aws:s3:::goldmine-local-lakehouse",
                        "arn:aws:s3:::goldmine-local-curated",
                    ],
                },
                {
                    "Sid": "S3Access5",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket"],
                    "Resource": ["arn:aws:s3:::goldmine-local-lakehouse"],
                    "Condition": {
                        "StringLike": {
                            "s3:prefix": ["gold/*", "silver/products/*", "silver/stores/*"]
                        }
                    },
                },
                {
                    "Sid": "S3Access6",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket"],
                    "Resource": ["arn:aws:s3:::goldmine-local-curated"],
                    "Condition": {"StringLike": {"s3:prefix": ["products/*", "stores/*"]}},
                },
            ],
        }
    ]


def test_consumer_policy_reads_one_product_only(settings: Settings) -> None:
    assert consumer_policy(settings, "sales", "sales.orders", account_id="123456789012") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "GlueAccess1",
                "Effect": "Allow",
                "Action": ["glue:GetDatabases"],
                "Resource": [
                    "arn:aws:glue:us-east-1:123456789012:catalog",
                    "arn:aws:glue:us-east-1:123456789012:database/goldmine_local_mesh_sales",
                ],
            },
            {
                "Sid": "S3Access1",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": ["arn:aws:s3:::goldmine-local-mesh-sales/orders/*"],
            },
            {
                "Sid": "GlueAccess2",
                "Effect": "Allow",
                "Action": GLUE_READ,
                "Resource": [
                    "arn:aws:glue:us-east-1:123456789012:catalog",
                    "arn:aws:glue:us-east-1:123456789012:database/goldmine_local_mesh_sales",
                    "arn:aws:glue:us-east-1:123456789012:table/goldmine_local_mesh_sales/orders",
                ],
            },
            {
                "Sid": "S3Access2",
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation"],
                "Resource": ["arn:aws:s3:::goldmine-local-mesh-sales"],
            },
            {
                "Sid": "S3Access3",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": ["arn:aws:s3:::goldmine-local-mesh-sales"],
                "Condition": {"StringLike": {"s3:prefix": ["orders/*"]}},
            },
        ],
    }
    assert consumer_policy(settings, "sales", "orders", account_id="123456789012") == (
        consumer_policy(settings, "sales", "sales.orders", account_id="123456789012")
    )


def test_role_names(settings: Settings) -> None:
    assert role_names(settings) == [
        "spark-lake",
        "spark-lakehouse",
        "spark-mesh",
        "analyst",
        "producer-sales",
        "producer-customer",
        "producer-catalog",
        "producer-finance",
        "consumer-sales.orders",
        "consumer-customer.customers",
        "consumer-catalog.products",
        "consumer-catalog.stores",
        "consumer-finance.fx_rates",
        "consumer-finance.revenue",
        "consumer-finance.customer_lifetime",
        "consumer-finance.product_monthly",
    ]


def _all_documents(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    docs = {role: policy_for(role, settings) for role in role_names(settings)}
    docs.update(
        {f"{r}+kms": policy_for(r, settings, kms_key_arn=key) for r in role_names(settings)}
    )
    return docs


def test_every_generated_policy_lints_clean(settings: Settings) -> None:
    findings = {
        role: _lint(doc)
        for role, documents in _all_documents(settings).items()
        for doc in documents
    }
    findings["bucket-policy"] = _lint(bucket_policy("goldmine-local-raw"))
    assert {role: f for role, f in findings.items() if f} == {}


def test_no_wildcard_actions_or_resources_in_grants(settings: Settings) -> None:
    for role, documents in _all_documents(settings).items():
        for doc in documents:
            assert policy_size(doc) <= MANAGED_POLICY_MAX_CHARS, role
            for statement in doc["Statement"]:
                assert statement["Effect"] == "Allow"
                assert all(not a.endswith("*") for a in statement["Action"]), role
                if statement["Action"] == ["cloudwatch:PutMetricData"]:  # no resource type
                    assert statement["Resource"] == ["*"], role
                    assert statement["Condition"] == {
                        "StringEquals": {"cloudwatch:namespace": [settings.project]}
                    }, role
                    continue
                assert all(r != "*" and r.startswith("arn:aws:") for r in statement["Resource"]), (
                    role
                )


def test_spark_roles_put_run_metrics_in_the_project_namespace_only(settings: Settings) -> None:
    for role in ("spark-lake", "spark-lakehouse", "spark-mesh"):
        statements = [s for doc in policy_for(role, settings) for s in doc["Statement"]]
        metrics = [s for s in statements if "cloudwatch:PutMetricData" in s["Action"]]
        assert [m["Condition"] for m in metrics] == [
            {"StringEquals": {"cloudwatch:namespace": [settings.project]}}
        ], role


def test_producer_writes_only_its_own_bucket_and_database(settings: Settings) -> None:
    (doc,) = policy_for("producer-customer", settings)
    writes = [s for s in doc["Statement"] if "s3:PutObject" in s["Action"]]
    assert writes == [
        {
            "Sid": "S3Access1",
            "Effect": "Allow",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:GetObject",
                "s3:GetObjectTagging",
                "s3:GetObjectVersion",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
                "s3:PutObjectTagging",
            ],
            "Resource": ["arn:aws:s3:::goldmine-local-mesh-customer/*"],
        }
    ]
    glue_writes = [s for s in doc["Statement"] if "glue:CreateTable" in s["Action"]]
    assert [s["Resource"] for s in glue_writes] == [
        [
            f"{GLUE}:catalog",
            f"{GLUE}:database/goldmine_local_mesh_customer",
            f"{GLUE}:table/goldmine_local_mesh_customer/*",
        ]
    ]


def test_kms_is_scoped_to_the_key_through_the_service() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/k1"
    statements = statements_for(
        grants("writer", ["write"], s3=[S3Location(bucket="b", prefix="p")], kms_keys=[key]),
        region="us-east-1",
        account_id="123456789012",
    )
    assert statements == [
        {
            "Sid": "S3Access1",
            "Effect": "Allow",
            "Action": [
                "s3:AbortMultipartUpload",
                "s3:DeleteObject",
                "s3:ListMultipartUploadParts",
                "s3:PutObject",
            ],
            "Resource": ["arn:aws:s3:::b/p/*"],
        },
        {
            "Sid": "KmsAccess1",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": [key],
            "Condition": {"StringEquals": {"kms:ViaService": ["s3.us-east-1.amazonaws.com"]}},
        },
    ]


def test_bucket_policy_denies_insecure_transport() -> None:
    assert bucket_policy("goldmine-local-raw") == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [
                    "arn:aws:s3:::goldmine-local-raw",
                    "arn:aws:s3:::goldmine-local-raw/*",
                ],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def test_policy_size_ignores_whitespace() -> None:
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "A", "Action": ["x:Y"]}]}
    compact = '{"Version":"2012-10-17","Statement":[{"Sid":"A","Action":["x:Y"]}]}'
    assert policy_size(doc) == len(compact)


def test_large_intent_is_split_at_6144_characters() -> None:
    locations = [
        S3Location(bucket="goldmine-local-raw", prefix=f"table_{i:03d}") for i in range(150)
    ]
    statements = statements_for(
        grants("big", ["read"], s3=locations, glue=[GlueLocation(database="db")]),
        region="us-east-1",
        account_id="123456789012",
    )
    documents = split_policy(statements)
    sizes = [policy_size(d) for d in documents]
    assert len(documents) == 2
    assert all(size <= MANAGED_POLICY_MAX_CHARS for size in sizes)
    assert sizes[0] > MANAGED_POLICY_MAX_CHARS - 200  # packed, not split needlessly
    resources = [r for d in documents for s in d["Statement"] for r in s["Resource"]]
    assert resources == [f"arn:aws:s3:::goldmine-local-raw/table_{i:03d}/*" for i in range(150)] + [
        "arn:aws:glue:us-east-1:123456789012:catalog",
        "arn:aws:glue:us-east-1:123456789012:database/db",
        "arn:aws:glue:us-east-1:123456789012:table/db/*",
    ]
    assert [s["Sid"] for d in documents for s in d["Statement"]] == [
        "S3Access1P1",
        "S3Access1P2",
        "GlueAccess1",
    ]
    for document in documents:
        assert _lint(document) == []


def test_unknown_role_and_product_are_one_line_errors(settings: Settings) -> None:
    with pytest.raises(
        UnknownRoleError, match=r"^unknown role 'admin': expected one of spark-lake,"
    ):
        policy_for("admin", settings)
    with pytest.raises(UnknownRoleError, match=r"^unknown data product sales.refunds"):
        consumer_policy(settings, "sales", "refunds")
    with pytest.raises(UnknownRoleError, match="is not in domain 'sales'"):
        consumer_policy(settings, "sales", "customer.customers")


def test_cli_prints_roles_and_policy(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from goldmine.cli import iam as iam_cli

    monkeypatch.setattr(iam_cli, "_settings", lambda: settings)
    runner = CliRunner()
    result = runner.invoke(iam_cli.app, ["policy", "--role", "analyst"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == policy_for("analyst", settings)[0]
    result = runner.invoke(iam_cli.app, ["roles"])
    assert result.output.splitlines()[3] == "analyst\tlist,read,write"
    result = runner.invoke(iam_cli.app, ["policy", "--role", "admin"])
    assert result.exit_code == 2
    assert "unknown role 'admin'" in result.output


def _dynamodb_statements(role: str, settings: Settings) -> list[tuple[list[str], list[str]]]:
    return [
        (s["Action"], s["Resource"])
        for document in policy_for(role, settings)
        for s in document["Statement"]
        if any(a.startswith("dynamodb:") for a in s["Action"])
    ]


def test_spark_roles_get_exactly_the_dynamodb_item_actions_they_call(settings: Settings) -> None:
    ddb = "arn:aws:dynamodb:us-east-1:*:table"
    leases = (
        ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan",
         "dynamodb:UpdateItem"],
        [f"{ddb}/goldmine-local-leases"],
    )  # fmt: skip
    delta_log = (
        ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        [f"{ddb}/goldmine-local-delta-log"],
    )
    assert _dynamodb_statements("spark-lake", settings) == [leases]  # writes no Delta table
    assert _dynamodb_statements("spark-lakehouse", settings) == [leases, delta_log]
    assert _dynamodb_statements("spark-mesh", settings) == [leases, delta_log]
    assert _dynamodb_statements("analyst", settings) == []
