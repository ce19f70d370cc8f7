"""The lakehouse after the shared week: gold equals the oracle, SCD2, D2, idempotence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.oracle import (
    CUSTOMER_LIFETIME_KEYS,
    DAILY_SALES_KEYS,
    PRODUCT_MONTHLY_KEYS,
    assert_frames_equal,
    expected_from_s3,
    manifest_bad_reasons,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

pytestmark = [pytest.mark.integration, pytest.mark.spark]


@pytest.fixture(scope="module")
def built(lakehouse_built: Any) -> Any:
    """The week built into the lakehouse (the session's build, conftest)."""
    return lakehouse_built


def _versions(spark: SparkSession, platform: Platform) -> dict[str, int]:
    from lakehouse import TABLES
    from lakehouse._delta import last_version

    found = {}
    for name, info in TABLES.items():
        version = last_version(spark, info.uri(platform.settings))
        if version is not None:
            found[name] = version
    return found


def test_gold_equals_the_oracle_to_the_cent(platform: Platform, built: Any) -> None:
    from lakehouse import read_gold

    expected = expected_from_s3(platform.aws.s3(), platform.settings.buckets.landing)
    gold = read_gold(platform)
    assert_frames_equal(gold["daily_sales"], expected.daily_sales, DAILY_SALES_KEYS)
    assert_frames_equal(
        gold["customer_lifetime"], expected.customer_lifetime, CUSTOMER_LIFETIME_KEYS
    )
    assert_frames_equal(gold["product_monthly"], expected.product_monthly, PRODUCT_MONTHLY_KEYS)


def test_silver_saves_the_validation_result_next_to_the_ledger(
    platform: Platform, landed_week: list, built: Any
) -> None:
    import json
    from collections import Counter

    s3, bucket = platform.aws.s3(), platform.settings.buckets.lakehouse
    batches = sorted(m.batch_id for m in landed_week)
    prefix = f"_system/validation/{batches[0]}-{batches[-1]}/"
    for suite, bad in manifest_bad_reasons(landed_week).items():
        saved = json.loads(s3.get_object(Bucket=bucket, Key=f"{prefix}{suite}.json")["Body"].read())
        unexpected: Counter[str] = Counter()
        for result in saved["results"]:
            rule_id = result["expectation_config"]["meta"]["rule_id"]
            unexpected[rule_id] += result["result"]["unexpected_count"]
        assert saved["success"] is False
        assert bad and all(unexpected[r] >= n for r, n in bad.items()), (suite, unexpected, bad)
        # The suite read the rejects only; the split counted every record (ADR 0014),
        # and its failures per rule are the suite's unexpected values.
        judged = saved["meta"]["goldmine"]
        assert judged["disagreements"] == {}
        assert judged["split_failures_per_rule"] == {r: unexpected[r] for r in unexpected}
        assert 0 < judged["records_validated"] < judged["records_judged"]
        if suite == "orders":
            assert judged["records_judged"] == sum(m.order_lines for m in landed_week)


def test_customer_moving_twice_has_three_versions_one_current(
    platform: Platform, spark: SparkSession, built: Any
) -> None:
    from lakehouse import table

    rows = (
        spark.read.format("delta")
        .load(table("silver.customers").uri(platform.settings))
        .filter("customer_id = 'C00000001'")
        .orderBy("valid_from")
        .collect()
    )
    assert len(rows) == 3
    assert [r["is_current"] for r in rows] == [False, False, True]
    # Each version differs from the previous one in city (the generator moves it twice,
    # possibly back to where it started).
    assert rows[0]["city"] != rows[1]["city"] and rows[1]["city"] != rows[2]["city"]
    assert rows[0]["valid_to"] == rows[1]["valid_from"]
    assert rows[1]["valid_to"] == rows[2]["valid_from"]
    assert rows[2]["valid_to"] is None


def test_order_shipped_before_placed_ends_shipped(
    platform: Platform, spark: SparkSession, landed_week: list, built: Any
) -> None:
    from lakehouse import table

    late = {o.order_id: o.current_status for m in landed_week for o in m.out_of_order}
    assert late, "the week has out-of-order records"
    orders = spark.read.format("delta").load(table("silver.orders").uri(platform.settings))
    got = {
        r["order_id"]: r["status"]
        for r in orders.filter(orders.order_id.isin(list(late))).collect()
    }
    assert got == late


def test_replaying_a_batch_or_the_week_changes_nothing(
    platform: Platform, spark: SparkSession, landed_week: list, built: Any
) -> None:
    from delta.tables import DeltaTable

    from lakehouse import TABLES, build_lakehouse, read_gold

    before = _versions(spark, platform)
    gold_before = read_gold(platform)
    build_lakehouse(spark, platform, batches=[landed_week[3].batch_id])
    build_lakehouse(spark, platform, batches=[m.batch_id for m in landed_week])
    from goldmine.plan import count_spark_jobs
    from goldmine.spark import SessionOnDemand

    on_demand = SessionOnDemand(lambda: spark)  # as `goldmine lakehouse build` hands it
    with count_spark_jobs(spark, "a build with nothing pending") as jobs:
        summary = build_lakehouse(on_demand, platform)  # nothing pending: no-op
    assert all(not batches for batches in summary.batches.values())
    # Budget (issue 18): the ledger is read with delta-rs; nothing runs on Spark, and
    # no session is started for it (ADR 0036).
    assert jobs() == 0 and summary.steps is not None and summary.steps.spark_jobs == 0
    assert not on_demand.started
    after = _versions(spark, platform)
    assert set(after) == set(before)
    data_changing = []
    for name, version in before.items():
        if after[name] == version:
            continue
        history = DeltaTable.forPath(spark, TABLES[name].uri(platform.settings)).history()
        for row in history.filter(f"version > {version}").collect():
            metrics = row["operationMetrics"] or {}
            changed = sum(
                int(metrics.get(k, 0))
                for k in (
                    "numOutputRows", "numTargetRowsInserted", "numTargetRowsUpdated",
                    "numTargetRowsDeleted", "numAddedFiles", "numRemovedFiles",
                )
            )  # fmt: skip
            if changed:
                data_changing.append((name, row["version"], row["operation"], metrics))
    assert data_changing == []
    gold_after = read_gold(platform)
    for name, frame in gold_before.items():
        assert frame.equals(gold_after[name]), name


def test_the_cli_with_nothing_pending_starts_no_spark(
    platform: Platform, built: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``goldmine lakehouse build`` on the built week: nothing pending, no Spark started
    (ADR 0036), and the summary says what each layer had to do."""
    from typer.testing import CliRunner

    from goldmine.cli import _context
    from goldmine.cli.lakehouse import app

    _context.start(debug=False)
    monkeypatch.setattr(_context._CONTEXT, "platform", platform)
    monkeypatch.setattr(_context._CONTEXT, "settings", platform.settings)

    run = CliRunner().invoke(app, ["build"], env={"COLUMNS": "200"})

    assert run.exit_code == 0, run.output
    assert "nothing pending: Spark not started" in run.output
    assert run.output.count("(none pending)") == 3  # bronze, silver, gold


def test_status_shows_each_tables_version_rows_and_files_as_spark_reads_them(
    platform: Platform, spark: SparkSession, built: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``goldmine lakehouse status`` reads the tables' logs with delta-rs, without Spark;
    what it shows equals Spark's reading of every table."""
    from typer.testing import CliRunner

    from goldmine.cli import _context
    from goldmine.cli.lakehouse import app
    from lakehouse import TABLES

    _context.start(debug=False)
    monkeypatch.setattr(_context._CONTEXT, "platform", platform)
    monkeypatch.setattr(_context._CONTEXT, "settings", platform.settings)

    run = CliRunner().invoke(app, ["status"], env={"COLUMNS": "400"})

    assert run.exit_code == 0, run.output
    shown = {
        cells[0]: tuple(cells[1:4])
        for line in run.output.splitlines()
        if (cells := [c.strip() for c in line.strip("│ ").split("│")])[0] in TABLES
    }
    versions = _versions(spark, platform)
    expected = {}
    for name, info in TABLES.items():
        uri = info.uri(platform.settings)
        files = spark.sql(f"DESCRIBE DETAIL delta.`{uri}`").first()["numFiles"]
        rows = spark.read.format("delta").load(uri).count()
        expected[name] = (str(versions[name]), str(rows), str(files))
    assert shown == expected


def test_history_reads_each_commit_as_spark_does(
    platform: Platform, spark: SparkSession, built: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``goldmine lakehouse history`` reads the log with delta-rs: the versions,
    operations, metrics and times Spark's ``DESCRIBE HISTORY`` gives."""
    from delta.tables import DeltaTable
    from typer.testing import CliRunner

    from goldmine.cli import _context
    from goldmine.cli.lakehouse import app
    from lakehouse import TABLES, table_history

    options = platform.aws.storage_options()
    for name, info in TABLES.items():
        spark_history = DeltaTable.forPath(spark, info.uri(platform.settings)).history()
        expected = [
            (r["version"], r["operation"], dict(r["operationMetrics"] or {}))
            for r in spark_history.collect()
        ]
        commits = table_history(platform.settings, options, name)
        assert [(c.version, c.operation, c.metrics) for c in commits] == expected, name
        assert [c.version for c in table_history(platform.settings, options, name, 1)] == [
            expected[0][0]
        ]

    _context.start(debug=False)
    monkeypatch.setattr(_context._CONTEXT, "platform", platform)
    monkeypatch.setattr(_context._CONTEXT, "settings", platform.settings)
    run = CliRunner().invoke(app, ["history", "gold.daily_sales"], env={"COLUMNS": "400"})
    assert run.exit_code == 0, run.output
    newest = table_history(platform.settings, options, "gold.daily_sales", 1)[0]
    assert f"{newest.timestamp:%Y-%m-%d %H:%M:%S}" in run.output
    assert newest.operation in run.output


def test_delta_summary_counts_rows_of_files_without_statistics(
    platform: Platform, spark: SparkSession
) -> None:
    """A writer may keep no file statistics: the rows then come from the Parquet footers."""
    import uuid

    from goldmine.read_delta import delta_summary

    uri = f"s3://{platform.settings.buckets.artifacts}/_test_no_stats/{uuid.uuid4().hex}"
    key = "spark.databricks.delta.stats.collect"
    spark.conf.set(key, "false")
    try:
        spark.range(7).repartition(2).write.format("delta").mode("overwrite").save(uri)
    finally:
        spark.conf.unset(key)
    spark.range(3).coalesce(1).write.format("delta").mode("append").save(uri)  # statistics

    found = delta_summary(uri, platform.aws.storage_options())

    assert found is not None and (found.rows, found.files) == (10, 3)
    assert found.version == 1


def test_tables_are_registered_in_glue_as_delta_with_real_columns(
    platform: Platform, built: Any
) -> None:
    from lakehouse import TABLES, register_tables
    from lakehouse._catalog import GOLD_DIMENSIONS

    names = register_tables(platform)
    database = platform.settings.database("lakehouse_gold")
    # Every table once, and silver's current dimensions once more in the gold database.
    assert sorted(names) == sorted(
        [f"{platform.settings.database(f'lakehouse_{t.layer}')}.{t.name}" for t in TABLES.values()]
        + [f"{database}.{name}" for name in GOLD_DIMENSIONS]
    )
    glue = platform.aws.client("glue")
    got = glue.get_table(DatabaseName=database, Name="daily_sales")["Table"]
    assert got["Parameters"]["table_type"] == "DELTA"
    columns = {c["Name"]: c["Type"] for c in got["StorageDescriptor"]["Columns"]}
    assert columns["revenue_usd"] == "decimal(18,2)" and columns["order_date"] == "date"
    stores = glue.get_table(DatabaseName=database, Name="stores")["Table"]
    assert stores["StorageDescriptor"]["Location"].rstrip("/").endswith("/silver/stores")
