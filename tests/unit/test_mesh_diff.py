"""`mesh diff`: one contract pair per change class, breaking or not (table-driven)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

import mesh

Doc = dict[str, Any]


def _base() -> Doc:
    return copy.deepcopy(mesh.load_product_contract("sales.orders").raw)


def _col(doc: Doc, name: str) -> Doc:
    return next(p for p in doc["schema"][0]["properties"] if p["name"] == name)


def _quality(doc: Doc, column: str, name: str) -> Doc:
    return next(q for q in _col(doc, column)["quality"] if q["name"] == name)


def _sla(doc: Doc, prop: str) -> Doc:
    return next(s for s in doc["slaProperties"] if s["property"] == prop)


def _remove_column(doc: Doc) -> None:
    doc["schema"][0]["properties"].remove(_col(doc, "promo_code"))


def _rename_column(doc: Doc) -> None:
    _col(doc, "promo_code")["name"] = "promotion_code"


def _narrow_type(doc: Doc) -> None:
    _col(doc, "unit_price")["physicalType"] = "decimal(10,2)"


def _widen_type(doc: Doc) -> None:
    _col(doc, "quantity")["physicalType"] = "bigint"


def _require(doc: Doc) -> None:
    _col(doc, "promo_code")["required"] = True


def _relax(doc: Doc) -> None:
    _col(doc, "customer_id")["required"] = False


def _tighten_enum(doc: Doc) -> None:
    _col(doc, "currency")["enum"] = [{"value": "USD"}, {"value": "EUR"}]


def _loosen_enum(doc: Doc) -> None:
    _col(doc, "currency")["enum"].append({"value": "JPY"})


def _tighten_bound(doc: Doc) -> None:
    _quality(doc, "discount", "discount_fraction")["arguments"]["maximum"] = 0.5


def _loosen_bound(doc: Doc) -> None:
    _quality(doc, "unit_price", "non_negative_price")["arguments"]["minimum"] = -1


def _add_quality(doc: Doc) -> None:
    _col(doc, "store_id")["quality"] = [
        {"name": "store_pattern", "type": "library", "metric": "invalidValues",
         "arguments": {"pattern": "^S"}, "mustBe": 0}
    ]  # fmt: skip


def _remove_quality(doc: Doc) -> None:
    del _col(doc, "quantity")["quality"]


def _add_server(doc: Doc) -> None:
    doc["servers"].append(
        {"server": "athena", "type": "athena", "environment": "aws-analytics",
         "schema": "goldmine_aws_mesh_sales", "stagingDir": "s3://goldmine-aws-athena-results/"}
    )  # fmt: skip


def _stricter_sla(doc: Doc) -> None:
    _sla(doc, "freshness")["value"] = 1


def _looser_sla(doc: Doc) -> None:
    _sla(doc, "latency")["value"] = 12


def _change_key(doc: Doc) -> None:
    _col(doc, "line_no")["primaryKey"] = False


def _add_optional(doc: Doc) -> None:
    doc["schema"][0]["properties"].append(
        {"name": "channel", "logicalType": "string", "physicalType": "string", "required": False}
    )


def _add_required(doc: Doc) -> None:
    doc["schema"][0]["properties"].append(
        {"name": "channel", "logicalType": "string", "physicalType": "string", "required": True}
    )


def _describe(doc: Doc) -> None:
    _col(doc, "status")["description"] = "Current status (newest updated_at wins)."


def _remove_role(doc: Doc) -> None:
    doc["roles"] = doc["roles"][:1]


def _add_role(doc: Doc) -> None:
    doc["roles"].append({"role": "analyst", "access": "read"})


CASES: list[tuple[str, Callable[[Doc], None], str, bool]] = [
    ("removed column", _remove_column, "removed column", True),
    ("renamed column", _rename_column, "renamed column", True),
    ("narrowed type", _narrow_type, "narrowed type", True),
    ("nullable -> required", _require, "nullable -> required", True),
    ("added required column", _add_required, "added required column", True),
    ("tightened enum", _tighten_enum, "tightened enum", True),
    ("tightened quality bound", _tighten_bound, "tightened quality bound", True),
    ("added quality rule", _add_quality, "added quality rule", True),
    ("removed server", _add_server, "removed server", True),
    ("stricter SLA", _stricter_sla, "stricter SLA", True),
    ("changed primary key", _change_key, "changed primary key", True),
    ("removed role", _remove_role, "removed role", True),
    ("widened type", _widen_type, "widened type", False),
    ("required -> nullable", _relax, "required -> nullable", False),
    ("loosened enum", _loosen_enum, "loosened enum", False),
    ("loosened quality bound", _loosen_bound, "loosened quality bound", False),
    ("removed quality rule", _remove_quality, "removed quality rule", False),
    ("added server", _add_server, "added server", False),
    ("looser SLA", _looser_sla, "looser SLA", False),
    ("added optional column", _add_optional, "added optional column", False),
    ("changed description", _describe, "changed description", False),
    ("added role", _add_role, "added role", False),
]


@pytest.mark.parametrize(("label", "change", "kind", "breaking"), CASES, ids=[c[0] for c in CASES])
def test_change_class(label: str, change: Callable[[Doc], None], kind: str, breaking: bool) -> None:
    changed = _base()
    change(changed)
    changed["version"] = "1.1.0"
    old, new = mesh.parse_contract(_base()), mesh.parse_contract(changed)
    if label == "removed server":  # the pair of "added server", read the other way
        old, new = (
            mesh.parse_contract({**changed, "version": "1.0.0"}),
            mesh.parse_contract({**_base(), "version": "1.1.0"}),
        )
    diff = mesh.diff_contracts(old, new)
    assert [(c.kind, c.breaking) for c in diff.changes] == [(kind, breaking)]
    assert diff.ok is not breaking


def test_breaking_change_with_a_major_bump_is_allowed() -> None:
    old = mesh.parse_contract(_base())
    document = _base()
    _remove_column(document)
    document["version"] = "2.0.0"
    for server in document["servers"]:
        server["location"] = server["location"].replace("/orders/v1/", "/orders/v2/")
    diff = mesh.diff_contracts(old, mesh.parse_contract(document))
    assert [(c.kind, c.breaking) for c in diff.changes] == [
        ("removed column", True),
        ("moved location", False),
        ("moved location", False),
    ]
    assert diff.major_bumped and diff.ok


def test_cli_exits_non_zero_on_breaking_change(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from goldmine.cli.mesh import app

    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(yaml.safe_dump(_base()))
    document = _base()
    _narrow_type(document)
    document["version"] = "1.1.0"
    new.write_text(yaml.safe_dump(document))
    runner = CliRunner()
    broken = runner.invoke(app, ["diff", str(old), str(new)])
    assert broken.exit_code == 1, broken.output
    assert "narrowed type" in broken.output
    same = runner.invoke(app, ["diff", str(old), str(old)])
    assert same.exit_code == 0, same.output
