"""IAM as intent: grants (who, access level, which data) generated as least-privilege JSON.

Examples
--------
>>> from goldmine.settings import Settings
>>> from goldmine.iam import policy_for
>>> [s["Sid"] for s in policy_for("consumer-sales.orders", Settings())[0]["Statement"]]
['GlueAccess1', 'S3Access1', 'GlueAccess2', 'S3Access2', 'S3Access3']
"""

from goldmine.iam._generate_policy import (
    MANAGED_POLICY_MAX_CHARS,
    bucket_policy,
    policy_size,
    split_policy,
    statements_for,
)
from goldmine.iam._intent import (
    ACCESS_LEVELS,
    AccessLevel,
    DynamoLocation,
    GlueLocation,
    Grant,
    S3Location,
    grants,
)
from goldmine.iam._roles import (
    CONSUMES,
    DATA_PRODUCTS,
    UnknownRoleError,
    consumer_grants,
    consumer_policy,
    policy_for,
    role_intents,
    role_names,
)

__all__ = [
    "ACCESS_LEVELS",
    "CONSUMES",
    "DATA_PRODUCTS",
    "MANAGED_POLICY_MAX_CHARS",
    "AccessLevel",
    "DynamoLocation",
    "GlueLocation",
    "Grant",
    "S3Location",
    "UnknownRoleError",
    "bucket_policy",
    "consumer_grants",
    "consumer_policy",
    "grants",
    "policy_for",
    "policy_size",
    "role_intents",
    "role_names",
    "split_policy",
    "statements_for",
]
