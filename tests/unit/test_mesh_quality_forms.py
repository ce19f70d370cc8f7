"""Quality rules in the ODCS standard's own forms: peer tools accept them, our checks keep them.

The product contracts state value bounds as ``logicalTypeOptions`` and allowed values
as ``invalidValues`` + ``validValues`` (ODCS v3.1), so datacontract-cli lints them with
no warning, and the rules generated for the Spark checks and the great-expectations
suite mean what they meant when the contracts used other forms (the table below is
what the earlier forms generated).
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

import mesh
from goldmine.validation import Rule

CONTRACTS = sorted(mesh.MESH_ROOT.glob("*/*/contract.yaml"))


def _ids(paths: list[Path]) -> list[str]:
    return [f"{p.parent.parent.name}.{p.parent.name}" for p in paths]


@pytest.mark.parametrize("path", CONTRACTS, ids=_ids(CONTRACTS))
def test_datacontract_lint_is_clean(path: Path) -> None:
    from datacontract.data_contract import DataContract

    run = DataContract(data_contract_file=str(path)).lint()
    findings = [f"{c.result.value}: {c.name}: {c.reason}" for c in run.checks]
    assert [f for f in findings if not f.startswith("passed")] == []
    assert any("valid against ODCS v3.1.0" in f for f in findings)


def test_lint_would_warn_on_the_earlier_form() -> None:
    """The test above can fail: the bound as an ``invalidValues`` argument warns."""
    from datacontract.data_contract import DataContract

    document = copy.deepcopy(mesh.load_product_contract("sales.orders").raw)
    quantity = next(p for p in document["schema"][0]["properties"] if p["name"] == "quantity")
    del quantity["logicalTypeOptions"]
    quantity["quality"] = [
        {"name": "positive_quantity", "type": "library", "metric": "invalidValues",
         "arguments": {"minimum": 1}, "mustBe": 0}
    ]  # fmt: skip
    run = DataContract(data_contract=_model(document)).lint()
    reasons = [c.reason for c in run.checks if c.result.value == "warning"]
    assert reasons == ["Metric invalidValues needs a validValues or a pattern argument."]
    with pytest.raises(mesh.ContractError, match="quantity: quality positive_quantity is not"):
        mesh.parse_contract(document)


def _model(document: dict) -> object:
    from open_data_contract_standard.model import OpenDataContractStandard

    return OpenDataContractStandard(**document)


def _meaning(rule: Rule) -> tuple[str, str, str]:
    if rule.kind == "in_set":
        return rule.column, rule.kind, "in " + ",".join(map(str, rule.values))
    low = "" if rule.min_value is None else f"{'>' if rule.strict_min else '>='} {rule.min_value}"
    high = "" if rule.max_value is None else f"{'<' if rule.strict_max else '<='} {rule.max_value}"
    detail = rule.pattern if rule.kind == "regex" else " and ".join(x for x in (low, high) if x)
    return rule.column, rule.kind, str(detail)


#: The value rules the contracts generated before they moved to the standard's forms.
VALUE_RULES = {
    "catalog.products": [
        ("list_price", "between", ">= 0"),
        ("currency", "in_set", "in USD,EUR,GBP"),
    ],
    "catalog.stores": [("channel", "in_set", "in store,web")],
    "customer.customers": [("email", "regex", "^[0-9a-f]{64}$")],
    "finance.customer_lifetime": [
        ("orders", "between", ">= 1"),
        ("revenue_usd", "between", ">= 0"),
    ],
    "finance.fx_rates": [
        ("currency", "in_set", "in EUR,GBP"),
        ("usd_per_unit", "between", "> 0"),
    ],
    "finance.product_monthly": [
        ("units", "between", ">= 0"),
        ("revenue_usd", "between", ">= 0"),
        ("returned_units", "between", ">= 0"),
        ("return_rate", "between", ">= 0 and <= 1"),
    ],
    "finance.revenue": [("orders", "between", ">= 1")],
    "sales.orders": [
        ("status", "in_set", "in placed,shipped,delivered,returned,cancelled"),
        ("currency", "in_set", "in USD,EUR,GBP"),
        ("quantity", "between", ">= 1"),
        ("unit_price", "between", ">= 0"),
        ("discount", "between", ">= 0 and <= 1"),
    ],
}


@pytest.mark.parametrize("product", sorted(VALUE_RULES))
def test_generated_value_rules_keep_their_meaning(product: str) -> None:
    rules = mesh.rule_set(mesh.load_product_contract(product)).rules
    values = [_meaning(r) for r in rules if r.kind in ("in_set", "between", "regex")]
    assert values == VALUE_RULES[product]


def test_table_rules_are_row_count_and_duplicates() -> None:
    found = {
        c.product_id: [(q.metric, (q.arguments or {}).get("properties")) for q in c.table.quality]
        for c in mesh.list_contracts()
        if c.table.quality
    }
    assert all(rules[0] == ("rowCount", None) for rules in found.values())
    assert found["sales.orders"][1] == ("duplicateValues", ["order_id", "line_no"])


def test_logical_type_bounds_generate_the_range_rule() -> None:
    document = copy.deepcopy(mesh.load_product_contract("finance.fx_rates").raw)
    rate = document["schema"][0]["properties"][2]
    rate["logicalTypeOptions"] = {"exclusiveMinimum": 0, "maximum": 5}
    rule = mesh.rule_set(mesh.parse_contract(document)).rules[-1]
    assert (rule.rule_id, rule.kind, rule.min_value, rule.max_value) == (
        "usd_per_unit_range",
        "between",
        0,
        5,
    )
    assert (rule.strict_min, rule.strict_max) == (True, False)
