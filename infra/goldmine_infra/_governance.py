"""Governance: people-facing IAM roles from ``goldmine.iam`` and Lake Formation grants."""

from __future__ import annotations

from typing import Any

from aws_cdk import Aws, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lakeformation as lf
from constructs import Construct

from goldmine.settings import Settings
from goldmine_infra._naming import camel
from goldmine_infra._roles import RoleSpec, add_role

#: What a mesh consumer may do on a published domain's tables.
CONSUMER_TABLE_PERMISSIONS: tuple[str, ...] = ("SELECT", "DESCRIBE")


class GovernanceStack(Stack):
    """Analyst, producer and consumer roles; consumers get read grants on mesh databases.

    Roles are assumed by principals of this account (federated users, CI); the
    account decides who, through its identity provider, not this app.

    Attributes
    ----------
    roles : dict[str, iam.Role]
        ``{goldmine.iam role name: role}``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        roles: list[RoleSpec],
        databases: dict[str, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        account = iam.AccountPrincipal(Aws.ACCOUNT_ID)
        self.roles: dict[str, iam.Role] = {}
        for spec in roles:
            role = add_role(self, settings, spec, assumed_by=account)
            self.roles[spec.name] = role
            # Lake Formation grants the consumed domain's database; the role's IAM policy
            # (goldmine.iam) narrows it to the product's own table and prefix.
            for domain in spec.consumes:
                self._grant_read(spec.name, role, databases[f"mesh_{domain}"], domain)

    def _grant_read(self, name: str, role: iam.Role, database: str, domain: str) -> None:
        principal = lf.CfnPrincipalPermissions.DataLakePrincipalProperty(
            data_lake_principal_identifier=role.role_arn
        )
        base = f"{camel(name)}{camel(domain)}"
        lf.CfnPrincipalPermissions(
            self,
            f"{base}Database",
            principal=principal,
            resource=lf.CfnPrincipalPermissions.ResourceProperty(
                database=lf.CfnPrincipalPermissions.DatabaseResourceProperty(
                    catalog_id=Aws.ACCOUNT_ID, name=database
                )
            ),
            permissions=["DESCRIBE"],
            permissions_with_grant_option=[],
        )
        lf.CfnPrincipalPermissions(
            self,
            f"{base}Tables",
            principal=principal,
            resource=lf.CfnPrincipalPermissions.ResourceProperty(
                table=lf.CfnPrincipalPermissions.TableResourceProperty(
                    catalog_id=Aws.ACCOUNT_ID, database_name=database, table_wildcard={}
                )
            ),
            permissions=list(CONSUMER_TABLE_PERMISSIONS),
            permissions_with_grant_option=[],
        )
