"""Classify the changes between two versions of a contract as breaking or not.

The rule: a change is breaking when data or use that the old contract allowed is no
longer allowed (a consumer's query or a valid old record would fail): removed or
renamed column, narrowed type, nullable -> required, added required column, tightened
enum or quality bound, added quality rule, removed server, stricter SLA, changed
primary key, moved location. Everything else (added optional column, widened type,
loosened constraints, docs) is not. A breaking change needs a major version bump.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mesh._contract import Column, Contract, sla_seconds, version_tuple
from mesh._types import TypeSpecError, parse_type, widens

_LOWER = ("minimum", "exclusiveMinimum")
_UPPER = ("maximum", "exclusiveMaximum")
#: SLA properties where a smaller value is a stronger promise.
_SLA_SMALLER_IS_STRICTER = ("freshness", "latency", "frequency")


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
        return version_tuple(self.new_version)[0] > version_tuple(self.old_version)[0]

    @property
    def ok(self) -> bool:
        """Whether the new contract may be published (no breaking change, or a major bump)."""
        return not self.breaking or self.major_bumped


def _columns(contract: Contract) -> dict[str, Column]:
    return {c.name: c for c in contract.columns}


def _diff_columns(old: Contract, new: Contract) -> list[Change]:
    changes: list[Change] = []
    before, after = _columns(old), _columns(new)
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
                and after[a].physical_type == before[name].physical_type
            ),
            None,
        )
        if twin is not None:
            changes.append(Change("renamed column", True, name, f"now {twin}"))
            added.remove(twin)
        else:
            changes.append(Change("removed column", True, name))
    for name in added:
        required = after[name].required
        changes.append(
            Change("added required column" if required else "added optional column", required, name)
        )
    for name in [n for n in before if n in after]:
        changes += _diff_column(before[name], after[name])
    return changes


def _diff_column(old: Column, new: Column) -> list[Change]:
    changes: list[Change] = []
    where = old.name
    if old.physical_type != new.physical_type:
        try:
            wider = widens(parse_type(old.physical_type), parse_type(new.physical_type))
        except TypeSpecError:
            wider = False
        kind = "widened type" if wider else "narrowed type"
        changes.append(
            Change(kind, not wider, where, f"{old.physical_type} -> {new.physical_type}")
        )
    if old.required != new.required:
        if new.required:
            changes.append(Change("nullable -> required", True, where))
        else:
            changes.append(Change("required -> nullable", False, where))
    if old.enum != new.enum:
        changes.append(_set_change("enum", old.enum, new.enum, where))
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


def _quality_key(quality: Any) -> str:
    return str(quality.name or quality.id or quality.metric)


def _diff_quality(old: tuple[Any, ...], new: tuple[Any, ...], where: str) -> list[Change]:
    changes: list[Change] = []
    before = {_quality_key(q): q for q in old}
    after = {_quality_key(q): q for q in new}
    for key in before.keys() - after.keys():
        changes.append(Change("removed quality rule", False, f"{where}.{key}"))
    for key in after.keys() - before.keys():
        changes.append(Change("added quality rule", True, f"{where}.{key}"))
    for key in before.keys() & after.keys():
        tighter, looser = _bound_changes(before[key], after[key])
        if tighter:
            changes.append(
                Change("tightened quality bound", True, f"{where}.{key}", "; ".join(tighter))
            )
        elif looser:
            changes.append(
                Change("loosened quality bound", False, f"{where}.{key}", "; ".join(looser))
            )
    return changes


def _bound_changes(old: Any, new: Any) -> tuple[list[str], list[str]]:
    """Compare the bounds of one quality rule: (tightened, loosened) descriptions."""
    tighter: list[str] = []
    looser: list[str] = []

    def compare(label: str, a: Any, b: Any, higher_is_tighter: bool) -> None:
        if a == b:
            return
        if a is None or b is None:
            (tighter if b is not None else looser).append(f"{label} {a} -> {b}")
            return
        is_tighter = b > a if higher_is_tighter else b < a
        (tighter if is_tighter else looser).append(f"{label} {a} -> {b}")

    old_args, new_args = old.arguments or {}, new.arguments or {}
    for key in _LOWER:
        compare(key, old_args.get(key), new_args.get(key), True)
    for key in _UPPER:
        compare(key, old_args.get(key), new_args.get(key), False)
    if old_args.get("validValues") != new_args.get("validValues"):
        change = _set_change(
            "validValues", old_args.get("validValues"), new_args.get("validValues"), ""
        )
        (tighter if change.breaking else looser).append(change.kind)
    if old_args.get("pattern") != new_args.get("pattern"):
        tighter.append(f"pattern {old_args.get('pattern')!r} -> {new_args.get('pattern')!r}")
    compare("mustBeGreaterThan", old.mustBeGreaterThan, new.mustBeGreaterThan, True)
    compare("mustBeGreaterOrEqualTo", old.mustBeGreaterOrEqualTo, new.mustBeGreaterOrEqualTo, True)
    compare("mustBeLessThan", old.mustBeLessThan, new.mustBeLessThan, False)
    compare("mustBeLessOrEqualTo", old.mustBeLessOrEqualTo, new.mustBeLessOrEqualTo, False)
    if old.mustBeBetween != new.mustBeBetween:
        lo_a, hi_a = old.mustBeBetween or (None, None)
        lo_b, hi_b = new.mustBeBetween or (None, None)
        compare("mustBeBetween.min", lo_a, lo_b, True)
        compare("mustBeBetween.max", hi_a, hi_b, False)
    if old.mustBe != new.mustBe:
        tighter.append(f"mustBe {old.mustBe} -> {new.mustBe}")
    return tighter, looser


def _diff_sla(old: Contract, new: Contract) -> list[Change]:
    changes: list[Change] = []
    before = {p.property: p for p in old.model.slaProperties or []}
    after = {p.property: p for p in new.model.slaProperties or []}
    for prop in before.keys() - after.keys():
        changes.append(Change("removed SLA", False, f"sla.{prop}"))
    for prop in after.keys() - before.keys():
        changes.append(Change("stricter SLA", True, f"sla.{prop}", "new promise"))
    for prop in before.keys() & after.keys():
        a, b = before[prop], after[prop]
        if (a.value, a.unit, a.element) == (b.value, b.unit, b.element):
            continue
        detail = f"{a.value}{a.unit or ''} -> {b.value}{b.unit or ''}"
        if prop in _SLA_SMALLER_IS_STRICTER and a.element == b.element:
            stricter = sla_seconds(b.value, b.unit) < sla_seconds(a.value, a.unit)
            changes.append(
                Change(
                    "stricter SLA" if stricter else "looser SLA", stricter, f"sla.{prop}", detail
                )
            )
        else:
            changes.append(Change("changed SLA", True, f"sla.{prop}", detail))
    return changes


def _diff_servers(old: Contract, new: Contract) -> list[Change]:
    changes: list[Change] = []
    before = {s.server: s for s in old.model.servers or []}
    after = {s.server: s for s in new.model.servers or []}
    for name in before.keys() - after.keys():
        changes.append(Change("removed server", True, f"servers.{name}"))
    for name in after.keys() - before.keys():
        changes.append(Change("added server", False, f"servers.{name}"))
    for name in before.keys() & after.keys():
        a, b = before[name], after[name]
        if (a.type, a.database, a.format) != (b.type, b.database, b.format):
            changes.append(Change("changed server", True, f"servers.{name}"))
        elif a.location != b.location:
            # A new major lives in its own folder: that move is the versioning scheme.
            major_move = version_tuple(new.version)[0] != version_tuple(old.version)[0]
            changes.append(
                Change(
                    "moved location",
                    not major_move,
                    f"servers.{name}",
                    f"{a.location} -> {b.location}",
                )
            )
    return changes


def _diff_roles(old: Contract, new: Contract) -> list[Change]:
    before, after = old.role_access(), new.role_access()
    changes = [Change("removed role", True, f"roles.{r}") for r in before.keys() - after.keys()]
    changes += [Change("added role", False, f"roles.{r}") for r in after.keys() - before.keys()]
    return changes


def diff_contracts(old: Contract, new: Contract) -> ContractDiff:
    """Return every change from ``old`` to ``new``, classified.

    Examples
    --------
    >>> from mesh._contract import load_product_contract
    >>> c = load_product_contract("sales.orders")
    >>> diff_contracts(c, c).changes
    ()
    """
    changes: list[Change] = []
    if old.product_id != new.product_id:
        changes.append(
            Change("changed product id", True, "id", f"{old.product_id} -> {new.product_id}")
        )
    if old.primary_key != new.primary_key:
        changes.append(
            Change(
                "changed primary key",
                True,
                "primaryKey",
                f"{list(old.primary_key)} -> {list(new.primary_key)}",
            )
        )
    changes += _diff_columns(old, new)
    changes += _diff_quality(
        tuple(old.table.quality or ()), tuple(new.table.quality or ()), old.name
    )
    changes += _diff_sla(old, new)
    changes += _diff_servers(old, new)
    changes += _diff_roles(old, new)
    return ContractDiff(old.version, new.version, tuple(changes))
