"""Classify the changes between two versions of a contract as breaking or not.

The rule: a change is breaking when data or use that the old contract allowed is no
longer allowed (a consumer's query or a valid old record would fail): removed or
renamed table or column, narrowed or changed type, nullable -> required, added
required column, tightened enum or bound, added or changed quality rule, removed or
changed server, stricter SLA, changed primary key, moved location, removed role.
Everything else (added optional column or table, widened type, loosened
constraints, docs) is not. A breaking change needs a major version bump.

Any two contracts valid against the ODCS v3 JSON schema can be compared (UUID ids,
any servers, no roles, several tables): the platform's own policy is
``mesh validate``'s. Two contracts that are not the same product (different ``id``),
or whose versions have no major number, cannot be judged: :class:`ContractError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from mesh._contract import (
    Column,
    Contract,
    ContractError,
    major_of,
    primary_key,
    sla_seconds,
    table_columns,
)
from mesh._types import TypeSpecError, parse_type, widens

#: Bounds (``logicalTypeOptions`` and quality arguments) where a higher value is tighter.
_LOWER = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
#: Bounds where a lower value is tighter.
_UPPER = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
#: Options whose change may reject values the old contract allowed (cannot tell).
_SHAPE = ("pattern", "format", "multipleOf")
#: Logical types that hold every value of another: (old, new).
_LOGICAL_WIDENINGS = {("integer", "number"), ("date", "timestamp")}
#: SLA properties where a smaller value is a stronger promise.
_SLA_SMALLER_IS_STRICTER = ("freshness", "latency", "frequency", "timeToDetect", "timeToNotify")
#: SLA properties where a larger value is a stronger promise.
_SLA_LARGER_IS_STRICTER = ("retention",)
#: Server fields that are not how a consumer connects (the location is compared apart).
_NOT_CONNECTION = ("id", "server", "description", "environment", "roles", "customProperties")
_LOCATION = ("location", "path")


@dataclass(frozen=True)
class Change:
    """One change: its class, whether it breaks consumers, and where."""

    kind: str
    breaking: bool
    where: str
    detail: str = ""

    def line(self) -> str:
        """Return the change as one line."""
        mark = "BREAKING" if self.breaking else "ok"
        return f"[{mark}] {self.kind}: {self.where}" + (f" ({self.detail})" if self.detail else "")


@dataclass(frozen=True)
class ContractDiff:
    """Every change between two contracts and the version rule's verdict."""

    old_version: str
    new_version: str
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def breaking(self) -> list[Change]:
        """Return the breaking changes."""
        return [c for c in self.changes if c.breaking]

    @property
    def major_bumped(self) -> bool:
        """Whether the new major version is greater than the old one."""
        return (major_of(self.new_version) or 0) > (major_of(self.old_version) or 0)

    @property
    def ok(self) -> bool:
        """Whether the new contract may be published (no breaking change, or a major bump)."""
        return not self.breaking or self.major_bumped

    def as_dict(self) -> dict[str, Any]:
        """Return the verdict and every classified change as plain data (``--format json``)."""
        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "major_bumped": self.major_bumped,
            "compatible": self.ok,
            "breaking": len(self.breaking),
            "changes": [asdict(c) for c in self.changes],
        }


def _set_change(kind: str, old: Any, new: Any, where: str) -> Change:
    old_set, new_set = set(old or ()), set(new or ())
    if old is None:
        return Change(f"tightened {kind}", True, where, f"now only {sorted(map(str, new_set))}")
    if new is None or new_set > old_set:
        return Change(
            f"loosened {kind}", False, where, f"added {sorted(map(str, new_set - old_set))}"
        )
    if new_set == old_set:
        return Change(f"reordered {kind}", False, where)
    return Change(
        f"tightened {kind}", True, where, f"removed {sorted(map(str, old_set - new_set))}"
    )


class _Bounds:
    """Collects how the bounds of one rule moved: tighter or looser."""

    def __init__(self) -> None:
        self.tighter: list[str] = []
        self.looser: list[str] = []

    def compare(self, label: str, a: Any, b: Any, higher_is_tighter: bool) -> None:
        if a == b:
            return
        text = f"{label} {a} -> {b}"
        if a is None or b is None:
            (self.tighter if b is not None else self.looser).append(text)
            return
        try:
            is_tighter = b > a if higher_is_tighter else b < a
        except TypeError:  # values of different kinds: cannot tell, assume the worst
            is_tighter = True
        (self.tighter if is_tighter else self.looser).append(text)

    def compare_all(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        for key in _LOWER:
            self.compare(key, old.get(key), new.get(key), True)
        for key in _UPPER:
            self.compare(key, old.get(key), new.get(key), False)
        for key in _SHAPE:
            if old.get(key) != new.get(key):
                (self.tighter if new.get(key) is not None else self.looser).append(
                    f"{key} {old.get(key)!r} -> {new.get(key)!r}"
                )

    def changes(self, where: str) -> list[Change]:
        if self.tighter:
            return [Change("tightened quality bound", True, where, "; ".join(self.tighter))]
        if self.looser:
            return [Change("loosened quality bound", False, where, "; ".join(self.looser))]
        return []


def _diff_type(old: Column, new: Column, where: str) -> list[Change]:
    a, b = old.physical_type or old.logical_type, new.physical_type or new.logical_type
    if a.lower() == b.lower() and old.logical_type == new.logical_type:
        return []
    detail = f"{a} -> {b}"
    try:
        spec_a, spec_b = parse_type(a), parse_type(b)
    except TypeSpecError:  # a type our DDL parser does not know: judge the logical types
        if (old.logical_type, new.logical_type) in _LOGICAL_WIDENINGS:
            return [Change("widened type", False, where, detail)]
        return [Change("changed type", True, where, detail)]
    if widens(spec_a, spec_b):
        return [Change("widened type", False, where, detail)]
    kind = "narrowed type" if widens(spec_b, spec_a) else "changed type"
    return [Change(kind, True, where, detail)]


def _diff_column(old: Column, new: Column, where: str) -> list[Change]:
    changes = _diff_type(old, new, where)
    if old.required != new.required:
        if new.required:
            changes.append(Change("nullable -> required", True, where))
        else:
            changes.append(Change("required -> nullable", False, where))
    if old.enum != new.enum:
        changes.append(_set_change("enum", old.enum, new.enum, where))
    bounds = _Bounds()
    bounds.compare_all(old.options, new.options)
    changes += bounds.changes(f"{where}.logicalTypeOptions")
    if (old.classification, old.pii_treatment) != (new.classification, new.pii_treatment):
        changes.append(
            Change(
                "changed classification",
                True,
                where,
                f"{old.classification}/{old.pii_treatment} -> "
                f"{new.classification}/{new.pii_treatment}",
            )
        )
    changes += _diff_quality(old.quality, new.quality, where)
    if old.description != new.description:
        changes.append(Change("changed description", False, where))
    return changes


def _diff_columns(old: tuple[Column, ...], new: tuple[Column, ...], table: str) -> list[Change]:
    changes: list[Change] = []
    before, after = {c.name: c for c in old}, {c.name: c for c in new}
    removed = [n for n in before if n not in after]
    added = [n for n in after if n not in before]
    old_order, new_order = list(before), list(after)
    for name in removed:
        position = old_order.index(name)
        twin = next(
            (
                a
                for a in added
                if new_order.index(a) == position
                and (after[a].physical_type, after[a].logical_type)
                == (before[name].physical_type, before[name].logical_type)
            ),
            None,
        )
        if twin is not None:
            changes.append(Change("renamed column", True, f"{table}.{name}", f"now {twin}"))
            added.remove(twin)
        else:
            changes.append(Change("removed column", True, f"{table}.{name}"))
    for name in added:
        required = after[name].required
        kind = "added required column" if required else "added optional column"
        changes.append(Change(kind, required, f"{table}.{name}"))
    for name in [n for n in before if n in after]:
        changes += _diff_column(before[name], after[name], f"{table}.{name}")
    return changes


def _quality_keys(rules: Iterable[Any]) -> dict[str, Any]:
    """Key every rule by name, id or metric; unnamed rules of one metric by their order."""
    keyed: dict[str, Any] = {}
    for rule in rules:
        base = str(rule.name or rule.id or rule.metric or rule.type or "rule")
        key, n = base, 1
        while key in keyed:
            n += 1
            key = f"{base}#{n}"
        keyed[key] = rule
    return keyed


def _diff_quality(old: Iterable[Any], new: Iterable[Any], where: str) -> list[Change]:
    changes: list[Change] = []
    before, after = _quality_keys(old), _quality_keys(new)
    for key in [k for k in before if k not in after]:
        changes.append(Change("removed quality rule", False, f"{where}.{key}"))
    for key in [k for k in after if k not in before]:
        changes.append(Change("added quality rule", True, f"{where}.{key}"))
    for key in [k for k in before if k in after]:
        a, b = before[key], after[key]
        what = ("type", "metric", "rule", "query", "engine", "implementation")
        moved = [w for w in what if getattr(a, w) != getattr(b, w)]
        if moved:
            changes.append(Change("changed quality rule", True, f"{where}.{key}", ", ".join(moved)))
            continue
        changes += _rule_bounds(a, b).changes(f"{where}.{key}")
    return changes


def _rule_bounds(old: Any, new: Any) -> _Bounds:
    """Compare the arguments and thresholds of one quality rule."""
    bounds = _Bounds()
    old_args, new_args = old.arguments or {}, new.arguments or {}
    bounds.compare_all(old_args, new_args)
    if old_args.get("validValues") != new_args.get("validValues"):
        change = _set_change(
            "validValues", old_args.get("validValues"), new_args.get("validValues"), ""
        )
        (bounds.tighter if change.breaking else bounds.looser).append(change.kind)
    compare = bounds.compare
    compare("mustBeGreaterThan", old.mustBeGreaterThan, new.mustBeGreaterThan, True)
    compare("mustBeGreaterOrEqualTo", old.mustBeGreaterOrEqualTo, new.mustBeGreaterOrEqualTo, True)
    compare("mustBeLessThan", old.mustBeLessThan, new.mustBeLessThan, False)
    compare("mustBeLessOrEqualTo", old.mustBeLessOrEqualTo, new.mustBeLessOrEqualTo, False)
    if old.mustBeBetween != new.mustBeBetween:
        lo_a, hi_a = old.mustBeBetween or (None, None)
        lo_b, hi_b = new.mustBeBetween or (None, None)
        compare("mustBeBetween.min", lo_a, lo_b, True)
        compare("mustBeBetween.max", hi_a, hi_b, False)
    for exact in ("mustBe", "mustNotBe", "mustNotBeBetween"):
        if getattr(old, exact) != getattr(new, exact):
            bounds.tighter.append(f"{exact} {getattr(old, exact)} -> {getattr(new, exact)}")
    return bounds


def _diff_table(old: Any, new: Any, table: str) -> list[Change]:
    changes: list[Change] = []
    old_columns, new_columns = table_columns(old), table_columns(new)
    old_key, new_key = primary_key(old_columns), primary_key(new_columns)
    if old_key != new_key:
        changes.append(
            Change("changed primary key", True, table, f"{list(old_key)} -> {list(new_key)}")
        )
    changes += _diff_columns(old_columns, new_columns, table)
    changes += _diff_quality(old.quality or (), new.quality or (), table)
    return changes


def _diff_tables(old: Contract, new: Contract) -> list[Change]:
    before = {str(t.name): t for t in old.tables}
    after = {str(t.name): t for t in new.tables}
    changes: list[Change] = []
    if len(before) == len(after) == 1 and before.keys() != after.keys():
        (a, table_a), (b, table_b) = next(iter(before.items())), next(iter(after.items()))
        changes.append(Change("renamed table", True, a, f"now {b}"))
        return changes + _diff_table(table_a, table_b, a)
    for name in [n for n in before if n not in after]:
        changes.append(Change("removed table", True, name))
    for name in [n for n in after if n not in before]:
        changes.append(Change("added table", False, name))
    for name in [n for n in before if n in after]:
        changes += _diff_table(before[name], after[name], name)
    return changes


def _sla_change(prop: str, a: Any, b: Any) -> Change:
    detail = f"{a.value}{a.unit or ''} -> {b.value}{b.unit or ''}"
    where = f"sla.{prop}"
    ordered = prop in _SLA_SMALLER_IS_STRICTER or prop in _SLA_LARGER_IS_STRICTER
    if not ordered or a.element != b.element:
        return Change("changed SLA", True, where, detail)
    try:
        old_s, new_s = sla_seconds(a.value, a.unit), sla_seconds(b.value, b.unit)
    except (TypeError, ValueError):
        return Change("changed SLA", True, where, detail)
    stricter = new_s < old_s if prop in _SLA_SMALLER_IS_STRICTER else new_s > old_s
    return Change("stricter SLA" if stricter else "looser SLA", stricter, where, detail)


def _diff_sla(old: Contract, new: Contract) -> list[Change]:
    changes: list[Change] = []
    before = {str(p.property): p for p in old.model.slaProperties or []}
    after = {str(p.property): p for p in new.model.slaProperties or []}
    for prop in [p for p in before if p not in after]:
        changes.append(Change("removed SLA", False, f"sla.{prop}"))
    for prop in [p for p in after if p not in before]:
        changes.append(Change("stricter SLA", True, f"sla.{prop}", "new promise"))
    for prop in [p for p in before if p in after]:
        a, b = before[prop], after[prop]
        if (a.value, a.unit, a.element) != (b.value, b.unit, b.element):
            changes.append(_sla_change(prop, a, b))
    return changes


def _connection(server: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = server.model_dump(exclude_none=True)
    return {k: v for k, v in dumped.items() if k not in _NOT_CONNECTION + _LOCATION}


def _diff_servers(old: Contract, new: Contract) -> list[Change]:
    changes: list[Change] = []
    before = {str(s.server): s for s in old.model.servers or []}
    after = {str(s.server): s for s in new.model.servers or []}
    for name in [n for n in before if n not in after]:
        changes.append(Change("removed server", True, f"servers.{name}"))
    for name in [n for n in after if n not in before]:
        changes.append(Change("added server", False, f"servers.{name}"))
    major_move = major_of(new.version) != major_of(old.version)
    for name in [n for n in before if n in after]:
        a, b = before[name], after[name]
        conn_a, conn_b = _connection(a), _connection(b)
        if conn_a != conn_b:
            moved = sorted(
                k for k in conn_a.keys() | conn_b.keys() if conn_a.get(k) != conn_b.get(k)
            )
            changes.append(Change("changed server", True, f"servers.{name}", ", ".join(moved)))
        elif (a.location, a.path) != (b.location, b.path):
            # A new major lives in its own folder: that move is the versioning scheme.
            changes.append(
                Change(
                    "moved location",
                    not major_move,
                    f"servers.{name}",
                    f"{a.location or a.path} -> {b.location or b.path}",
                )
            )
    return changes


def _diff_roles(old: Contract, new: Contract) -> list[Change]:
    before, after = old.role_access(), new.role_access()
    changes = [Change("removed role", True, f"roles.{r}") for r in before if r not in after]
    changes += [Change("added role", False, f"roles.{r}") for r in after if r not in before]
    return changes


def _check_comparable(old: Contract, new: Contract) -> None:
    """Raise when the pair cannot be judged: other product, or no major version."""
    if old.model.id != new.model.id:
        raise ContractError(
            new.source,
            [f"not the same product: id {new.model.id!r}, {old.source} has {old.model.id!r}"],
        )
    for contract in (old, new):
        if major_of(contract.version) is None:
            raise ContractError(
                contract.source,
                [f"version {contract.version!r} has no major number: cannot tell a major bump"],
            )


def diff_contracts(old: Contract, new: Contract) -> ContractDiff:
    """Return every change from ``old`` to ``new``, classified.

    Raises
    ------
    ContractError
        When the two cannot be judged: not the same product (``id``), or a version
        without a major number.

    Examples
    --------
    >>> from mesh._contract import load_product_contract
    >>> c = load_product_contract("sales.orders")
    >>> diff_contracts(c, c).changes
    ()
    """
    _check_comparable(old, new)
    changes = _diff_tables(old, new)
    changes += _diff_sla(old, new)
    changes += _diff_servers(old, new)
    changes += _diff_roles(old, new)
    return ContractDiff(old.version, new.version, tuple(changes))
