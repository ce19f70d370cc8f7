"""Everything generated from a contract: Spark schema, rules, Glue table, IAM, tags.

Nothing here is written twice: each function reads the contract and the settings and
returns the artifact (STYLE.md #7).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pyspark.sql import types as T

from goldmine.catalog import TableSpec
from goldmine.iam import GlueLocation, S3Location, grants, split_policy, statements_for
from goldmine.settings import Settings
from goldmine.tags import tags_for
from goldmine.validation import Rule, RuleSet
from mesh._contract import Column, Contract, ContractError
from mesh._types import parse_type, spark_type

#: Prefix (inside the domain bucket) of domain-internal tables, never granted to consumers.
PRIVATE_PREFIX = "_private"


def spark_schema(contract: Contract) -> T.StructType:
    """Return the Spark schema of the product table (nullable = not ``required``)."""
    return T.StructType(
        [
            T.StructField(
                c.name,
                spark_type(parse_type(c.physical_type)),
                nullable=not c.required,
                metadata={"comment": c.description} if c.description else {},
            )
            for c in contract.columns
        ]
    )


def _bound(value: Any) -> Any:
    return Decimal(str(value)) if isinstance(value, float) else value


def _column_rules(column: Column) -> list[Rule]:
    rules: list[Rule] = []
    if column.required:
        rules.append(
            Rule(f"{column.name}_required", column.name, "not_null", description="required")
        )
    if column.enum:
        rules.append(
            Rule(
                f"{column.name}_in_enum",
                column.name,
                "in_set",
                values=column.enum,
                description=f"one of {', '.join(map(str, column.enum))}",
            )
        )
    for quality in column.quality:
        args = quality.arguments or {}
        if quality.metric != "invalidValues":
            continue
        name = quality.name or f"{column.name}_{quality.metric}"
        if "validValues" in args:
            rules.append(
                Rule(name, column.name, "in_set", values=tuple(args["validValues"]),
                     description=quality.description or "")
            )  # fmt: skip
        if "pattern" in args:
            rules.append(Rule(name, column.name, "regex", pattern=str(args["pattern"])))
        low = args.get("minimum", args.get("exclusiveMinimum"))
        high = args.get("maximum", args.get("exclusiveMaximum"))
        if low is not None or high is not None:
            rules.append(
                Rule(
                    name,
                    column.name,
                    "between",
                    min_value=_bound(low),
                    max_value=_bound(high),
                    strict_min="exclusiveMinimum" in args,
                    strict_max="exclusiveMaximum" in args,
                    description=quality.description or "",
                )
            )
    return rules


def rule_set(contract: Contract) -> RuleSet:
    """Return the record-level validation rules (``goldmine.validation``) of the contract.

    Generated: ``required`` -> ``not_null``; ``enum`` -> ``in_set``;
    ``logicalTypeOptions.pattern`` -> ``regex``; a one-column primary key or
    ``unique`` -> ``unique``; column quality ``invalidValues`` with ``minimum`` /
    ``maximum`` / ``exclusiveMinimum`` / ``exclusiveMaximum`` -> ``between``,
    ``validValues`` -> ``in_set``, ``pattern`` -> ``regex``. Table-level rules
    (``rowCount``, multi-column ``duplicateValues``) are checked by the publisher.
    """
    rules: list[Rule] = []
    for column in contract.columns:
        rules.extend(_column_rules(column))
    for prop in contract.table.properties or []:
        pattern = (prop.logicalTypeOptions or {}).get("pattern")
        if pattern:
            rules.append(Rule(f"{prop.name}_pattern", str(prop.name), "regex", pattern=pattern))
    key = contract.primary_key
    unique = [c.name for c in contract.columns if (c.name,) == key] + [
        str(p.name) for p in contract.table.properties or [] if p.unique and (p.name,) != key
    ]
    rules.extend(Rule(f"{name}_unique", name, "unique") for name in unique)
    return RuleSet(contract.product_id, tuple(rules))


def product_location(contract: Contract, settings: Settings) -> str:
    """Return ``s3://<domain mesh bucket>/<name>/v<major>/`` and check the contract says so.

    Raises
    ------
    ContractError
        When the contract's server of this environment names another location (the
        contract is the single source: fix it, do not override it).
    """
    bucket = settings.buckets.mesh[contract.domain]
    location = f"s3://{bucket}/{contract.name}/v{contract.major}/"
    server = contract.server(settings.environment)
    if (server.location or "").rstrip("/") + "/" != location:
        raise ContractError(
            contract.source,
            [f"server {server.server} location {server.location!r} is not {location!r}"],
        )
    if server.database != database(contract, settings):
        raise ContractError(
            contract.source,
            [f"server {server.server} database {server.database!r} is not "
             f"{database(contract, settings)!r}"],
        )  # fmt: skip
    return location


def private_location(contract: Contract, settings: Settings) -> str:
    """Return the domain-internal location of the unmasked table (PII products only)."""
    bucket = settings.buckets.mesh[contract.domain]
    return f"s3://{bucket}/{PRIVATE_PREFIX}/{contract.name}/v{contract.major}/"


def database(contract: Contract, settings: Settings) -> str:
    """Return the Glue database of the product's domain."""
    return settings.database(f"mesh_{contract.domain}")


def table_names(contract: Contract) -> tuple[str, str]:
    """Return the Glue tables: ``<name>`` (newest major) and ``<name>_v<major>`` (pinned)."""
    return contract.name, f"{contract.name}_v{contract.major}"


def glue_table_spec(
    contract: Contract, settings: Settings, *, name: str | None = None, **parameters: str
) -> TableSpec:
    """Return the Glue table (``goldmine.catalog.TableSpec``) of the product.

    Parameters
    ----------
    contract
        The product contract.
    settings
        The platform settings (bucket and database names).
    name
        Table name; the pinned ``<name>_v<major>`` by default.
    parameters
        Extra table properties (run id, published version...).
    """
    partitions = sorted(
        (p for p in contract.table.properties or [] if p.partitioned),
        key=lambda p: p.partitionKeyPosition or 0,
    )
    partition_names = {str(p.name) for p in partitions}
    return TableSpec(
        database=database(contract, settings),
        name=name or table_names(contract)[1],
        location=product_location(contract, settings),
        columns=tuple(
            (c.name, parse_type(c.physical_type).ddl(), c.description[:255])
            for c in contract.columns
            if c.name not in partition_names
        ),
        partition_keys=tuple(
            (c.name, parse_type(c.physical_type).ddl(), c.description[:255])
            for c in contract.columns
            if c.name in partition_names
        ),
        table_format="delta",
        parameters={
            "data_product": contract.product_id,
            "contract_version": contract.version,
            "owner": contract.owner,
            **parameters,
        },
        description=(contract.model.description.purpose or "").strip()
        if contract.model.description
        else "",
    )


def cost_tags(contract: Contract, settings: Settings) -> dict[str, str]:
    """Return the cost tags of the product's resources (``domain``, ``data-product``)."""
    return tags_for(settings, domain=contract.domain, data_product=contract.product_id)


def role_policy(
    contract: Contract, settings: Settings, role: str, *, account_id: str = "*"
) -> list[dict[str, Any]]:
    """Return the least-privilege policy documents of one of the contract's roles.

    Read access covers the product's prefix (every major version) and its Glue tables;
    never the domain's ``_private/`` prefix where unmasked PII lives.

    Raises
    ------
    ContractError
        When ``role`` is not one of the contract's roles (add it there first).
    """
    access = contract.role_access()
    if role not in access:
        raise ContractError(
            contract.source,
            [f"role {role!r} is not in the contract's roles ({', '.join(access)})"],
        )
    if access[role] != "read":
        raise ContractError(contract.source, [f"role {role}: only read access can be granted"])
    db = database(contract, settings)
    product_grants = grants(
        role,
        ("list", "read"),
        s3=[S3Location(bucket=settings.buckets.mesh[contract.domain], prefix=contract.name)],
        glue=[GlueLocation(database=db, table=t) for t in table_names(contract)],
    )
    return split_policy(
        statements_for(product_grants, region=settings.region, account_id=account_id)
    )


def consumer_role(contract: Contract) -> str:
    """Return the product's generic consumer role, ``consumer-<domain>.<name>``."""
    return f"consumer-{contract.product_id}"
