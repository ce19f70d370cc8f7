"""Unit tests of the lakehouse's pure parts: table registry, catalog spec, guards, CLI."""

from __future__ import annotations

from typing import Any

import pytest

from goldmine.settings import load_settings


def test_every_table_states_grain_keys_and_an_s3_location() -> None:
    from lakehouse import LAYERS, TABLES

    settings = load_settings()
    for name, info in TABLES.items():
        assert info.layer in LAYERS and name == f"{info.layer}.{info.name}"
        assert info.grain and info.keys
        assert info.uri(settings) == f"s3://{settings.buckets.lakehouse}/{info.layer}/{info.name}"
    assert {n for n in TABLES if n.startswith("gold.")} == {
        "gold.daily_sales",
        "gold.customer_lifetime",
        "gold.product_monthly",
    }
    assert TABLES["gold.daily_sales"].keys == ("order_date", "store_id", "category")


def test_glue_spec_is_delta_with_the_real_columns() -> None:
    from lakehouse import TABLES, table_spec

    settings = load_settings()
    columns = [
        ("order_date", "date"),
        ("store_id", "string"),
        ("orders", "long"),
        ("revenue_usd", "decimal(18,2)"),
        ("loaded_at", "timestamp_ntz"),
    ]
    spec = table_spec(settings, TABLES["gold.daily_sales"], columns)
    table_input = spec.to_table_input()
    assert spec.database == settings.database("lakehouse_gold")
    assert table_input["Parameters"]["table_type"] == "DELTA"
    assert [(c["Name"], c["Type"]) for c in table_input["StorageDescriptor"]["Columns"]] == [
        ("order_date", "date"),
        ("store_id", "string"),
        ("orders", "bigint"),
        ("revenue_usd", "decimal(18,2)"),
        ("loaded_at", "timestamp"),
    ]
    assert table_input["StorageDescriptor"]["Location"].endswith("/gold/daily_sales/")


def test_vacuum_refuses_an_unsafe_retention_before_touching_spark() -> None:
    from lakehouse import UnsafeRetentionError, vacuum_table

    spark: Any = None  # never used: the guard comes first
    with pytest.raises(UnsafeRetentionError, match="168"):
        vacuum_table(spark, load_settings(), "silver.orders", retention_hours=1)


def test_unknown_table_names_the_known_ones() -> None:
    from lakehouse import table

    with pytest.raises(KeyError, match=r"gold\.daily_sales"):
        table("gold.nope")


def test_job_arguments() -> None:
    from jobs.lakehouse_build import parse_args
    from jobs.lakehouse_silver import main  # noqa: F401  (importable entry point)

    args = parse_args(["--layer", "silver", "--batch", "20250106"])
    assert args.layers == ("silver",) and args.batches == ["20250106"]
    assert parse_args([]).layers == ("bronze", "silver", "gold")


def test_cli_help_has_examples() -> None:
    from typer.testing import CliRunner

    from goldmine.cli.lakehouse import app

    runner = CliRunner()
    for command in ("build", "status", "optimize", "vacuum", "history", "restore", "register"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, result.output
        assert "Example: goldmine lakehouse" in result.output
    refused = runner.invoke(app, ["optimize", "--max-file-mb", "0"])
    assert refused.exit_code == 2 and "--max-file-mb" in refused.output


def test_silver_orders_is_clustered_by_order_date_alone() -> None:
    from lakehouse import TABLES

    # A second Z-ORDER column scatters every date over every file, so a batch's MERGE
    # (recent dates) would rewrite the whole table (ADR 0010, docs/benchmarks.md).
    assert TABLES["silver.orders"].zorder == ("order_date",)


class _Conf:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def unset(self, key: str) -> None:
        self.values.pop(key, None)


@pytest.mark.parametrize("before", [{}, {"spark.databricks.delta.optimize.maxFileSize": "7"}])
def test_optimize_target_file_size_applies_to_the_call_only(
    monkeypatch: pytest.MonkeyPatch, before: dict[str, str]
) -> None:
    import lakehouse._maintenance as maintenance

    seen: list[str | None] = []

    def is_table(spark: Any, uri: str) -> bool:
        seen.append(spark.conf.get(maintenance.MAX_FILE_SIZE_CONF))
        return False  # nothing to optimize: no JVM needed

    monkeypatch.setattr(maintenance, "is_table", is_table)
    spark: Any = type("FakeSpark", (), {"conf": _Conf(before)})()
    assert (
        maintenance.optimize_tables(spark, load_settings(), ["silver.orders"], max_file_bytes=1024)
        == []
    )
    assert seen == ["1024"]
    assert spark.conf.values == before


def test_a_failed_layer_still_records_the_layers_before_it_in_one_commit() -> None:
    """The ledger step runs after a failure (``always``) with the layers that finished."""
    import dataclasses
    from unittest import mock

    from goldmine.plan import Step, run_plan
    from lakehouse._build import LAKEHOUSE_PLAN, Ledger

    ran: list[str] = []

    def fake(step: Step) -> Step:
        def run() -> str:
            ran.append(step.name)
            if step.name == "merge_gold":
                raise RuntimeError("gold.daily_sales: MERGE failed")
            return step.name

        if step.name == "record_finished":
            return step
        return dataclasses.replace(step, run=run, persist=False)

    plan = dataclasses.replace(LAKEHOUSE_PLAN, steps=tuple(map(fake, LAKEHOUSE_PLAN.steps)))
    spark = mock.MagicMock()  # record_finished's append, seen through its calls
    todo = {"bronze": ["20250106"], "silver": ["20250106"], "gold": ["20250106"]}
    with pytest.raises(RuntimeError, match="MERGE failed"):
        run_plan(plan, spark=spark, settings=load_settings(), ledger=Ledger(), landed=[], todo=todo)
    assert ran[-1] == "merge_gold" and "register_tables" not in ran
    (table, _schema), _ = spark.createDataFrame.call_args  # local_frame: the rows via Arrow
    assert list(zip(table["layer"], table["batch_id"], strict=True)) == [
        ("bronze", "20250106"),
        ("silver", "20250106"),
    ]
    frame = spark.createDataFrame.return_value.localCheckpoint.return_value
    frame.write.format.assert_called_once_with("delta")
