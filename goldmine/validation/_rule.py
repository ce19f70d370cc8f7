"""The declaration of validation rules: data, not code (one list per table)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["not_null", "in_set", "between", "regex", "unique"]
KINDS: tuple[str, ...] = ("not_null", "in_set", "between", "regex", "unique")


@dataclass(frozen=True)
class Rule:
    """One validation rule over one column.

    A record fails the rule when the column value breaks it. Nulls pass every
    kind but ``not_null`` unless ``allow_null`` is ``False`` (as in
    great-expectations, where a null is neither in nor out of a set or range).

    Attributes
    ----------
    rule_id
        Identifier, also the quarantine reason (``invalid_quantity``).
    column
        The column checked.
    kind
        ``not_null``, ``in_set`` (``values``), ``between`` (``min_value`` /
        ``max_value``, inclusive unless ``strict_min`` / ``strict_max``),
        ``regex`` (``pattern``, must match) or ``unique``.
    allow_null
        Whether a null passes (ignored for ``not_null``).
    description
        One line for people (docs and the great-expectations result).
    """

    rule_id: str
    column: str
    kind: Kind
    values: tuple[Any, ...] = ()
    min_value: Any = None
    max_value: Any = None
    strict_min: bool = False
    strict_max: bool = False
    pattern: str | None = None
    allow_null: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"rule {self.rule_id}: unknown kind {self.kind!r}")
        if self.kind == "in_set" and not self.values:
            raise ValueError(f"rule {self.rule_id}: in_set needs values")
        if self.kind == "between" and self.min_value is None and self.max_value is None:
            raise ValueError(f"rule {self.rule_id}: between needs min_value or max_value")
        if self.kind == "regex" and not self.pattern:
            raise ValueError(f"rule {self.rule_id}: regex needs a pattern")


@dataclass(frozen=True)
class RuleSet:
    """The rules of one table, in precedence order (the first failed rule is the reason).

    Attributes
    ----------
    name
        Table or data product name (``orders``, ``order_items``); names the suite.
    rules
        The rules, most important first.
    """

    name: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @classmethod
    def from_dicts(cls, name: str, rules: Sequence[dict[str, Any]]) -> RuleSet:
        """Build a rule set from plain dicts (a YAML or JSON declaration).

        Examples
        --------
        >>> RuleSet.from_dicts("t", [{"rule_id": "r", "column": "c", "kind": "not_null"}])
        """
        built = []
        for raw in rules:
            spec = dict(raw)
            if "values" in spec:
                spec["values"] = tuple(spec["values"])
            built.append(Rule(**spec))
        return cls(name, tuple(built))

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Rule ids in precedence order."""
        return tuple(r.rule_id for r in self.rules)
