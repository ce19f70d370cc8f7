"""Everything generated from a contract: Spark schema, rules, Glue table, IAM, tags.

Nothing here is written twice: each function reads the contract and the settings and
returns the artifact (STYLE.md #7).
"""

from __future__ import annotations

from dataclasses import dataclass
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

#: ``logicalTypeOptions`` of numbers and integers that bound the values.
_BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
#: Prefix (inside the domain bucket) of domain-internal tables, never granted to consumers.
PRIVATE_PREFIX = "_private"
#: Prefix (inside the domain bucket) of the records a product's build rejected, never granted.
QUARANTINE_PREFIX = "_quarantine"
#: Prefix (inside the domain bucket) of what a product keeps of its cleaned feeds, never granted.
STATE_PREFIX = "_state"


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


def _between(rule_id: str, column: str, bounds: dict[str, Any]) -> Rule:
    """Return the ``between`` rule of ``logicalTypeOptions`` bounds (ODCS number/integer)."""
    low = bounds.get("minimum", bounds.get("exclusiveMinimum"))
    high = bounds.get("maximum", bounds.get("exclusiveMaximum"))
    described = ", ".join(f"{k} {v}" for k, v in bounds.items())
    return Rule(
        rule_id,
        column,
        "between",
        min_value=_bound(low),
        max_value=_bound(high),
        strict_min="minimum" not in bounds and "exclusiveMinimum" in bounds,
        strict_max="maximum" not in bounds and "exclusiveMaximum" in bounds,
        description=described,
    )


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
    bounds = {k: v for k, v in column.options.items() if k in _BOUNDS and v is not None}
    if bounds:
        rules.append(_between(f"{column.name}_range", column.name, bounds))
    for quality in column.quality:
        args = quality.arguments or {}
        if quality.type not in (None, "library") or quality.metric != "invalidValues":
            continue
        name = quality.name or f"{column.name}_{quality.metric}"
        if "validValues" in args:
            rules.append(
                Rule(name, column.name, "in_set", values=tuple(args["validValues"]),
                     description=quality.description or "")
            )  # fmt: skip
        if "pattern" in args:
            rules.append(Rule(name, column.name, "regex", pattern=str(args["pattern"])))
    return rules


def rule_set(contract: Contract) -> RuleSet:
    """Return the record-level validation rules (``goldmine.validation``) of the contract.

    Generated: ``required`` -> ``not_null``; ``enum`` -> ``in_set``;
    ``logicalTypeOptions`` ``minimum`` / ``maximum`` / ``exclusiveMinimum`` /
    ``exclusiveMaximum`` -> ``between`` (rule ``<column>_range``);
    ``logicalTypeOptions.pattern`` -> ``regex``; a one-column primary key or
    ``unique`` -> ``unique``; column quality ``invalidValues`` with ``validValues``
    -> ``in_set``, with ``pattern`` -> ``regex`` (the rule's name). Table-level rules
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


@dataclass(frozen=True)
class Placement:
    """Where a product version is written in this environment, and the server that says so.

    Attributes
    ----------
    server, environment
        The contract server of the settings' environment.
    location, database
        The physical location (``s3://<domain bucket>/<name>/v<major>/``) and Glue
        database, always from the settings.
    declared_location, declared_database
        What the contract server states. Equal to the physical ones, except for a
        ``local`` server stating the default local naming (see :func:`placement`).
    """

    server: str
    environment: str
    location: str
    database: str
    declared_location: str
    declared_database: str

    @property
    def by_rule(self) -> bool:
        """Whether the location was resolved by the local naming rule (server differs)."""
        return (self.location, self.database) != (self.declared_location, self.declared_database)

    def as_dict(self) -> dict[str, Any]:
        """Return the placement as plain data (for the registry)."""
        return {
            "server": self.server,
            "environment": self.environment,
            "location": self.location,
            "database": self.database,
            "declared_location": self.declared_location,
            "declared_database": self.declared_database,
        }


def default_naming(settings: Settings) -> Settings:
    """Return ``settings`` with the default project and no bucket overrides.

    Its mesh buckets and databases are the names a contract's ``local`` server states
    (``goldmine-local-mesh-<domain>``, ``goldmine_local_mesh_<domain>``).
    """
    values = settings.model_dump()
    values.update(project=Settings.model_fields["project"].default, buckets={})
    return Settings.model_validate(values)


def _folder(contract: Contract, bucket: str) -> str:
    return f"s3://{bucket}/{contract.name}/v{contract.major}/"


def placement(contract: Contract, settings: Settings) -> Placement:
    """Resolve where the product is written and check its contract server says so.

    The settings decide the physical names (``settings.buckets.mesh[domain]``,
    ``settings.database("mesh_<domain>")``); the contract server of the settings'
    environment is the promise to consumers and must state them:

    - any environment: the server names exactly that location and database;
    - ``local`` only: the server may instead name the default local naming
      (:func:`default_naming`), since a local stack with another project name or
      bucket overrides is private to one developer or test run. The real names are
      then recorded in the registry (``server`` of the publication).

    Raises
    ------
    ContractError
        When the server names something else: in ``aws`` edit the contract's server
        (moving the data is a breaking change for consumers) or the settings.
    """
    server = contract.server(settings.environment)
    location = _folder(contract, settings.buckets.mesh[contract.domain])
    db = database(contract, settings)
    declared = ((server.location or "").rstrip("/") + "/", str(server.database or ""))
    found = Placement(
        str(server.server), settings.environment, location, db, declared[0], declared[1]
    )
    if declared == (location, db):
        return found
    if settings.is_local:
        default = default_naming(settings)
        named = (
            _folder(contract, default.buckets.mesh[contract.domain]),
            database(contract, default),
        )
        if declared == named:
            return found
        raise ContractError(
            contract.source,
            [
                f"server {server.server} states location {server.location!r} and database "
                f"{server.database!r}: neither this stack's ({location!r}, {db!r}) nor the "
                f"default local naming ({named[0]!r}, {named[1]!r})"
            ],
        )
    problems = [
        f"server {server.server} {what} {said!r} is not {real!r} (from the settings)"
        for what, said, real in (
            ("location", server.location, location),
            ("database", server.database, db),
        )
        if (said or "").rstrip("/") != real.rstrip("/")
    ]
    hint = (
        "the contract is the promise to consumers: edit its server (a moved location is a "
        f"breaking change) or set GOLDMINE_BUCKETS__MESH__{contract.domain.upper()} and "
        "GOLDMINE_PROJECT to what it states"
    )
    raise ContractError(contract.source, [*problems, hint])


def product_location(contract: Contract, settings: Settings) -> str:
    """Return ``s3://<domain mesh bucket>/<name>/v<major>/`` (checked by :func:`placement`).

    Raises
    ------
    ContractError
        When the contract's server of this environment names another location.
    """
    return placement(contract, settings).location


def private_location(contract: Contract, settings: Settings) -> str:
    """Return the domain-internal location of the unmasked table (PII products only)."""
    bucket = settings.buckets.mesh[contract.domain]
    return f"s3://{bucket}/{PRIVATE_PREFIX}/{contract.name}/v{contract.major}/"


def quarantine_location(contract: Contract, settings: Settings) -> str:
    """Return the domain-internal Delta table of the records the product's build rejected.

    ``s3://<domain bucket>/_quarantine/<name>/v<major>/`` (columns
    :data:`goldmine.rules.QUARANTINE_COLUMNS`); like ``_private/``, outside every
    consumer grant (they stop at ``<name>/``) and never registered in Glue.
    """
    bucket = settings.buckets.mesh[contract.domain]
    return f"s3://{bucket}/{QUARANTINE_PREFIX}/{contract.name}/v{contract.major}/"


def state_location(contract: Contract, settings: Settings) -> str:
    """Return the domain-internal prefix of the feed state a product keeps (ADR 0039).

    ``s3://<domain bucket>/_state/<name>/v<major>/``: one Delta table per cleaned feed
    output (``orders/``, ``items/``), read back by the next publish instead of the
    landed files it already cleaned; like ``_private/``, never granted to consumers.
    """
    bucket = settings.buckets.mesh[contract.domain]
    return f"s3://{bucket}/{STATE_PREFIX}/{contract.name}/v{contract.major}/"


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
    never the domain's ``_private/`` prefix where unmasked PII lives, nor its
    ``_quarantine/`` prefix of rejected records, nor the cleaned feeds it keeps in
    ``_state/``.

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
