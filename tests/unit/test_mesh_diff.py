"""`mesh diff`: one contract pair per change class, breaking or not, and the exit codes.

Two families of pairs: our own product contract (``sales.orders``), and held-out-style
contracts written with other conventions (a UUID id, servers named and typed otherwise,
no roles, a schema object named differently from the product, types without a
``physicalType`` or in another dialect). Every pair is judged by the library and by
the CLI, whose exit code is 0 (compatible), 1 (breaking, no major bump) or 2 (cannot
judge).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import mesh
from goldmine.cli.mesh import app

Doc = dict[str, Any]
Mutation = Callable[[Doc], None]


def _ours() -> Doc:
    return copy.deepcopy(mesh.load_product_contract("sales.orders").raw)


#: A contract another team's tool wrote: valid ODCS v3.1.0, none of our policy.
FOREIGN = """
apiVersion: v3.1.0
kind: DataContract
id: 53581432-6c55-4ba2-a65f-72344a91553a
version: 1.0.0
status: active
name: Web shop order lines
servers:
  - server: production
    type: postgres
    environment: prod
    host: db.shop.example
    port: 5432
    database: shop
    schema: public
  - server: lake
    type: s3
    environment: dev
    location: s3://shop-exports/order_lines/
    format: parquet
slaProperties:
  - property: latency
    value: 4
    unit: d
  - property: retention
    value: 1
    unit: y
schema:
  - name: order_lines
    physicalName: ol
    physicalType: table
    quality:
      - type: library
        metric: rowCount
        mustBeGreaterThan: 0
      - name: no_negative_amounts
        type: sql
        query: SELECT COUNT(*) FROM ol WHERE amount < 0
        mustBe: 0
    properties:
      - name: order_id
        logicalType: string
        physicalType: VARCHAR(36)
        primaryKey: true
        required: true
      - name: quantity
        logicalType: integer
        physicalType: integer
        required: true
        logicalTypeOptions: {minimum: 1}
      - name: amount
        logicalType: number
        physicalType: NUMERIC(12,2)
      - name: items
        logicalType: integer
      - name: status
        logicalType: string
        quality:
          - type: library
            metric: invalidValues
            arguments: {validValues: [open, paid]}
            mustBe: 0
      - name: note
        logicalType: string
        physicalType: text
        description: Free text.
"""


def _foreign() -> Doc:
    document: Doc = yaml.safe_load(FOREIGN)
    return document


def _foreign_v32() -> Doc:
    """The same contract in ODCS v3.2, which has ``enum``."""
    document = _foreign()
    document["apiVersion"] = "v3.2.0"
    status = _col(document, "status")
    del status["quality"]
    status["enum"] = [{"value": "open"}, {"value": "paid"}]
    return document


def _col(doc: Doc, name: str, table: int = 0) -> Doc:
    return next(p for p in doc["schema"][table]["properties"] if p["name"] == name)


def _quality(doc: Doc, column: str, name: str) -> Doc:
    return next(q for q in _col(doc, column)["quality"] if q["name"] == name)


def _sla(doc: Doc, prop: str) -> Doc:
    return next(s for s in doc["slaProperties"] if s["property"] == prop)


def _server(doc: Doc, name: str) -> Doc:
    return next(s for s in doc["servers"] if s["server"] == name)


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting ``column.key`` (or ``column.key.sub``) of the first table."""
    column, *keys = path.split(".")

    def change(doc: Doc) -> None:
        target = _col(doc, column)
        for key in keys[:-1]:
            target = target.setdefault(key, {})
        target[keys[-1]] = value

    return change


def _drop(column: str, key: str | None = None) -> Mutation:
    def change(doc: Doc) -> None:
        if key is None:
            doc["schema"][0]["properties"].remove(_col(doc, column))
        else:
            del _col(doc, column)[key]

    return change


def _add_column(name: str, required: bool) -> Mutation:
    def change(doc: Doc) -> None:
        doc["schema"][0]["properties"].append(
            {"name": name, "logicalType": "string", "physicalType": "string", "required": required}
        )

    return change


# --- our own contract ----------------------------------------------------------------------


def _ours_tighten_values(doc: Doc) -> None:
    _quality(doc, "currency", "valid_currency")["arguments"]["validValues"] = ["USD", "EUR"]


def _ours_loosen_values(doc: Doc) -> None:
    _quality(doc, "currency", "valid_currency")["arguments"]["validValues"].append("JPY")


def _ours_add_quality(doc: Doc) -> None:
    _col(doc, "store_id")["quality"] = [
        {"name": "store_pattern", "type": "library", "metric": "invalidValues",
         "arguments": {"pattern": "^S"}, "mustBe": 0}
    ]  # fmt: skip


def _ours_add_server(doc: Doc) -> None:
    doc["servers"].append(
        {"server": "athena", "type": "athena", "environment": "aws-analytics",
         "schema": "goldmine_aws_mesh_sales", "stagingDir": "s3://goldmine-aws-athena-results/"}
    )  # fmt: skip


def _ours_stricter_sla(doc: Doc) -> None:
    _sla(doc, "freshness")["value"] = 1


def _ours_looser_sla(doc: Doc) -> None:
    _sla(doc, "latency")["value"] = 12


def _ours_remove_role(doc: Doc) -> None:
    doc["roles"] = doc["roles"][:1]


def _ours_add_role(doc: Doc) -> None:
    doc["roles"].append({"role": "analyst", "access": "read"})


def _ours_move_location(doc: Doc) -> None:
    _server(doc, "local")["location"] = "s3://goldmine-local-mesh-sales/orders2/v1/"


# --- the held-out-style contract -----------------------------------------------------------


def _rename_table(doc: Doc) -> None:
    doc["schema"][0]["name"] = "lines"


def _add_table(doc: Doc) -> None:
    doc["schema"].append(
        {"name": "refunds", "physicalType": "table",
         "properties": [{"name": "refund_id", "logicalType": "string"}]}
    )  # fmt: skip


def _change_sql_rule(doc: Doc) -> None:
    doc["schema"][0]["quality"][1]["query"] = "SELECT COUNT(*) FROM ol WHERE amount <= 0"


def _add_sql_rule(doc: Doc) -> None:
    doc["schema"][0]["quality"].append(
        {"name": "has_paid", "type": "sql", "query": "SELECT COUNT(*) FROM ol", "mustBe": 1}
    )


def _drop_status_rule(doc: Doc) -> None:
    del _col(doc, "status")["quality"]


def _tighten_status(doc: Doc) -> None:
    _col(doc, "status")["quality"][0]["arguments"]["validValues"] = ["paid"]


def _loosen_status(doc: Doc) -> None:
    _col(doc, "status")["quality"][0]["arguments"]["validValues"].append("refunded")


def _tighten_enum(doc: Doc) -> None:
    _col(doc, "status")["enum"] = [{"value": "paid"}]


def _loosen_enum(doc: Doc) -> None:
    _col(doc, "status")["enum"].append({"value": "refunded"})


def _change_host(doc: Doc) -> None:
    _server(doc, "production")["host"] = "db2.shop.example"


def _move_lake(doc: Doc) -> None:
    _server(doc, "lake")["location"] = "s3://shop-exports/lines/"


def _drop_server(doc: Doc) -> None:
    doc["servers"] = [_server(doc, "production")]


def _add_server(doc: Doc) -> None:
    doc["servers"].append(
        {"server": "warehouse", "type": "snowflake", "environment": "prod",
         "account": "acme", "database": "SHOP", "schema": "PUBLIC"}
    )  # fmt: skip


def _latency(value: int) -> Mutation:
    def change(doc: Doc) -> None:
        _sla(doc, "latency")["value"] = value

    return change


def _longer_retention(doc: Doc) -> None:
    _sla(doc, "retention")["value"] = 2


def _drop_retention(doc: Doc) -> None:
    doc["slaProperties"] = [_sla(doc, "latency")]


def _availability(doc: Doc) -> None:
    doc["slaProperties"].append({"property": "generalAvailability", "value": "2026-01-01"})


def _add_role(doc: Doc) -> None:
    doc["roles"] = [{"role": "bi-readers", "access": "read"}]


def _classify(doc: Doc) -> None:
    _col(doc, "note")["classification"] = "confidential"


#: (id, base, mutation, expected (kind, breaking) changes). The old contract is the base.
CASES: list[tuple[str, Callable[[], Doc], Mutation, list[tuple[str, bool]]]] = [
    ("ours: removed column", _ours, _drop("promo_code"), [("removed column", True)]),
    ("ours: renamed column", _ours, _set("promo_code.name", "promotion_code"),
     [("renamed column", True)]),
    ("ours: narrowed type", _ours, _set("unit_price.physicalType", "decimal(10,2)"),
     [("narrowed type", True)]),
    ("ours: widened type", _ours, _set("quantity.physicalType", "bigint"),
     [("widened type", False)]),
    ("ours: nullable -> required", _ours, _set("promo_code.required", True),
     [("nullable -> required", True)]),
    ("ours: required -> nullable", _ours, _set("customer_id.required", False),
     [("required -> nullable", False)]),
    ("ours: added required column", _ours, _add_column("channel", True),
     [("added required column", True)]),
    ("ours: added optional column", _ours, _add_column("channel", False),
     [("added optional column", False)]),
    ("ours: tightened validValues", _ours, _ours_tighten_values,
     [("tightened quality bound", True)]),
    ("ours: loosened validValues", _ours, _ours_loosen_values,
     [("loosened quality bound", False)]),
    ("ours: tightened bound", _ours, _set("discount.logicalTypeOptions.maximum", 0.5),
     [("tightened quality bound", True)]),
    ("ours: loosened bound", _ours, _set("unit_price.logicalTypeOptions.minimum", -1),
     [("loosened quality bound", False)]),
    ("ours: added quality rule", _ours, _ours_add_quality, [("added quality rule", True)]),
    ("ours: removed quality rule", _ours, _drop("status", "quality"),
     [("removed quality rule", False)]),
    ("ours: added server", _ours, _ours_add_server, [("added server", False)]),
    ("ours: moved location", _ours, _ours_move_location, [("moved location", True)]),
    ("ours: stricter SLA", _ours, _ours_stricter_sla, [("stricter SLA", True)]),
    ("ours: looser SLA", _ours, _ours_looser_sla, [("looser SLA", False)]),
    ("ours: changed primary key", _ours, _set("line_no.primaryKey", False),
     [("changed primary key", True)]),
    ("ours: changed description", _ours,
     _set("status.description", "Current status (newest updated_at wins)."),
     [("changed description", False)]),
    ("ours: removed role", _ours, _ours_remove_role, [("removed role", True)]),
    ("ours: added role", _ours, _ours_add_role, [("added role", False)]),
    # held-out style: UUID id, other servers, no roles, a table not named like the product
    ("foreign: removed column", _foreign, _drop("note"), [("removed column", True)]),
    ("foreign: renamed column", _foreign, _set("note.name", "remark"),
     [("renamed column", True)]),
    ("foreign: narrowed type", _foreign, _set("quantity.physicalType", "smallint"),
     [("narrowed type", True)]),
    ("foreign: widened type", _foreign, _set("quantity.physicalType", "bigint"),
     [("widened type", False)]),
    ("foreign: widened logical type", _foreign, _set("items.logicalType", "number"),
     [("widened type", False)]),
    ("foreign: changed type", _foreign, _set("amount.physicalType", "NUMERIC(10,4)"),
     [("changed type", True)]),
    ("foreign: changed logical type", _foreign, _set("status.logicalType", "date"),
     [("changed type", True)]),
    ("foreign: nullable -> required", _foreign, _set("note.required", True),
     [("nullable -> required", True)]),
    ("foreign: required -> nullable", _foreign, _set("quantity.required", False),
     [("required -> nullable", False)]),
    ("foreign: added required column", _foreign, _add_column("channel", True),
     [("added required column", True)]),
    ("foreign: added optional column", _foreign, _add_column("channel", False),
     [("added optional column", False)]),
    ("foreign: tightened enum", _foreign_v32, _tighten_enum, [("tightened enum", True)]),
    ("foreign: loosened enum", _foreign_v32, _loosen_enum, [("loosened enum", False)]),
    ("foreign: tightened validValues", _foreign, _tighten_status,
     [("tightened quality bound", True)]),
    ("foreign: loosened validValues", _foreign, _loosen_status,
     [("loosened quality bound", False)]),
    ("foreign: tightened bound", _foreign, _set("quantity.logicalTypeOptions.minimum", 2),
     [("tightened quality bound", True)]),
    ("foreign: new bound", _foreign, _set("amount.logicalTypeOptions", {"maximum": 10**6}),
     [("tightened quality bound", True)]),
    ("foreign: loosened bound", _foreign, _set("quantity.logicalTypeOptions.minimum", 0),
     [("loosened quality bound", False)]),
    ("foreign: added quality rule", _foreign, _add_sql_rule, [("added quality rule", True)]),
    ("foreign: changed quality rule", _foreign, _change_sql_rule,
     [("changed quality rule", True)]),
    ("foreign: removed quality rule", _foreign, _drop_status_rule,
     [("removed quality rule", False)]),
    ("foreign: changed primary key", _foreign, _set("quantity.primaryKey", True),
     [("changed primary key", True)]),
    ("foreign: changed classification", _foreign, _classify,
     [("changed classification", True)]),
    ("foreign: changed description", _foreign, _set("note.description", "Notes."),
     [("changed description", False)]),
    ("foreign: renamed table", _foreign, _rename_table, [("renamed table", True)]),
    ("foreign: added table", _foreign, _add_table, [("added table", False)]),
    ("foreign: removed server", _foreign, _drop_server, [("removed server", True)]),
    ("foreign: added server", _foreign, _add_server, [("added server", False)]),
    ("foreign: changed server", _foreign, _change_host, [("changed server", True)]),
    ("foreign: moved location", _foreign, _move_lake, [("moved location", True)]),
    ("foreign: stricter SLA", _foreign, _latency(1), [("stricter SLA", True)]),
    ("foreign: looser SLA", _foreign, _latency(5), [("looser SLA", False)]),
    ("foreign: longer retention", _foreign, _longer_retention, [("stricter SLA", True)]),
    ("foreign: removed SLA", _foreign, _drop_retention, [("removed SLA", False)]),
    ("foreign: new SLA", _foreign, _availability, [("stricter SLA", True)]),
    ("foreign: added role", _foreign, _add_role, [("added role", False)]),
]  # fmt: skip


def _pair(base: Callable[[], Doc], change: Mutation) -> tuple[Doc, Doc]:
    new = base()
    change(new)
    new["version"] = "1.1.0"
    return base(), new


@pytest.mark.parametrize(("label", "base", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_change_class(
    label: str, base: Callable[[], Doc], change: Mutation, expected: list[tuple[str, bool]]
) -> None:
    old, new = _pair(base, change)
    diff = mesh.diff_contracts(mesh.parse_odcs(old), mesh.parse_odcs(new))
    assert [(c.kind, c.breaking) for c in diff.changes] == expected
    assert diff.ok is not any(breaking for _, breaking in expected)


def _write(path: Path, document: Doc) -> Path:
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def _cli(*args: str | Path) -> Any:
    return CliRunner().invoke(app, ["diff", *map(str, args)])


@pytest.mark.parametrize(("label", "base", "change", "expected"), CASES, ids=[c[0] for c in CASES])
def test_cli_exit_code_and_json(
    tmp_path: Path,
    label: str,
    base: Callable[[], Doc],
    change: Mutation,
    expected: list[tuple[str, bool]],
) -> None:
    old, new = _pair(base, change)
    old_file, new_file = _write(tmp_path / "old.yaml", old), _write(tmp_path / "new.yaml", new)
    breaking = any(b for _, b in expected)
    result = _cli(old_file, new_file, "--format", "json")
    assert result.exit_code == (1 if breaking else 0), result.output
    report = json.loads(result.output)
    assert [(c["kind"], c["breaking"]) for c in report["changes"]] == expected
    assert (report["compatible"], report["old"], report["new"]) == (
        not breaking,
        str(old_file),
        str(new_file),
    )
    text = _cli(old_file, new_file)
    assert text.exit_code == result.exit_code
    assert expected[0][0] in text.output


def _bump_major(document: Doc) -> None:
    document["version"] = "2.0.0"
    for server in document.get("servers", []):
        if "location" in server:
            server["location"] = server["location"].replace("/v1/", "/v2/")


@pytest.mark.parametrize("base", [_ours, _foreign])
def test_breaking_change_with_a_major_bump_is_allowed(tmp_path: Path, base: Callable) -> None:
    old, new = _pair(base, _drop("quantity"))
    _bump_major(new)
    diff = mesh.diff_contracts(mesh.parse_odcs(old), mesh.parse_odcs(new))
    assert ("removed column", True) in [(c.kind, c.breaking) for c in diff.changes]
    assert all(not c.breaking for c in diff.changes if c.kind == "moved location")
    assert diff.major_bumped and diff.ok
    result = _cli(_write(tmp_path / "old.yaml", old), _write(tmp_path / "new.yaml", new))
    assert result.exit_code == 0, result.output


def test_foreign_contract_breaks_our_policy_but_is_judged() -> None:
    """The held-out contract is valid ODCS; only `mesh validate` applies our rules."""
    import importlib.resources

    import jsonschema

    schema = importlib.resources.files("datacontract").joinpath("schemas/odcs-3.1.0.schema.json")
    validator = jsonschema.Draft201909Validator(json.loads(schema.read_text()))
    assert [e.message for e in validator.iter_errors(_foreign())] == []
    with pytest.raises(mesh.ContractError) as refused:
        mesh.parse_contract(_foreign())
    problems = " ".join(refused.value.problems)
    assert "id must be '<domain>.<name>'" in problems
    assert "roles: at least one consumer role" in problems
    assert mesh.diff_contracts(mesh.parse_odcs(_foreign()), mesh.parse_odcs(_foreign())).ok


# --- cannot judge: exit 2 ------------------------------------------------------------------


def _other_product(document: Doc) -> None:
    document["id"] = "9b2f3a60-0000-4000-8000-000000000000"


def _no_major(document: Doc) -> None:
    document["version"] = "draft"


def _not_odcs(document: Doc) -> None:
    del document["apiVersion"]
    document["kind"] = "Something"


@pytest.mark.parametrize(
    ("label", "write_new", "reason"),
    [
        ("missing file", None, "cannot read"),
        ("not UTF-8", b"\xff\xfe\x00binary", "cannot read"),
        ("not YAML", b"id: [unclosed", "not YAML"),
        ("not a mapping", b"- a list\n", "not a YAML mapping"),
        ("not ODCS", _not_odcs, "apiVersion"),
        ("not the same product", _other_product, "not the same product"),
        ("version without a major", _no_major, "has no major number"),
    ],
)
def test_cli_cannot_judge_exits_2(tmp_path: Path, label: str, write_new: Any, reason: str) -> None:
    old = _write(tmp_path / "old.yaml", _foreign())
    new = tmp_path / "new.yaml"
    if isinstance(write_new, bytes):
        new.write_bytes(write_new)
    elif write_new is not None:
        document = _foreign()
        write_new(document)
        _write(new, document)
    result = _cli(old, new)
    assert result.exit_code == 2, result.output
    assert "cannot judge" in result.output and reason in result.output
    as_json = _cli(old, new, "--format", "json")
    assert as_json.exit_code == 2
    assert reason in json.loads(as_json.output)["error"]


def test_cli_needs_two_files_or_the_registry(tmp_path: Path) -> None:
    one = _write(tmp_path / "one.yaml", _foreign())
    result = _cli(one)
    assert result.exit_code == 2 and "expected OLD NEW, got 1 files" in result.output


# --- the registry's newest published version -----------------------------------------------


def test_cli_compares_with_the_newest_published_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import boto3
    from moto import mock_aws

    from goldmine.aws import AwsClients
    from goldmine.cli import _context
    from goldmine.platform import Platform
    from goldmine.settings import Endpoints, Settings
    from mesh._registry import record_publication

    settings = Settings()
    published = _ours()
    working = _ours()
    _drop("promo_code")(working)
    working["version"] = "1.1.0"
    with mock_aws():
        s3 = boto3.client("s3", region_name=settings.region)
        s3.create_bucket(Bucket=settings.buckets.mesh["sales"])
        platform = Platform(settings, AwsClients(settings, Endpoints()))
        monkeypatch.setattr(_context._CONTEXT, "platform", platform)
        new = _write(tmp_path / "contract.yaml", working)
        never = _cli("--registry", "sales.orders", new)
        for version in ("1.0.0", "1.0.1"):
            publication = {
                "major": 1,
                "version": version,
                "contract": {**published, "version": version},
                "delta_version": 0,
                "run_id": "r",
                "published_at": "2026-01-01T00:00:00",
            }
            record_publication(s3, settings, "sales.orders", publication)
        result = _cli("--registry", "sales.orders", new, "--format", "json")
        old = mesh.published_contract(s3, settings, "sales.orders")
    assert never.exit_code == 2 and "never published" in never.output
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["old"] == "registry sales.orders 1.0.1" and report["old_version"] == "1.0.1"
    assert [(c["kind"], c["where"]) for c in report["changes"]] == [
        ("removed column", "orders.promo_code")
    ]
    assert old.version == "1.0.1"
