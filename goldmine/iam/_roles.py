"""The platform's roles as intents, derived from the settings."""

from __future__ import annotations

from typing import Any

from goldmine.iam._generate_policy import split_policy, statements_for
from goldmine.iam._intent import (
    AccessLevel,
    DynamoLocation,
    GlueLocation,
    Grant,
    S3Location,
    grants,
)
from goldmine.settings import DOMAINS, Settings

#: Data products each domain publishes (DATASET.md section 5).
DATA_PRODUCTS: dict[str, tuple[str, ...]] = {
    "sales": ("orders",),
    "customer": ("customers",),
    "catalog": ("products", "stores"),
    "finance": ("fx_rates", "revenue", "customer_lifetime", "product_monthly"),
}
#: The products each domain's producer reads from other domains (the mesh contracts'
#: inputProducts): sales.orders is built with catalog.products and finance.fx_rates;
#: finance's consumer-aligned products (revenue, customer_lifetime, product_monthly)
#: from sales.orders, catalog.products and customer.customers.
CONSUMES: dict[str, tuple[str, ...]] = {
    "sales": ("catalog.products", "finance.fx_rates"),
    "finance": ("sales.orders", "catalog.products", "customer.customers"),
}
ARCHITECTURE_DATABASES: dict[str, tuple[str, ...]] = {
    "lake": ("lake_raw", "lake_curated", "lake_analytics"),
    "lakehouse": ("lakehouse_bronze", "lakehouse_silver", "lakehouse_gold"),
    "mesh": tuple(f"mesh_{d}" for d in DOMAINS),
}
_READ: tuple[AccessLevel, ...] = ("list", "read")
_READ_WRITE: tuple[AccessLevel, ...] = ("list", "read", "write")


class UnknownRoleError(KeyError):
    """A role or data product name the intents do not define."""

    def __str__(self) -> str:
        return str(self.args[0])


def split_product(domain: str, product: str) -> str:
    """Return the product's short name; accept ``orders`` or ``sales.orders``."""
    owner, dot, name = product.partition(".")
    if dot:
        if owner != domain:
            raise UnknownRoleError(f"data product {product!r} is not in domain {domain!r}")
        product = name
    if product not in DATA_PRODUCTS.get(domain, ()):
        known = ", ".join(f"{d}.{p}" for d, ps in DATA_PRODUCTS.items() for p in ps)
        raise UnknownRoleError(f"unknown data product {domain}.{product}: expected one of {known}")
    return product


def consumer_grants(
    settings: Settings, domain: str, product: str, *, principal: str | None = None
) -> list[Grant]:
    """Return the grants to read one data product: its prefix and its Glue table.

    Parameters
    ----------
    settings
        The platform settings.
    domain
        The owning domain (``sales``).
    product
        The product (``orders`` or ``sales.orders``), stored under
        ``s3://{mesh bucket}/{product}/`` and Glue table ``{product}`` of
        ``settings.database("mesh_{domain}")``.
    principal
        Who holds the grants; ``consumer-{domain}.{product}`` by default.
    """
    name = split_product(domain, product)
    return grants(
        principal or f"consumer-{domain}.{name}",
        _READ,
        s3=[S3Location(bucket=settings.buckets.mesh[domain], prefix=name)],
        glue=[GlueLocation(database=settings.database(f"mesh_{domain}"), table=name)],
    )


def _spark_role(settings: Settings, architecture: str, buckets: list[str]) -> list[Grant]:
    principal = f"spark-{architecture}"
    b = settings.buckets
    databases = [
        GlueLocation(database=settings.database(n)) for n in ARCHITECTURE_DATABASES[architecture]
    ]
    return [
        *grants(
            principal, _READ, s3=[S3Location(bucket=b.landing), S3Location(bucket=b.artifacts)]
        ),
        *grants(principal, _READ_WRITE, s3=[S3Location(bucket=x) for x in buckets]),
        # EMR and EMR Serverless upload the job's logs as the job role.
        *grants(principal, ("write",), s3=[S3Location(bucket=b.artifacts, prefix="logs")]),
        # Every run stores its summary (goldmine.observe, ADR 0022).
        *grants(principal, ("write",), s3=[S3Location(bucket=b.artifacts, prefix="runs")]),
        # ... and its run metrics, in the project's namespace only.
        *grants(
            principal, ("write",), metric_namespaces=[settings.observability.metrics_namespace]
        ),
        *grants(principal, ("read", "write", "manage"), glue=databases),
        # Run leases for every architecture; Delta commit claims where it writes Delta.
        *grants(principal, ("read", "write"), dynamodb=_dynamodb_tables(settings, architecture)),
    ]


#: Architectures whose Spark jobs write Delta tables (the lake writes Parquet only).
WRITES_DELTA: frozenset[str] = frozenset({"lakehouse", "mesh"})


def _dynamodb_tables(settings: Settings, architecture: str) -> list[DynamoLocation]:
    tables = [DynamoLocation(table=settings.lease_table, kind="leases")]
    if architecture in WRITES_DELTA:
        tables.append(DynamoLocation(table=settings.delta_log_table, kind="delta-log"))
    return tables


#: Dimensions analysts join gold with, catalogued in the gold databases but stored in
#: the lake's curated zone and the lakehouse's silver layer.
GOLD_DIMENSIONS = ("products", "stores")


def role_intents(settings: Settings, *, kms_key_arn: str | None = None) -> dict[str, list[Grant]]:
    """Return every platform role and its grants.

    Roles: ``spark-lake``, ``spark-lakehouse``, ``spark-mesh`` (the Spark job role of
    each architecture), ``analyst`` (Athena workgroup, gold read-only, Athena results),
    ``producer-{domain}`` (its own mesh bucket and Glue database, and read on the
    other domains' products it builds from, :data:`CONSUMES`) and
    ``consumer-{domain}.{product}`` (one product's prefix and Glue table).

    Parameters
    ----------
    settings
        The platform settings (buckets, databases, workgroup, region).
    kms_key_arn
        The key encrypting the buckets, added to every S3 grant when given.
    """
    b = settings.buckets
    roles: dict[str, list[Grant]] = {
        "spark-lake": _spark_role(settings, "lake", [b.raw, b.curated, b.analytics]),
        "spark-lakehouse": _spark_role(settings, "lakehouse", [b.lakehouse]),
        "spark-mesh": _spark_role(settings, "mesh", [b.mesh[d] for d in DOMAINS]),
    }
    roles["analyst"] = [
        *grants("analyst", ("list", "read", "write"), workgroups=[settings.athena_workgroup]),
        *grants(
            "analyst",
            _READ,
            s3=[
                S3Location(bucket=b.analytics),
                S3Location(bucket=b.lakehouse, prefix="gold"),
                # The conformed dimensions the gold databases catalogue (ADR 0013).
                *(S3Location(bucket=b.curated, prefix=d) for d in GOLD_DIMENSIONS),
                *(S3Location(bucket=b.lakehouse, prefix=f"silver/{d}") for d in GOLD_DIMENSIONS),
            ],
            glue=[
                GlueLocation(database=settings.database("lake_analytics")),
                GlueLocation(database=settings.database("lakehouse_gold")),
            ],
        ),
        *grants("analyst", _READ_WRITE, s3=[S3Location(bucket=b.athena_results)]),
    ]
    for domain in DOMAINS:
        principal = f"producer-{domain}"
        roles[principal] = [
            *grants(principal, (*_READ_WRITE, "tagging"), s3=[S3Location(bucket=b.mesh[domain])]),
            *grants(
                principal,
                ("read", "write", "tagging", "manage"),
                glue=[GlueLocation(database=settings.database(f"mesh_{domain}"))],
            ),
        ]
        for upstream in CONSUMES.get(domain, ()):
            owner, _, name = upstream.partition(".")
            roles[principal] += consumer_grants(settings, owner, name, principal=principal)
    for domain, products in DATA_PRODUCTS.items():
        for product in products:
            roles[f"consumer-{domain}.{product}"] = consumer_grants(settings, domain, product)
    if kms_key_arn is not None:
        roles = {
            name: [g.model_copy(update={"kms_keys": (kms_key_arn,)}) if g.s3 else g for g in gs]
            for name, gs in roles.items()
        }
    return roles


def role_names(settings: Settings) -> list[str]:
    """Return every role name of :func:`role_intents`, in its order."""
    return list(role_intents(settings))


def policy_for(
    role_name: str,
    settings: Settings,
    *,
    account_id: str = "*",
    kms_key_arn: str | None = None,
) -> list[dict[str, Any]]:
    """Return the managed policy documents of one role (split at 6,144 characters).

    Parameters
    ----------
    role_name
        A name from :func:`role_names` (``analyst``, ``spark-lake``, ...).
    settings
        The platform settings.
    account_id
        Account in Glue / Athena ARNs; ``"*"`` matches the caller's own account.
    kms_key_arn
        Key encrypting the buckets, if any.

    Raises
    ------
    UnknownRoleError
        When the role is not defined; the message lists the known roles.
    """
    intents = role_intents(settings, kms_key_arn=kms_key_arn)
    if role_name not in intents:
        raise UnknownRoleError(f"unknown role {role_name!r}: expected one of {', '.join(intents)}")
    statements = statements_for(intents[role_name], region=settings.region, account_id=account_id)
    return split_policy(statements)


def consumer_policy(
    settings: Settings, domain: str, product: str, *, account_id: str = "*"
) -> dict[str, Any]:
    """Return the one policy document that lets a consumer read one data product.

    Examples
    --------
    >>> from goldmine.settings import Settings
    >>> consumer_policy(Settings(), "sales", "orders")["Statement"][1]["Resource"]
    ['arn:aws:s3:::goldmine-local-mesh-sales/orders/*']
    """
    statements = statements_for(
        consumer_grants(settings, domain, product), region=settings.region, account_id=account_id
    )
    (document,) = split_policy(statements)
    return document
