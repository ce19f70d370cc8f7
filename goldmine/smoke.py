"""The platform smoke run: every local moving part once, end to end.

Generate a small source into the landing bucket, read the orders feed back with Spark
over S3, write it as a Delta table, read it back, and register it in the Glue catalog.
Run as the ``smoke`` job (``goldmine jobs run smoke``) and by the tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from goldmine.catalog import TableSpec, register_table
from goldmine.platform import Platform
from goldmine.sales import BatchManifest, GeneratorConfig, S3Sink, generate_sales

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SMOKE_TABLE = "smoke_orders"


@dataclass(frozen=True)
class SmokeResult:
    """What the smoke run did, for the summary."""

    batches: int
    files: int
    order_lines_generated: int
    records_read: int
    delta_rows: int
    delta_version: int
    table: str
    location: str


def land_source(
    platform: Platform, *, days: int = 2, scale: float = 0.02, seed: int = 7
) -> list[BatchManifest]:
    """Generate ``days`` batches of the sales source into the landing bucket."""
    config = GeneratorConfig(days=days, scale=scale, seed=seed)
    sink = S3Sink(platform.aws.s3(), platform.settings.buckets.landing)
    return generate_sales(sink, config, keep_details=False)


def run_smoke(
    platform: Platform, spark: SparkSession, manifests: list[BatchManifest]
) -> SmokeResult:
    """Read the landed orders feed back, write it as Delta, register it; return what it did."""
    from delta.tables import DeltaTable
    from pyspark.sql import functions as F

    settings = platform.settings
    orders_uri = platform.s3_uri(settings.buckets.landing, "sales/orders/")
    raw = spark.read.text(orders_uri).withColumn("source_file", F.input_file_name())
    location = platform.s3_uri(settings.buckets.lakehouse, f"_smoke/{SMOKE_TABLE}/")
    raw.write.format("delta").mode("overwrite").save(location)
    table = DeltaTable.forPath(spark, location)
    landed = table.toDF()
    register_table(
        platform.aws.client("glue"),
        platform.aws.s3(),
        TableSpec(
            database=settings.database("platform"),
            name=SMOKE_TABLE,
            location=location,
            columns=(
                ("value", "string", "one landed order line, as text"),
                ("source_file", "string", "landing object it came from"),
            ),
            table_format="delta",
            description="Smoke test: the orders feed landed as text.",
        ),
    )
    return SmokeResult(
        batches=len(manifests),
        files=sum(len(m.files) for m in manifests),
        order_lines_generated=sum(m.order_lines for m in manifests),
        records_read=raw.count(),
        delta_rows=landed.count(),
        delta_version=int(table.history(1).collect()[0]["version"]),
        table=f"{settings.database('platform')}.{SMOKE_TABLE}",
        location=location,
    )
