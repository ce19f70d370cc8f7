"""Build a great-expectations 1.x ExpectationSuite from a rule declaration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from goldmine.validation._rule import Rule, RuleSet

if TYPE_CHECKING:
    from great_expectations.core import ExpectationSuite


def build_suite(rules: RuleSet) -> ExpectationSuite:
    """Return the great-expectations suite equivalent to ``rules``.

    Each rule gives one expectation (two for a non-``not_null`` rule with
    ``allow_null=False``: the kind's expectation and a not-null one), tagged
    ``meta={"rule_id": ...}`` so results map back to quarantine reasons.

    Parameters
    ----------
    rules
        The declaration (the same one :func:`split` applies).

    Returns
    -------
    great_expectations.core.ExpectationSuite
        Named ``rules.name``, not yet added to any context.
    """
    from goldmine.validation._import_gx import import_great_expectations

    gx = import_great_expectations()
    # Expectations go in at construction: ``add_expectation`` needs an active context.
    expectations = [e for rule in rules.rules for e in _expectations(rule)]
    return gx.ExpectationSuite(name=rules.name, expectations=expectations)


def _expectations(rule: Rule) -> list[Any]:
    import great_expectations.expectations as gxe

    meta = {"rule_id": rule.rule_id, "description": rule.description}
    col = rule.column
    out: list[Any] = []
    if rule.kind == "not_null":
        return [gxe.ExpectColumnValuesToNotBeNull(column=col, meta=meta)]
    if rule.kind == "in_set":
        out.append(
            gxe.ExpectColumnValuesToBeInSet(column=col, value_set=list(rule.values), meta=meta)
        )
    elif rule.kind == "regex":
        out.append(
            gxe.ExpectColumnValuesToMatchRegex(column=col, regex=str(rule.pattern), meta=meta)
        )
    elif rule.kind == "unique":
        out.append(gxe.ExpectColumnValuesToBeUnique(column=col, meta=meta))
    else:
        out.append(
            gxe.ExpectColumnValuesToBeBetween(
                column=col,
                min_value=_number(rule.min_value),
                max_value=_number(rule.max_value),
                strict_min=rule.strict_min,
                strict_max=rule.strict_max,
                meta=meta,
            )
        )
    if not rule.allow_null:
        out.append(gxe.ExpectColumnValuesToNotBeNull(column=col, meta=meta))
    return out


def _number(value: Any) -> Any:
    # great-expectations serialises bounds to JSON: exact decimals become floats there.
    # Bounds of our rules (0, 1) are exact in binary, so nothing is lost.
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value
