"""The one cost tag policy: required keys, allowed values, defaults from settings.

The same policy is exported as plain data by :func:`tag_policy` so that the CDK app
(``infra/``) applies exactly what the audit checks (docs/adr/0005-tag-policy.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from goldmine.settings import DOMAINS, ENVIRONMENTS, Settings

#: Keys every platform resource carries.
REQUIRED_KEYS: tuple[str, ...] = ("project", "environment", "domain", "cost-center", "owner")
#: Key carried where a resource belongs to one data product (mesh tables, product jobs).
DATA_PRODUCT_KEY = "data-product"
#: Cost-allocation domains: shared platform, the two central architectures, the mesh domains.
TAG_DOMAINS: tuple[str, ...] = ("platform", "lake", "lakehouse", *DOMAINS)

#: Domain of each platform bucket role (``Buckets.all()`` keys). Landing feeds all three
#: architectures, so it is shared platform cost like the results, artifacts and logs.
BUCKET_ROLE_DOMAINS: dict[str, str] = {
    "landing": "platform",
    "raw": "lake",
    "curated": "lake",
    "analytics": "lake",
    "lakehouse": "lakehouse",
    "athena_results": "platform",
    "artifacts": "platform",
    "access_logs": "platform",
    **{f"mesh-{d}": d for d in DOMAINS},
}


class TagPolicyError(ValueError):
    """Tags asked for do not satisfy the policy; the message names each violation."""


@dataclass(frozen=True)
class TagRule:
    """What one tag key accepts.

    Parameters
    ----------
    key
        The tag key.
    pattern
        Regular expression the whole value must match.
    allowed
        The closed set of values, or ``None`` when only ``pattern`` applies.
    description
        What the tag means, for help texts and the CDK app.
    """

    key: str
    pattern: str
    allowed: tuple[str, ...] | None
    description: str

    def accepts(self, value: str) -> bool:
        """Return whether ``value`` is valid for this key."""
        if self.allowed is not None:
            return value in self.allowed
        return re.fullmatch(self.pattern, value) is not None

    def expected(self) -> str:
        """Return the allowed values (``a|b``) or the pattern, for messages."""
        return "|".join(self.allowed) if self.allowed is not None else self.pattern


def _one_of(values: tuple[str, ...]) -> str:
    return "^(" + "|".join(re.escape(v) for v in values) + ")$"


RULES: dict[str, TagRule] = {
    r.key: r
    for r in (
        TagRule("project", r"^[a-z][a-z0-9-]{1,62}$", None, "the platform project name"),
        TagRule("environment", _one_of(ENVIRONMENTS), ENVIRONMENTS, "named deployment (local|aws)"),
        TagRule("domain", _one_of(TAG_DOMAINS), TAG_DOMAINS, "cost-allocation domain"),
        TagRule("cost-center", r"^[a-z0-9][a-z0-9-]{1,62}$", None, "finance cost center"),
        TagRule("owner", r"^[a-z0-9][a-z0-9.@_-]{1,127}$", None, "team or address that owns it"),
        TagRule(
            DATA_PRODUCT_KEY,
            r"^[a-z]+\.[a-z_]+$",
            None,
            "data product id <domain>.<product>, e.g. sales.orders",
        ),
    )
}

ViolationKind = Literal["missing", "invalid", "mismatch"]


@dataclass(frozen=True)
class TagViolation:
    """One way a set of tags breaks the policy.

    Parameters
    ----------
    key
        The tag key concerned.
    problem
        ``missing`` (key absent), ``invalid`` (value outside the allowed set or
        pattern) or ``mismatch`` (valid value, but not the one this resource needs).
    value
        The value found, ``None`` when missing.
    expected
        The allowed values (``a|b``), the pattern, or the one expected value.
    """

    key: str
    problem: ViolationKind
    value: str | None
    expected: str

    def message(self) -> str:
        """Return the violation as one line."""
        if self.problem == "missing":
            return f"missing tag {self.key!r} (expected {self.expected})"
        return f"tag {self.key}={self.value!r} is {self.problem}: expected {self.expected}"


def check_tags(
    tags: Mapping[str, str],
    *,
    require_data_product: bool = False,
    expected: Mapping[str, str] | None = None,
) -> list[TagViolation]:
    """Check tags against the policy.

    Parameters
    ----------
    tags
        The resource's tags ``{key: value}``.
    require_data_product
        Whether the resource belongs to one data product and so needs ``data-product``.
    expected
        Exact values this resource must carry (e.g. its project and domain); a valid
        but different value is a ``mismatch``.

    Returns
    -------
    list[TagViolation]
        Violations in policy key order; empty when the tags comply.

    Examples
    --------
    >>> check_tags({"project": "goldmine"})[0].message()
    "missing tag 'environment' (expected local|aws)"
    """
    keys = [*REQUIRED_KEYS, DATA_PRODUCT_KEY]
    violations: list[TagViolation] = []
    for key in keys:
        rule = RULES[key]
        value = tags.get(key)
        if value is None:
            if key in REQUIRED_KEYS or require_data_product:
                violations.append(TagViolation(key, "missing", None, rule.expected()))
            continue
        if not rule.accepts(value):
            violations.append(TagViolation(key, "invalid", value, rule.expected()))
        elif expected is not None and key in expected and expected[key] != value:
            violations.append(TagViolation(key, "mismatch", value, expected[key]))
    product = tags.get(DATA_PRODUCT_KEY)
    domain = tags.get("domain")
    if (
        product is not None
        and domain is not None
        and RULES[DATA_PRODUCT_KEY].accepts(product)
        and product.split(".", 1)[0] != domain
    ):
        violations.append(TagViolation(DATA_PRODUCT_KEY, "mismatch", product, f"{domain}.*"))
    return violations


def default_tags(settings: Settings) -> dict[str, str]:
    """Return the tag values every resource of this deployment shares.

    Parameters
    ----------
    settings
        The platform settings (project, environment, ``tags`` defaults).
    """
    return {
        "project": settings.project,
        "environment": settings.environment,
        "cost-center": settings.tags.cost_center,
        "owner": settings.tags.owner,
    }


def tags_for(settings: Settings, *, domain: str, data_product: str | None = None) -> dict[str, str]:
    """Return the full, valid tag set of a resource.

    Parameters
    ----------
    settings
        The platform settings (defaults of project, environment, cost center, owner).
    domain
        Cost-allocation domain (``platform``, ``lake``, ``lakehouse`` or a mesh domain).
    data_product
        Data product id (``sales.orders``) when the resource belongs to one.

    Returns
    -------
    dict[str, str]
        Tags in policy key order.

    Raises
    ------
    TagPolicyError
        When a value breaks the policy, e.g. an unknown domain.

    Examples
    --------
    >>> from goldmine.settings import Settings
    >>> tags_for(Settings(), domain="sales", data_product="sales.orders")["data-product"]
    'sales.orders'
    """
    base = default_tags(settings)
    tags = {
        "project": base["project"],
        "environment": base["environment"],
        "domain": domain,
        "cost-center": base["cost-center"],
        "owner": base["owner"],
    }
    if data_product is not None:
        tags[DATA_PRODUCT_KEY] = data_product
    violations = check_tags(tags, require_data_product=data_product is not None)
    if violations:
        raise TagPolicyError("; ".join(v.message() for v in violations))
    return tags


def bucket_domains(settings: Settings) -> dict[str, str]:
    """Return ``{bucket name: domain}`` for every bucket of the settings."""
    return {name: BUCKET_ROLE_DOMAINS[role] for role, name in settings.buckets.all().items()}


def tag_policy(settings: Settings | None = None) -> dict[str, Any]:
    """Return the tag policy as plain data, for the CDK app and documentation.

    Parameters
    ----------
    settings
        When given, ``defaults`` holds this deployment's default values and
        ``buckets`` the domain of each of its buckets.

    Returns
    -------
    dict[str, Any]
        ``required`` (keys), ``conditional`` (``data-product``), ``rules``
        (``{key: {"pattern", "allowed", "description"}}``), ``domains``,
        ``bucket_roles`` (``{role: domain}``), and with settings ``defaults`` and
        ``buckets``.
    """
    policy: dict[str, Any] = {
        "required": list(REQUIRED_KEYS),
        "conditional": [DATA_PRODUCT_KEY],
        "rules": {
            key: {
                "pattern": rule.pattern,
                "allowed": list(rule.allowed) if rule.allowed is not None else None,
                "description": rule.description,
            }
            for key, rule in RULES.items()
        },
        "domains": list(TAG_DOMAINS),
        "bucket_roles": dict(BUCKET_ROLE_DOMAINS),
    }
    if settings is not None:
        policy["defaults"] = default_tags(settings)
        policy["buckets"] = bucket_domains(settings)
    return policy
