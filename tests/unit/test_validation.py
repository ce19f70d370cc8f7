"""Validation: rules declared once drive the split and the great-expectations suite."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from goldmine.validation import (
    ITEM_RULES,
    Judged,
    Rule,
    RuleSet,
    build_suite,
    record_splits,
    report_splits,
    run_suite,
    split,
)

RULES = RuleSet.from_dicts(
    "people",
    [
        {"rule_id": "missing_id", "column": "id", "kind": "not_null"},
        {"rule_id": "duplicate_id", "column": "id", "kind": "unique"},
        {"rule_id": "bad_age", "column": "age", "kind": "between", "min_value": 0,
         "max_value": 130},
        {"rule_id": "bad_channel", "column": "channel", "kind": "in_set",
         "values": ["store", "web"]},
        {"rule_id": "bad_email", "column": "email", "kind": "regex", "pattern": "^[^@ ]+@[^@ ]+$"},
    ],
)  # fmt: skip


def people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["a", "b", "b", None, "e"],
            "age": [30, 200, 40, 20, None],
            "channel": ["web", "store", "fax", "web", None],
            "email": ["a@x", "b@x", "b@x", "no email", "e@x"],
        }
    )


def test_split_pandas_reasons_in_precedence() -> None:
    valid, quarantined = split(people(), RULES)
    assert valid["id"].tolist() == ["a", "e"]
    assert quarantined[["failed_rules", "reason"]].to_dict("records") == [
        {"failed_rules": ["duplicate_id", "bad_age"], "reason": "duplicate_id"},
        {"failed_rules": ["duplicate_id", "bad_channel"], "reason": "duplicate_id"},
        {"failed_rules": ["missing_id", "bad_email"], "reason": "missing_id"},
    ]


@pytest.mark.spark
def test_split_spark_same_as_pandas(spark: Any) -> None:
    df = spark.createDataFrame(people().astype(object).where(people().notna(), None))
    valid, quarantined = split(df, RULES)
    assert sorted(r.id for r in valid.collect()) == ["a", "e"]
    got = sorted(((r.id, list(r.failed_rules), r.reason) for r in quarantined.collect()), key=str)
    assert got == sorted(
        [
            ("b", ["duplicate_id", "bad_age"], "duplicate_id"),
            ("b", ["duplicate_id", "bad_channel"], "duplicate_id"),
            (None, ["missing_id", "bad_email"], "missing_id"),
        ],
        key=str,
    )


def test_build_suite_from_declaration() -> None:
    suite = build_suite(ITEM_RULES)
    got = [(e.expectation_type, e.column, e.meta["rule_id"]) for e in suite.expectations]
    assert suite.name == "order_items"
    assert got == [
        ("expect_column_values_to_be_between", "quantity", "invalid_quantity"),
        ("expect_column_values_to_not_be_null", "quantity", "invalid_quantity"),
        ("expect_column_values_to_be_between", "unit_price", "invalid_price"),
        ("expect_column_values_to_not_be_null", "unit_price", "invalid_price"),
        ("expect_column_values_to_be_between", "discount", "invalid_discount"),
        ("expect_column_values_to_not_be_null", "discount", "invalid_discount"),
        ("expect_column_values_to_not_be_null", "_product_known", "unknown_product"),
        ("expect_column_values_to_not_be_null", "usd_per_unit", "missing_fx_rate"),
    ]


def test_run_suite_pandas_writes_result_json(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "quantity": [1, 0, 2],
            "unit_price": [1.0, 2.0, -1.0],
            "discount": [0.0, 0.5, 2.0],
            "_product_known": [True, True, None],
            "usd_per_unit": [1.0, None, 1.0],
        }
    )
    report = run_suite(df, ITEM_RULES, tmp_path / "run" / "order_items.json")
    assert report.success is False
    assert report.failed_rules == {
        "invalid_quantity": 1, "invalid_price": 1, "invalid_discount": 1,
        "unknown_product": 1, "missing_fx_rate": 1,
    }  # fmt: skip
    assert report.summary() == (
        "order_items: FAILED (3/8 expectations, 3 records); invalid_quantity=1, "
        "invalid_price=1, invalid_discount=1, unknown_product=1, missing_fx_rate=1"
    )
    saved = json.loads((tmp_path / "run" / "order_items.json").read_text())
    assert saved["success"] is False and len(saved["results"]) == 8


@pytest.mark.spark
def test_run_suite_spark(spark: Any, tmp_path: Path) -> None:
    df = spark.createDataFrame(
        [(1, Decimal("1.00"), Decimal("0.10"), True, Decimal("1.000000"))],
        "quantity int, unit_price decimal(10,2), discount decimal(5,2), "
        "_product_known boolean, usd_per_unit decimal(12,6)",
    )
    report = run_suite(df, ITEM_RULES, tmp_path / "items.json")
    assert (report.success, report.element_count, report.failed_rules) == (True, 1, {})
    assert (tmp_path / "items.json").exists()


def _jobs_of(spark: Any, label: str, run: Any) -> tuple[Any, int]:
    from goldmine.plan import count_spark_jobs

    with count_spark_jobs(spark, label) as jobs:
        out = run()
    return out, jobs()


@pytest.mark.spark
def test_a_counted_small_frame_is_validated_in_the_driver_with_the_same_outcomes(
    spark: Any, tmp_path: Path
) -> None:
    rows = [
        (q, Decimal(p), Decimal(d), k, None if u is None else Decimal(u))
        for q, p, d, k, u in [
            (1, "1.00", "0.10", True, "1.000000"),
            (0, "2.00", "0.50", True, None),
            (2, "-1.00", "2.00", None, "1.000000"),
        ]
    ]
    df = spark.createDataFrame(
        rows,
        "quantity int, unit_price decimal(10,2), discount decimal(5,2), "
        "_product_known boolean, usd_per_unit decimal(12,6)",
    ).persist()
    df.count()
    on_spark, spark_jobs = _jobs_of(
        spark, "suite-spark", lambda: run_suite(df, ITEM_RULES, tmp_path / "spark.json")
    )
    counted, counted_jobs = _jobs_of(
        spark, "suite-counted",
        lambda: run_suite(df, ITEM_RULES, tmp_path / "counted.json", rows=3),
    )  # fmt: skip
    # One job brings the rule columns to the driver; the Spark engine runs several.
    assert (counted_jobs, spark_jobs > 1) == (1, True)
    assert counted.failed_rules == on_spark.failed_rules == {
        "invalid_quantity": 1, "invalid_price": 1, "invalid_discount": 1,
        "unknown_product": 1, "missing_fx_rate": 1,
    }  # fmt: skip
    assert (counted.element_count, counted.success) == (on_spark.element_count, False)
    # A regex rule stays on Spark (Java's dialect, as the exact checks read it).
    people_frame = spark.createDataFrame(people().astype(object).where(people().notna(), None))
    _, regex_jobs = _jobs_of(
        spark, "suite-regex",
        lambda: run_suite(people_frame, RULES, tmp_path / "people.json", rows=5),
    )  # fmt: skip
    assert regex_jobs > 1
    # So does a date bound given as text: Spark casts it, pandas would compare text.
    days = spark.createDataFrame([("2025-01-02",), ("2024-12-31",)], "d string").selectExpr(
        "CAST(d AS date) AS d"
    )
    since = RuleSet("days", (Rule("too_early", "d", "between", min_value="2025-01-01"),))
    dated, dated_jobs = _jobs_of(
        spark, "suite-dated", lambda: run_suite(days, since, tmp_path / "days.json", rows=2)
    )
    assert (dated_jobs > 1, dated.failed_rules) == (True, {"too_early": 1})
    df.unpersist()


def test_rule_declaration_is_checked() -> None:
    with pytest.raises(ValueError, match="in_set needs values"):
        Rule("r", "c", "in_set")


def _items(spark: Any) -> Any:
    """Order items with one known fault each (b..e) or two (c), as ``validate_items`` joins."""
    rows = [
        ("a", 1, Decimal("1.00"), Decimal("0.10"), True, Decimal("1.000000")),
        ("b", 0, Decimal("1.00"), Decimal("0.00"), True, Decimal("1.000000")),
        ("c", 2, Decimal("-1.00"), Decimal("2.00"), True, Decimal("1.000000")),
        ("d", 1, Decimal("3.00"), Decimal("0.00"), None, Decimal("1.085123")),
        ("e", None, Decimal("4.00"), Decimal("0.50"), True, None),
    ]
    return spark.createDataFrame(
        rows,
        "order_id string, quantity int, unit_price decimal(10,2), discount decimal(5,2), "
        "_product_known boolean, usd_per_unit decimal(12,6)",
    )


@pytest.mark.spark
def test_split_records_what_it_judged_and_the_report_saves_json(spark: Any, tmp_path: Path) -> None:
    items = _items(spark)
    split(items, ITEM_RULES)  # outside a block: not recorded
    with record_splits() as checked:
        valid, quarantined = split(items, ITEM_RULES)
    split(items, ITEM_RULES)  # after the block: not recorded either
    assert [(c.rules, c.frame) for c in checked] == [(ITEM_RULES, items)]
    # Recorded: the rejects are persisted for the report, the input observed.
    assert checked[0].rejected is quarantined and quarantined.is_cached

    # The split is the predicates' (recording changes nothing), whole rows:
    assert [r.order_id for r in valid.collect()] == ["a"]
    assert sorted((r.order_id, list(r.failed_rules), r.reason) for r in quarantined.collect()) == [
        ("b", ["invalid_quantity"], "invalid_quantity"),
        ("c", ["invalid_price", "invalid_discount"], "invalid_price"),
        ("d", ["unknown_product"], "unknown_product"),
        ("e", ["invalid_quantity", "missing_fx_rate"], "invalid_quantity"),
    ]

    (report,) = report_splits(checked, tmp_path / "run")
    path = tmp_path / "run" / "order_items.json"
    assert report.result_path == str(path)
    # Records judged: the whole frame (the split's observation); great-expectations
    # read only the 4 rejected records, and found every unexpected value there.
    assert (report.element_count, report.validated, report.disagreements) == (5, 4, {})
    assert report.summary() == (
        "order_items: FAILED (2/8 expectations, 5 records); invalid_quantity=2, "
        "invalid_price=1, invalid_discount=1, unknown_product=1, missing_fx_rate=1"
    )
    assert not quarantined.is_cached  # the report unpersists the rejects
    saved = json.loads(path.read_text())
    assert saved["meta"]["goldmine"] == {
        "validated": "the records the split rejected (ADR 0014)",
        "records_judged": 5,
        "records_validated": 4,
        "split_failures_per_rule": {
            "invalid_quantity": 2, "invalid_price": 1, "invalid_discount": 1,
            "unknown_product": 1, "missing_fx_rate": 1,
        },
        "disagreements": {},
    }  # fmt: skip
    got = [
        (
            r["expectation_config"]["type"],
            r["expectation_config"]["kwargs"]["column"],
            r["expectation_config"]["meta"]["rule_id"],
            r["success"],
            r["result"]["element_count"],
            r["result"]["unexpected_count"],
        )
        for r in saved["results"]
    ]
    assert saved["success"] is False
    assert sorted(got) == sorted(
        [
            ("expect_column_values_to_be_between", "quantity", "invalid_quantity", False, 4, 1),
            ("expect_column_values_to_not_be_null", "quantity", "invalid_quantity", False, 4, 1),
            ("expect_column_values_to_be_between", "unit_price", "invalid_price", False, 4, 1),
            ("expect_column_values_to_not_be_null", "unit_price", "invalid_price", True, 4, 0),
            ("expect_column_values_to_be_between", "discount", "invalid_discount", False, 4, 1),
            ("expect_column_values_to_not_be_null", "discount", "invalid_discount", True, 4, 0),
            (
                "expect_column_values_to_not_be_null", "_product_known", "unknown_product",
                False, 4, 1,
            ),
            (
                "expect_column_values_to_not_be_null", "usd_per_unit", "missing_fx_rate",
                False, 4, 1,
            ),
        ]
    )  # fmt: skip
    # Counts only: no sample of unexpected values (each would cost a Spark job).
    assert all(not r["result"].get("partial_unexpected_list") for r in saved["results"])


@pytest.mark.spark
def test_run_suite_writes_a_uri_through_the_spark_session(spark: Any, tmp_path: Path) -> None:
    uri = f"file://{tmp_path}/uri/order_items.json"
    report = run_suite(_items(spark), ITEM_RULES, uri)
    assert report.result_path == uri
    assert json.loads((tmp_path / "uri" / "order_items.json").read_text())["success"] is False


def test_run_suite_refuses_a_uri_for_pandas(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="a URI needs a Spark DataFrame"):
        run_suite(people(), RULES, "s3://bucket/people.json")


def test_report_splits_names_a_second_frame_of_the_same_suite(tmp_path: Path) -> None:
    with record_splits() as checked:
        split(people(), RULES)
        split(people().head(1), RULES)
    reports = report_splits(checked, tmp_path)
    assert [Path(str(r.result_path)).name for r in reports] == ["people.json", "people-2.json"]
    assert [(r.success, r.element_count) for r in reports] == [(False, 5), (True, 1)]


@pytest.mark.spark
def test_a_recorded_split_not_consumed_is_counted_by_the_report(spark: Any, tmp_path: Path) -> None:
    items = _items(spark)
    with record_splits() as checked:
        split(items, ITEM_RULES)  # neither output read: nothing observed
    (report,) = report_splits(checked, tmp_path)
    assert (report.element_count, report.validated, report.disagreements) == (5, 4, {})
    assert report.failed_rules["invalid_quantity"] == 2


@pytest.mark.spark
def test_a_clean_recorded_split_reports_success_on_no_rejects(spark: Any, tmp_path: Path) -> None:
    items = _items(spark).filter("order_id = 'a'")
    with record_splits() as checked:
        valid, _ = split(items, ITEM_RULES)
    assert valid.count() == 1
    (report,) = report_splits(checked, tmp_path)
    assert (report.success, report.element_count, report.validated) == (True, 1, 0)
    assert report.failed_rules == {} and report.disagreements == {}


@pytest.mark.spark
def test_report_names_rules_where_split_counts_and_the_suite_disagree(
    spark: Any, tmp_path: Path
) -> None:
    _, quarantined = split(_items(spark), ITEM_RULES)
    judged = Judged(
        records=5,
        failures={"invalid_quantity": 3, "invalid_price": 1, "invalid_discount": 1,
                  "unknown_product": 1, "missing_fx_rate": 0},
    )  # fmt: skip
    report = run_suite(quarantined, ITEM_RULES, tmp_path / "items.json", judged=judged)
    assert report.disagreements == {"invalid_quantity": (3, 2), "missing_fx_rate": (0, 1)}
    assert report.summary().endswith(
        "; split and great-expectations disagree: invalid_quantity 3 vs 2, missing_fx_rate 0 vs 1"
    )


@pytest.mark.spark
def test_recorded_spark_split_counts_a_unique_rule_over_the_whole_frame(
    spark: Any, tmp_path: Path
) -> None:
    rows = [
        (r.id, None if pd.isna(r.age) else int(r.age), r.channel, r.email)
        for r in people().itertuples()
    ]
    frame = spark.createDataFrame(rows, "id string, age int, channel string, email string")
    with record_splits() as checked:
        valid, quarantined = split(frame, RULES)
    assert valid.count() + quarantined.count() == len(people())
    (report,) = report_splits(checked, tmp_path)
    # The same counts as great-expectations over the whole pandas frame.
    whole = run_suite(people(), RULES, tmp_path / "pandas.json")
    assert report.failed_rules == whole.failed_rules and report.disagreements == {}
    assert report.element_count == whole.element_count == len(people())


@pytest.mark.spark
@pytest.mark.parametrize(
    "first_read",
    [
        # As silver: its quarantine cache, a whole read of the rejects, comes first.
        "rejects whole",
        # A first action on the valid records only that stops early (a MERGE's
        # ``isEmpty``): the observation is on the rejects' branch, which the report
        # reads whole before it asks for the observation.
        "valid, one record",
    ],
)
def test_the_report_counts_the_whole_frame_whatever_reads_the_split_first(
    spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, first_read: str
) -> None:
    with record_splits() as checked:
        valid, quarantined = split(_items(spark), ITEM_RULES)
    if first_read == "rejects whole":
        assert quarantined.select("order_id").cache().count() == 4
    else:
        valid.limit(1).collect()
    with caplog.at_level("INFO", logger="goldmine.validation"):
        (report,) = report_splits(checked, tmp_path)
    assert (report.element_count, report.validated, report.disagreements) == (5, 4, {})
    assert report.failed_rules["invalid_quantity"] == 2
    assert "counting" not in caplog.text


@pytest.mark.spark
def test_a_partial_observation_is_counted_again(
    spark: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from pyspark.sql import Observation

    from goldmine.validation._record_splits import CheckedFrame
    from goldmine.validation._split import failure_counts

    rows = _items(spark)
    items = spark.createDataFrame(spark.sparkContext.parallelize(rows.collect(), 3), rows.schema)
    observation = Observation()
    # An action that stopped after the first of three partitions made the observation.
    items.observe(observation, *failure_counts(ITEM_RULES)).limit(1).collect()
    _, quarantined = split(items, ITEM_RULES)
    checked = [CheckedFrame(ITEM_RULES, items, quarantined.cache(), observation)]
    with caplog.at_level("INFO", logger="goldmine.validation"):
        (report,) = report_splits(checked, tmp_path)
    assert "observation partial, counting again" in caplog.text
    assert (report.element_count, report.validated, report.disagreements) == (5, 4, {})
    assert report.failed_rules == {
        "invalid_quantity": 2, "invalid_price": 1, "invalid_discount": 1,
        "unknown_product": 1, "missing_fx_rate": 1,
    }  # fmt: skip


def _in_fresh_interpreter(script: str) -> None:
    """Run ``script`` in a new Python process (nothing imported yet); fail with its stderr."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_warm_up_imports_great_expectations_once_in_the_background() -> None:
    _in_fresh_interpreter(
        "import sys, threading\n"
        "from goldmine.validation import warm_up\n"
        "assert 'great_expectations' not in sys.modules\n"
        "warm_up(); warm_up()\n"
        "workers = [t for t in threading.enumerate() if 'great-expectations' in t.name]\n"
        "assert len(workers) == 1, workers\n"
        "workers[0].join()\n"
        "assert 'great_expectations' in sys.modules\n"
    )


def test_great_expectations_imports_without_running_scipy_stats_until_it_is_used() -> None:
    _in_fresh_interpreter(
        "import sys\n"
        "from goldmine.validation._import_gx import import_great_expectations\n"
        "gx = import_great_expectations()\n"
        "assert gx is sys.modules['great_expectations']\n"
        # bound where great-expectations asked for it, its code not run
        "assert 'scipy.stats._stats_py' not in sys.modules, 'scipy.stats ran at import'\n"
        "from great_expectations.expectations.core import "
        "expect_column_kl_divergence_to_be_less_than as kl\n"
        "assert kl.stats is sys.modules['scipy.stats']\n"
        # the first use runs it, and it works as the eager module would
        "assert abs(kl.stats.entropy([0.5, 0.5]) - 0.6931471805599453) < 1e-12\n"
        "assert 'scipy.stats._stats_py' in sys.modules\n"
    )
