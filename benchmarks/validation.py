"""Time the item transform with the validation split vs without (issue 3).

Builds 1,000,000 synthetic order lines in-process (``spark.range``; about 1% of
them break an item rule), then times, writing to Spark's ``noop`` sink:

* without: items -> product/fx joins -> exact USD amounts -> written;
* with: the same, plus :func:`goldmine.validation.split` by ``ITEM_RULES``
  (one failed-rules column, then valid lines written and quarantine written:
  one extra pass over the input, for the quarantine output).

Prints both times (best of ``--repeat``) and the ratio (target <= 1.2x).

Example: ``.venv/bin/python -m benchmarks.validation --lines 1000000``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from goldmine.validation import ITEM_RULES, split


def build_items(spark: Any, lines: int) -> Any:
    """Return ``lines`` synthetic items with the columns ``validate_items`` joins on."""
    from pyspark.sql import functions as F

    i = F.col("id")
    return spark.range(lines, numPartitions=4).select(
        F.floor(i / 3).cast("string").alias("order_id"),
        (i % 3 + 1).cast("int").alias("line_no"),
        F.concat(F.lit("P"), F.lpad((i % 500).cast("string"), 6, "0")).alias("product_id"),
        F.when(i % 311 == 0, F.lit(0)).otherwise(i % 5 + 1).cast("int").alias("quantity"),
        F.when(i % 313 == 0, F.lit(-1.0)).otherwise((i % 9000) / 100 + 1)
        .cast("decimal(10,2)").alias("unit_price"),
        F.when(i % 317 == 0, F.lit(1.5)).otherwise((i % 5) * 0.05)
        .cast("decimal(5,2)").alias("discount"),
        F.date_add(F.lit("2025-01-01").cast("date"), (i % 28).cast("int")).alias("order_date"),
        F.element_at(F.array(F.lit("USD"), F.lit("EUR"), F.lit("GBP")), (i % 3 + 1).cast("int"))
        .alias("currency"),
    )  # fmt: skip


def joined(spark: Any, items: Any) -> Any:
    """Items with ``_product_known`` and ``usd_per_unit`` (as ``validate_items`` joins)."""
    from pyspark.sql import functions as F

    products = spark.range(490).select(
        F.concat(F.lit("P"), F.lpad(F.col("id").cast("string"), 6, "0")).alias("product_id"),
        F.lit(True).alias("_product_known"),
    )
    fx = (
        spark.range(28 * 2)
        .select(
            F.date_add(F.lit("2025-01-01").cast("date"), (F.col("id") % 28).cast("int")).alias(
                "order_date"
            ),
            F.when(F.col("id") < 28, "EUR").otherwise("GBP").alias("currency"),
            F.lit("1.085123").cast("decimal(12,6)").alias("_fx_rate"),
        )
        .filter(~((F.col("currency") == "GBP") & (F.col("order_date") == F.lit("2025-01-03"))))
    )
    out = items.join(F.broadcast(products), "product_id", "left").join(
        F.broadcast(fx), ["currency", "order_date"], "left"
    )
    return out.withColumn(
        "usd_per_unit",
        F.when(F.col("currency") == "USD", F.lit(1).cast("decimal(12,6)")).otherwise(
            F.col("_fx_rate")
        ),
    )


def with_amount(df: Any) -> Any:
    """Add the exact USD line amount."""
    from pyspark.sql import functions as F

    return df.withColumn(
        "amount_usd",
        F.col("quantity").cast("decimal(10,0)")
        * F.col("unit_price")
        * (F.lit(1) - F.col("discount")).cast("decimal(3,2)")
        * F.col("usd_per_unit"),
    )


def run_without(spark: Any, items: Any) -> None:
    """The transform alone."""
    with_amount(joined(spark, items)).write.format("noop").mode("overwrite").save()


def run_with(spark: Any, items: Any) -> None:
    """The transform with the split: valid lines and quarantine both written."""
    valid, quarantined = split(joined(spark, items), ITEM_RULES)
    with_amount(valid).write.format("noop").mode("overwrite").save()
    quarantined.write.format("noop").mode("overwrite").save()


def run_with_valid_only(spark: Any, items: Any) -> None:
    """The split's cost on the main output alone (quarantine not written): same passes."""
    valid, _ = split(joined(spark, items), ITEM_RULES)
    with_amount(valid).write.format("noop").mode("overwrite").save()


def best_of(repeat: int, fn: Any, *args: Any) -> float:
    """Best wall time of ``repeat`` runs of ``fn(*args)``, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    """Build the input, time both variants, print the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from goldmine.aws import AwsClients
    from goldmine.settings import Endpoints, load_settings
    from goldmine.spark import build_session

    with tempfile.TemporaryDirectory(prefix="goldmine-bench-") as tmp:
        repo = Path(__file__).resolve().parents[1]
        settings = load_settings(
            data_dir=Path(tmp), jar_dir=repo / ".cache" / "jars", spark_shuffle_partitions=4
        )
        # In-memory input and a noop sink: no storage is touched, no local service started.
        aws = AwsClients(settings, Endpoints(s3="http://127.0.0.1:9"))
        spark = build_session(aws, master="local[2]", app_name="bench-validation")
        # Input materialised once (silver-sized, in memory), so both variants read the same.
        items = build_items(spark, args.lines).cache()
        n = items.count()
        run_without(spark, items)  # warm-up (JIT, broadcast)
        without = best_of(args.repeat, run_without, spark, items)
        with_validation = best_of(args.repeat, run_with, spark, items)
        valid_only = best_of(args.repeat, run_with_valid_only, spark, items)
        _, quarantined = split(joined(spark, items), ITEM_RULES)
        print(f"order lines: {n:,}; quarantined: {quarantined.count():,}")
        print(f"without validation: {without:.2f} s")
        print(f"with validation:    {with_validation:.2f} s (one extra pass: the quarantine)")
        print(f"ratio: {with_validation / without:.2f}x (target <= 1.2x)")
        print(f"valid lines only (predicates, no extra pass): {valid_only:.2f} s, "
              f"{valid_only / without:.2f}x")  # fmt: skip
        spark.stop()


if __name__ == "__main__":
    main()
