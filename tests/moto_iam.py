"""Moto IAM enforcement helpers: a principal holding generated policies, and denial checks.

Used inside ``moto.mock_aws()`` by the tests that prove a generated policy's effect.
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import moto.settings
import pytest
from botocore.exceptions import ClientError


def s3_client_for(documents: list[dict[str, Any]], name: str, region: str) -> Any:
    """Create an IAM user holding ``documents``; return an S3 client with its keys."""
    iam = boto3.client("iam", region_name=region)
    iam.create_user(UserName=name)
    for i, document in enumerate(documents):
        arn = iam.create_policy(PolicyName=f"{name}-{i}", PolicyDocument=json.dumps(document))
        iam.attach_user_policy(UserName=name, PolicyArn=arn["Policy"]["Arn"])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client(
        "s3",
        region_name=region,
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )


def enforce(monkeypatch: pytest.MonkeyPatch) -> None:
    """Turn moto's IAM enforcement on for every call from now on."""
    monkeypatch.setattr(moto.settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)


def denied(call: Any, **kwargs: Any) -> bool:
    """Whether ``call(**kwargs)`` fails with AccessDenied."""
    try:
        call(**kwargs)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "AccessDenied"
    return False
