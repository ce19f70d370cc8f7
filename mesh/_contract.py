"""Load ODCS v3 contracts, validate them against the standard's JSON schema and our rules.

A contract is the single source of a data product: everything else (Spark schema,
validation rules, Glue table, IAM policy, cost tags) is generated from it
(``_generate.py``). The JSON schema and the reference model ship with the
``open-data-contract-standard`` package.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from open_data_contract_standard.model import (
    DataQuality,
    OpenDataContractStandard,
    SchemaObject,
    SchemaProperty,
    Server,
)
from pydantic import ValidationError

from mesh._types import TypeSpecError, check_logical, parse_type

#: Where the contracts live: ``mesh/<domain>/<product>/contract.yaml``.
MESH_ROOT = Path(__file__).resolve().parent
CONTRACT_FILE = "contract.yaml"
#: Classification that marks personal data; such columns need a ``piiTreatment``.
PII = "pii"
PII_TREATMENTS = ("sha256", "mask")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_MAJOR = re.compile(r"^v?(\d+)(?:[.+-].*)?$")
_DAY = 86400
_SLA_UNITS = {
    "s": 1, "m": 60, "min": 60, "h": 3600, "d": _DAY, "day": _DAY, "days": _DAY,
    "w": 7 * _DAY, "week": 7 * _DAY, "weeks": 7 * _DAY,
    "y": 365 * _DAY, "yr": 365 * _DAY, "year": 365 * _DAY, "years": 365 * _DAY,
}  # fmt: skip


class ContractError(ValueError):
    """A contract is invalid; ``problems`` lists every finding, one line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


@dataclass(frozen=True)
class Column:
    """One column of a product table, as the contract states it."""

    name: str
    logical_type: str
    physical_type: str
    required: bool
    description: str
    primary_key_position: int | None
    classification: str | None
    pii_treatment: str | None
    enum: tuple[Any, ...] | None
    quality: tuple[DataQuality, ...]
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)


@dataclass(frozen=True)
class Contract:
    """A validated ODCS contract of one data product.

    Parameters
    ----------
    model
        The ODCS reference model (``open_data_contract_standard``).
    raw
        The YAML document as loaded (for hashing, diffs and the registry).
    source
        Where it was read from (a path or ``<string>``).
    """

    model: OpenDataContractStandard
    raw: dict[str, Any]
    source: str = "<string>"

    @property
    def domain(self) -> str:
        """Return the owning domain (``sales``)."""
        return str(self.model.domain)

    @property
    def name(self) -> str:
        """Return the product's short name (``orders``)."""
        return str(self.model.name)

    @property
    def product_id(self) -> str:
        """Return ``<domain>.<name>``."""
        return f"{self.domain}.{self.name}"

    @property
    def version(self) -> str:
        """Return the contract version (semver ``MAJOR.MINOR.PATCH``)."""
        return str(self.model.version)

    @property
    def major(self) -> int:
        """Return the major version: consumers pin it, it names the storage folder."""
        return version_tuple(self.version)[0]

    @property
    def table(self) -> SchemaObject:
        """Return the one schema object (table) of the product."""
        assert self.model.schema_ is not None
        return self.model.schema_[0]

    @property
    def tables(self) -> tuple[SchemaObject, ...]:
        """Return every schema object (our products have one; ODCS allows any number)."""
        return tuple(self.model.schema_ or ())

    @property
    def columns(self) -> tuple[Column, ...]:
        """Return the table's columns in contract order."""
        return table_columns(self.table)

    @property
    def primary_key(self) -> tuple[str, ...]:
        """Return the primary key columns in key order."""
        return primary_key(self.columns)

    @property
    def owner(self) -> str:
        """Return the owning team's name."""
        team = self.model.team
        return str(getattr(team, "name", None) or f"{self.domain}-team")

    def custom(self, key: str, default: Any = None) -> Any:
        """Return a top-level custom property's value."""
        return _custom(self.model.customProperties, key, default)

    def sla(self, prop: str) -> tuple[float, str | None] | None:
        """Return an SLA property as ``(seconds, element)``, ``None`` when absent.

        Parameters
        ----------
        prop
            ``freshness`` or ``latency``.
        """
        for item in self.model.slaProperties or []:
            if item.property == prop:
                return sla_seconds(item.value, item.unit), item.element
        return None

    def server(self, environment: str) -> Server:
        """Return the server of a named environment (``local`` or ``aws``)."""
        for server in self.model.servers or []:
            if server.environment == environment:
                return server
        raise ContractError(self.source, [f"no server for environment {environment!r}"])

    def role_access(self) -> dict[str, str]:
        """Return ``{role: access}`` of the contract's roles."""
        return {str(r.role): str(r.access or "read") for r in self.model.roles or []}

    def input_products(self) -> tuple[str, ...]:
        """Return the products this one is built from (``inputs`` custom property)."""
        return tuple(self.custom("inputProducts", []) or [])


def version_tuple(version: str) -> tuple[int, int, int]:
    """Parse ``MAJOR.MINOR.PATCH``.

    Examples
    --------
    >>> version_tuple("2.1.0")
    (2, 1, 0)
    """
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(f"version {version!r} is not MAJOR.MINOR.PATCH")
    major, minor, patch = (int(g) for g in match.groups())
    return major, minor, patch


def major_of(version: str) -> int | None:
    """Return the major number of any version string, ``None`` when it has none.

    Examples
    --------
    >>> major_of("2.1.0"), major_of("v3"), major_of("1.0.0-rc1"), major_of("draft")
    (2, 3, 1, None)
    """
    match = _MAJOR.match(str(version).strip())
    return int(match.group(1)) if match else None


def sla_seconds(value: Any, unit: str | None) -> float:
    """Return an SLA duration in seconds (units ``s``, ``m``, ``h``, ``d``)."""
    factor = _SLA_UNITS.get((unit or "s").lower())
    if factor is None:
        raise ValueError(f"unknown SLA unit {unit!r}: expected one of {', '.join(_SLA_UNITS)}")
    return float(value) * factor


def _custom(props: list[Any] | None, key: str, default: Any = None) -> Any:
    for prop in props or []:
        if prop.property == key:
            return prop.value
    return default


def table_columns(table: SchemaObject) -> tuple[Column, ...]:
    """Return the columns of one schema object in contract order."""
    return tuple(_column(p) for p in table.properties or [])


def primary_key(columns: tuple[Column, ...]) -> tuple[str, ...]:
    """Return the primary key columns in key order."""
    keyed = [c for c in columns if c.primary_key_position is not None]
    return tuple(c.name for c in sorted(keyed, key=lambda c: c.primary_key_position or 0))


def _column(prop: SchemaProperty) -> Column:
    return Column(
        name=str(prop.name),
        logical_type=str(prop.logicalType or ""),
        physical_type=str(prop.physicalType or ""),
        required=bool(prop.required),
        description=prop.description or "",
        # A key column without a position (ODCS allows it) keeps its contract order.
        primary_key_position=(
            (prop.primaryKeyPosition if prop.primaryKeyPosition is not None else -1)
            if prop.primaryKey
            else None
        ),
        classification=prop.classification,
        pii_treatment=_custom(prop.customProperties, "piiTreatment"),
        enum=tuple(e.value for e in prop.enum) if prop.enum else None,
        quality=tuple(prop.quality or ()),
        options=dict(prop.logicalTypeOptions or {}),
    )


@functools.cache
def odcs_json_schema() -> dict[str, Any]:
    """Return the ODCS JSON schema shipped with ``open-data-contract-standard``."""
    text = resources.files("open_data_contract_standard").joinpath("schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def schema_errors(document: dict[str, Any]) -> list[str]:
    """Return the ODCS JSON schema violations of a document, one line each."""
    validator = jsonschema.Draft201909Validator(odcs_json_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}" for e in errors]


def parse_odcs(document: Any, source: str = "<string>") -> Contract:
    """Validate a document against the ODCS JSON schema only, and wrap it.

    The lenient reading, for contracts the platform did not write (``mesh diff``):
    any id, servers, roles and schema object names the standard allows.

    Raises
    ------
    ContractError
        When the document is not an ODCS contract, with every problem found.
    """
    if not isinstance(document, dict):
        raise ContractError(source, ["not a YAML mapping"])
    problems = schema_errors(document)
    if problems:
        raise ContractError(source, problems)
    try:
        model = OpenDataContractStandard(**document)
    except ValidationError as exc:
        raise ContractError(
            source, [f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
        ) from None
    return Contract(model=model, raw=document, source=source)


def parse_contract(document: dict[str, Any], source: str = "<string>") -> Contract:
    """Validate a contract document (ODCS JSON schema, then our rules) and wrap it.

    Raises
    ------
    ContractError
        With every problem found.
    """
    contract = parse_odcs(document, source)
    problems = _platform_rules(contract)
    if problems:
        raise ContractError(source, problems)
    return contract


def read_document(path: str | Path) -> Any:
    """Read a YAML file; an unreadable file or invalid YAML is a :class:`ContractError`."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(str(path), [f"cannot read: {exc}"]) from None
    except yaml.YAMLError as exc:
        raise ContractError(str(path), [f"not YAML: {' '.join(str(exc).split())}"]) from None


def load_odcs(path: str | Path) -> Contract:
    """Read any ODCS v3 contract, checked against the standard only (``mesh diff``)."""
    return parse_odcs(read_document(path), str(path))


def load_contract(path: str | Path) -> Contract:
    """Read and validate ``contract.yaml`` against ODCS and the platform's rules."""
    document = read_document(path)
    if not isinstance(document, dict):
        raise ContractError(str(path), ["not a YAML mapping"])
    return parse_contract(document, str(path))


def contract_path(product_id: str, root: Path = MESH_ROOT) -> Path:
    """Return ``mesh/<domain>/<product>/contract.yaml`` of ``domain.product``."""
    domain, dot, name = product_id.partition(".")
    if not dot or not domain or not name:
        raise ValueError(f"data product {product_id!r} is not DOMAIN.PRODUCT (e.g. sales.orders)")
    path = root / domain / name / CONTRACT_FILE
    if not path.exists():
        known = ", ".join(sorted(c.parent.parent.name + "." + c.parent.name for c in _all(root)))
        raise ValueError(f"unknown data product {product_id!r}: expected one of {known}")
    return path


def _all(root: Path) -> list[Path]:
    return sorted(root.glob(f"*/*/{CONTRACT_FILE}"))


def load_product_contract(product_id: str, root: Path = MESH_ROOT) -> Contract:
    """Load the contract of ``domain.product`` from the repo."""
    return load_contract(contract_path(product_id, root))


def list_contracts(root: Path = MESH_ROOT) -> list[Contract]:
    """Load every contract under ``root``, sorted by product id."""
    return [load_contract(p) for p in _all(root)]


#: Table-level library metrics the publisher checks (``mesh._check_data``).
_TABLE_METRICS = ("rowCount", "duplicateValues")


def _unchecked_quality(contract: Contract) -> list[str]:
    """Quality rules the publisher's checks would not run: a contract promises none of them."""
    problems: list[str] = []
    for col in contract.columns:
        for q in col.quality:
            if q.type == "sql":
                problems += _sql_problems(q, f"column {col.name}", col.name)
                continue
            args = q.arguments or {}
            runnable = (
                q.type in (None, "library")
                and q.metric == "invalidValues"
                and ("validValues" in args or "pattern" in args)
            )
            if not runnable:
                problems.append(
                    f"column {col.name}: quality {q.name or q.metric or q.type} is not checked "
                    "(a column rule is invalidValues with validValues or pattern; "
                    "bounds go in logicalTypeOptions minimum/maximum)"
                )
    for q in contract.table.quality or []:
        if q.type == "sql":
            problems += _sql_problems(q, "table", None)
        elif q.type not in (None, "library") or q.metric not in _TABLE_METRICS:
            problems.append(
                f"table quality {q.name or q.metric or q.type} is not checked "
                f"(a table rule is {' or '.join(_TABLE_METRICS)} or a sql query)"
            )
    return problems


def _sql_problems(quality: DataQuality, where: str, column: str | None) -> list[str]:
    """Why a ``sql`` rule could not be run (empty: it can; ``mesh._sql_rules``)."""
    from mesh._sql_rules import SqlRuleError, to_spark_sql

    try:
        to_spark_sql(quality.query or "", "product", column)
    except SqlRuleError as exc:
        return [f"{where}: sql quality {quality.name or 'sql'}: {exc}"]
    return []  # its comparator is required by the ODCS JSON schema


def _platform_rules(contract: Contract) -> list[str]:
    """Our rules on top of ODCS: what generation and publishing rely on."""
    m = contract.model
    problems: list[str] = []
    if not m.domain or not m.name:
        problems.append("domain and name are required (the product id is <domain>.<name>)")
    if m.id != f"{m.domain}.{m.name}":
        problems.append(f"id must be '<domain>.<name>' ({m.domain}.{m.name}), got {m.id!r}")
    try:
        major = version_tuple(str(m.version))[0]
    except ValueError as exc:
        problems.append(str(exc))
        major = None
    if not m.schema_ or len(m.schema_) != 1:
        problems.append("exactly one schema object (the product table) is required")
        return problems
    if m.schema_[0].name != m.name:
        problems.append(f"schema object name must be the product name {m.name!r}")
    seen: set[str] = set()
    for col in contract.columns:
        if col.name in seen:
            problems.append(f"column {col.name}: duplicated")
        seen.add(col.name)
        try:
            check_logical(col.logical_type, parse_type(col.physical_type))
        except TypeSpecError as exc:
            problems.append(f"column {col.name}: {exc}")
        if col.classification == PII and col.pii_treatment not in PII_TREATMENTS:
            problems.append(
                f"column {col.name}: classification pii needs customProperties piiTreatment "
                f"({' or '.join(PII_TREATMENTS)})"
            )
    if not contract.primary_key:
        problems.append("a primary key is required (primaryKey + primaryKeyPosition)")
    problems += _unchecked_quality(contract)
    for item in m.slaProperties or []:
        try:
            sla_seconds(item.value, item.unit)
        except (TypeError, ValueError) as exc:
            problems.append(f"slaProperties {item.property}: {exc}")
    if contract.sla("freshness") is None:
        problems.append("slaProperties needs a freshness property")
    for env in ("local", "aws"):
        try:
            server = contract.server(env)
        except ContractError:
            problems.append(f"servers needs one server with environment {env!r}")
            continue
        location = server.location or ""
        if major is not None and not location.rstrip("/").endswith(f"/{m.name}/v{major}"):
            problems.append(
                f"server {server.server}: location must end with /{m.name}/v{major}/ "
                f"(one folder per major version), got {location!r}"
            )
    if not m.roles:
        problems.append("roles: at least one consumer role is required")
    return problems
