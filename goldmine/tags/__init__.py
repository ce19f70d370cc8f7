"""Cost tags: the one tag policy, helpers that apply it, and the audit.

Examples
--------
>>> from goldmine.settings import Settings
>>> from goldmine.tags import tags_for
>>> tags_for(Settings(), domain="lake")["domain"]
'lake'
"""

from goldmine.tags._apply import (
    athena_workgroup_arn,
    glue_database_arn,
    glue_table_arn,
    read_bucket_tags,
    tag_athena_workgroup,
    tag_bucket,
    tag_emr_cluster,
    tag_emr_serverless_application,
    tag_glue_database,
    tag_glue_table,
    tag_platform_buckets,
)
from goldmine.tags._audit import AuditFinding, AuditReport, audit_tags
from goldmine.tags._policy import (
    BUCKET_ROLE_DOMAINS,
    DATA_PRODUCT_KEY,
    REQUIRED_KEYS,
    TAG_DOMAINS,
    TagPolicyError,
    TagRule,
    TagViolation,
    bucket_domains,
    check_tags,
    default_tags,
    tag_policy,
    tags_for,
)

__all__ = [
    "BUCKET_ROLE_DOMAINS",
    "DATA_PRODUCT_KEY",
    "REQUIRED_KEYS",
    "TAG_DOMAINS",
    "AuditFinding",
    "AuditReport",
    "TagPolicyError",
    "TagRule",
    "TagViolation",
    "athena_workgroup_arn",
    "audit_tags",
    "bucket_domains",
    "check_tags",
    "default_tags",
    "glue_database_arn",
    "glue_table_arn",
    "read_bucket_tags",
    "tag_athena_workgroup",
    "tag_bucket",
    "tag_emr_cluster",
    "tag_emr_serverless_application",
    "tag_glue_database",
    "tag_glue_table",
    "tag_platform_buckets",
    "tag_policy",
    "tags_for",
]
