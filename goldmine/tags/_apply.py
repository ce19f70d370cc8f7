"""Apply tags to platform resources through their AWS APIs (clients are injected)."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from goldmine.settings import Settings
from goldmine.tags._policy import bucket_domains, tags_for

#: The account of each STS client asked so far: tagging a build's tables asked once per
#: table (a request each), and a client's account does not change.
_ACCOUNTS: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def _account_id(sts_client: Any) -> str:
    account = _ACCOUNTS.get(sts_client)
    if account is None:
        account = _ACCOUNTS[sts_client] = str(sts_client.get_caller_identity()["Account"])
    return account


def _region(client: Any) -> str:
    return str(client.meta.region_name)


def glue_database_arn(region: str, account_id: str, database: str) -> str:
    """Return the ARN of a Glue database."""
    return f"arn:aws:glue:{region}:{account_id}:database/{database}"


def glue_table_arn(region: str, account_id: str, database: str, table: str) -> str:
    """Return the ARN of a Glue table."""
    return f"arn:aws:glue:{region}:{account_id}:table/{database}/{table}"


def athena_workgroup_arn(region: str, account_id: str, workgroup: str) -> str:
    """Return the ARN of an Athena workgroup."""
    return f"arn:aws:athena:{region}:{account_id}:workgroup/{workgroup}"


def read_bucket_tags(s3_client: Any, bucket: str) -> dict[str, str]:
    """Return a bucket's tags, ``{}`` when it has none.

    Parameters
    ----------
    s3_client
        A boto3 S3 client.
    bucket
        The bucket name.
    """
    try:
        tag_set = s3_client.get_bucket_tagging(Bucket=bucket)["TagSet"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in {"NoSuchTagSet", "NoSuchTagSetError"}:
            return {}
        raise
    return {t["Key"]: t["Value"] for t in tag_set}


def tag_bucket(s3_client: Any, bucket: str, tags: Mapping[str, str]) -> dict[str, str]:
    """Merge ``tags`` into a bucket's existing tags (policy keys win).

    Parameters
    ----------
    s3_client
        A boto3 S3 client.
    bucket
        The bucket name.
    tags
        Tags to set; existing keys not in ``tags`` are kept.

    Returns
    -------
    dict[str, str]
        The bucket's tags after the call.
    """
    merged = {**read_bucket_tags(s3_client, bucket), **tags}
    s3_client.put_bucket_tagging(
        Bucket=bucket,
        Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in merged.items()]},
    )
    return merged


def tag_platform_buckets(s3_client: Any, settings: Settings) -> dict[str, dict[str, str]]:
    """Tag every existing bucket of the settings with its policy tags.

    Parameters
    ----------
    s3_client
        A boto3 S3 client.
    settings
        The platform settings (bucket names and tag defaults).

    Returns
    -------
    dict[str, dict[str, str]]
        ``{bucket: tags after the call}`` for the buckets that exist.
    """
    existing = {b["Name"] for b in s3_client.list_buckets().get("Buckets", [])}
    return {
        bucket: tag_bucket(s3_client, bucket, tags_for(settings, domain=domain))
        for bucket, domain in bucket_domains(settings).items()
        if bucket in existing
    }


def tag_glue_database(
    glue_client: Any, sts_client: Any, database: str, tags: Mapping[str, str]
) -> str:
    """Tag a Glue database; return its ARN.

    Parameters
    ----------
    glue_client, sts_client
        boto3 clients (the account id comes from ``sts.get_caller_identity``).
    database
        The Glue database name.
    tags
        Tags to add (existing ones are kept by the API).
    """
    arn = glue_database_arn(_region(glue_client), _account_id(sts_client), database)
    glue_client.tag_resource(ResourceArn=arn, TagsToAdd=dict(tags))
    return arn


def tag_glue_table(
    glue_client: Any, sts_client: Any, database: str, table: str, tags: Mapping[str, str]
) -> str:
    """Tag a Glue table; return its ARN.

    Parameters
    ----------
    glue_client, sts_client
        boto3 clients (the account id comes from ``sts.get_caller_identity``).
    database, table
        The Glue database and table names.
    tags
        Tags to add.
    """
    arn = glue_table_arn(_region(glue_client), _account_id(sts_client), database, table)
    glue_client.tag_resource(ResourceArn=arn, TagsToAdd=dict(tags))
    return arn


def tag_emr_cluster(emr_client: Any, cluster_id: str, tags: Mapping[str, str]) -> None:
    """Tag an EMR on EC2 cluster (``j-...``) with ``emr.add_tags``."""
    emr_client.add_tags(
        ResourceId=cluster_id, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
    )


def tag_emr_serverless_application(
    emr_serverless_client: Any, application_arn: str, tags: Mapping[str, str]
) -> None:
    """Tag an EMR Serverless application by ARN with ``emr-serverless.tag_resource``."""
    emr_serverless_client.tag_resource(resourceArn=application_arn, tags=dict(tags))


def tag_athena_workgroup(
    athena_client: Any, sts_client: Any, workgroup: str, tags: Mapping[str, str]
) -> str:
    """Tag an Athena workgroup; return its ARN.

    Parameters
    ----------
    athena_client, sts_client
        boto3 clients (the account id comes from ``sts.get_caller_identity``).
    workgroup
        The workgroup name.
    tags
        Tags to add.
    """
    arn = athena_workgroup_arn(_region(athena_client), _account_id(sts_client), workgroup)
    athena_client.tag_resource(
        ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()]
    )
    return arn
