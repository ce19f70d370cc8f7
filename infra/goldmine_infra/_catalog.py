"""Catalog: one Glue database per lake zone, lakehouse layer and mesh domain."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_glue as glue
from aws_cdk import aws_s3 as s3
from constructs import Construct

from goldmine.settings import Settings
from goldmine_infra._naming import camel, database_keys


def _location(key: str, buckets: dict[str, s3.Bucket]) -> str:
    arch, _, part = key.partition("_")
    if arch == "lake":
        return f"s3://{buckets[part].bucket_name}/"
    if arch == "lakehouse":
        return f"s3://{buckets['lakehouse'].bucket_name}/{part}/"
    return f"s3://{buckets[f'mesh-{part}'].bucket_name}/"


class CatalogStack(Stack):
    """Glue databases named by ``settings.database(...)``.

    Attributes
    ----------
    databases : dict[str, str]
        ``{key: database name}``, e.g. ``{"lake_raw": "goldmine_aws_lake_raw"}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        buckets: dict[str, s3.Bucket],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.databases: dict[str, str] = {}
        for key in database_keys():
            name = settings.database(key)
            glue.CfnDatabase(
                self,
                camel(key),
                catalog_id=Aws.ACCOUNT_ID,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=name,
                    description=f"{settings.project} {key.replace('_', ' ')}",
                    location_uri=_location(key, buckets),
                ),
            )
            self.databases[key] = name
