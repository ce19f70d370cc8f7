"""Synthetic gold tables of a given size, for the query tests and the query benchmark.

They have the gold schemas of DATASET §4 (and two small dimensions, ``stores`` and
``products``) and are computed from random order lines with the gold rules, so that
they look like a real build; they are NOT a build of the sales source (the lake,
lakehouse and mesh builds are). Written as Delta or hive-partitioned Parquet and
registered in Glue like a build's tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from goldmine.catalog import TableSpec, register_partitions, register_table
from goldmine.sales import DEFAULT_START_DATE

if TYPE_CHECKING:
    import pyarrow as pa

    from goldmine.platform import Platform

#: Days since 1970-01-01 of the first synthetic order date: the sales source's start date,
#: so that the standard questions' date filters select data here as on a real build.
_FIRST_DAY = (DEFAULT_START_DATE - dt.date(1970, 1, 1)).days

GOLD_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "daily_sales": (
        ("order_date", "date"),
        ("store_id", "string"),
        ("category", "string"),
        ("orders", "bigint"),
        ("units", "bigint"),
        ("revenue_usd", "decimal(18,2)"),
        ("avg_order_value_usd", "decimal(18,2)"),
    ),
    "customer_lifetime": (
        ("customer_id", "string"),
        ("first_order_date", "date"),
        ("last_order_date", "date"),
        ("orders", "bigint"),
        ("revenue_usd", "decimal(18,2)"),
        ("segment", "string"),
        ("country", "string"),
    ),
    "product_monthly": (
        ("month", "date"),
        ("product_id", "string"),
        ("units", "bigint"),
        ("revenue_usd", "decimal(18,2)"),
        ("returned_units", "bigint"),
        ("return_rate", "decimal(9,4)"),
    ),
    "stores": (
        ("store_id", "string"),
        ("name", "string"),
        ("channel", "string"),
        ("region", "string"),
        ("country", "string"),
    ),
    "products": (
        ("product_id", "string"),
        ("name", "string"),
        ("category", "string"),
        ("subcategory", "string"),
    ),
}
#: Parquet partition column of each table (the lake's layout); Delta tables are unpartitioned.
PARQUET_PARTITIONS = {"daily_sales": "order_date", "product_monthly": "month"}


@dataclass(frozen=True)
class SyntheticGold:
    """Where a synthetic gold set was written and how big it is."""

    database: str
    table_format: str
    order_lines: int
    rows: dict[str, int]


@dataclass(frozen=True)
class GoldShape:
    """The dimensions of a synthetic gold set: they decide how many gold rows there are.

    ``customers=None``: one customer per 8 orders.
    """

    days: int = 60
    stores: int = 40
    products: int = 500
    customers: int | None = None
    lines_per_order: int = 3


def sales_shape(order_lines: int, days: int = 365) -> GoldShape:
    """Return the shape the sales source (``goldmine.sales``) has at ``order_lines`` lines.

    The generator writes ``10_000 * scale`` lines per business day, so ``order_lines``
    over ``days`` days is ``scale = order_lines / (10_000 * days)``; it knows
    ``2_000 * scale + 100 * scale * day`` customers and ``500 * scale + 10 * scale * day``
    products on ``day``, has 22 stores (20 physical, 2 web) and 2 lines per order on
    average. The shape takes the customers and products known on the last day (an upper
    bound of the gold rows: every product sells from the first day).
    """
    scale = order_lines / (10_000 * days)
    return GoldShape(
        days=days,
        stores=22,
        products=max(20, round(500 * scale + 10 * scale * days)),
        customers=max(20, round(2_000 * scale + 100 * scale * days)),
        lines_per_order=2,
    )


def _order_lines(order_lines: int, shape: GoldShape, seed: int) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    n = order_lines
    days = shape.days
    orders = max(1, n // shape.lines_per_order)
    order_no = np.sort(rng.integers(0, orders, n))
    day = (order_no * days // orders).astype("int32")
    customers = shape.customers or max(10, orders // 8)
    customer = rng.integers(0, customers, orders)[order_no]
    store = rng.integers(0, shape.stores, orders)[order_no]
    product = rng.integers(0, shape.products, n)
    quantity = rng.integers(1, 5, n)
    cents = rng.integers(199, 19999, n)
    status = rng.choice(np.array([0, 1, 2, 3, 4]), orders, p=[0.2, 0.3, 0.35, 0.1, 0.05])[order_no]
    return pa.table(
        {
            "order_id": order_no.astype("int64"),
            "order_date": pa.array(day + _FIRST_DAY, pa.int32()).cast(pa.date32()),
            "customer_id": pa.array(customer.astype("int64")),
            "store_id": pa.array(store.astype("int64")),
            "product_id": pa.array(product.astype("int64")),
            "quantity": pa.array(quantity.astype("int64")),
            "line_cents": pa.array((quantity * cents).astype("int64")),
            # 0 placed, 1 shipped, 2 delivered, 3 returned, 4 cancelled
            "status": pa.array(status.astype("int8")),
        }
    )


_GOLD_SQL = {
    "daily_sales": """
        SELECT l.order_date, 's' || lpad(CAST(l.store_id AS VARCHAR), 3, '0') AS store_id,
               p.category, COUNT(DISTINCT l.order_id) AS orders, SUM(l.quantity) AS units,
               CAST(SUM(l.line_cents) AS DECIMAL(38, 0)) / 100 AS revenue_raw
        FROM lines l JOIN products_raw p ON p.product_key = l.product_id
        WHERE l.status IN (0, 1, 2)
        GROUP BY 1, 2, 3""",
    "customer_lifetime": """
        SELECT 'c' || lpad(CAST(customer_id AS VARCHAR), 7, '0') AS customer_id,
               MIN(order_date) AS first_order_date, MAX(order_date) AS last_order_date,
               COUNT(DISTINCT order_id) AS orders,
               CAST(CAST(SUM(line_cents) AS DECIMAL(38, 0)) / 100 AS DECIMAL(18, 2)) AS revenue_usd,
               CASE WHEN customer_id % 13 = 0 THEN NULL
                    ELSE ['consumer', 'small_business', 'corporate'][1 + customer_id % 3] END
                   AS segment,
               CASE WHEN customer_id % 13 = 0 THEN NULL
                    ELSE ['US', 'DE', 'FR', 'GB', 'ES'][1 + customer_id % 5] END AS country
        FROM lines WHERE status IN (0, 1, 2) GROUP BY customer_id""",
    "product_monthly": """
        SELECT CAST(date_trunc('month', order_date) AS DATE) AS month,
               'p' || lpad(CAST(product_id AS VARCHAR), 5, '0') AS product_id,
               CAST(SUM(CASE WHEN status IN (0, 1, 2) THEN quantity ELSE 0 END) AS BIGINT) AS units,
               CAST(CAST(SUM(CASE WHEN status IN (0, 1, 2) THEN line_cents ELSE 0 END)
                    AS DECIMAL(38, 0)) / 100 AS DECIMAL(18, 2)) AS revenue_usd,
               CAST(SUM(CASE WHEN status = 3 THEN quantity ELSE 0 END) AS BIGINT) AS returned_units
        FROM lines WHERE status IN (0, 1, 2, 3) GROUP BY 1, 2""",
}


def synthetic_gold_tables(
    order_lines: int, *, days: int = 60, seed: int = 7, shape: GoldShape | None = None
) -> dict[str, pa.Table]:
    """Compute the gold tables (and dimensions) of ``order_lines`` random order lines.

    ``shape`` (default: ``GoldShape(days=days)``) sets the days, stores, products and
    customers; :func:`sales_shape` gives the sales source's at a number of lines.
    """
    import duckdb
    import pyarrow as pa

    shape = shape or GoldShape(days=days)
    lines = _order_lines(order_lines, shape, seed)
    n_products, n_stores = shape.products, shape.stores
    products_raw = pa.table(
        {
            "product_key": pa.array(range(n_products), pa.int64()),
            "category": [
                ["home", "garden", "toys", "books", "sports", "food"][i % 6]
                for i in range(n_products)
            ],
        }
    )
    con = duckdb.connect(config={"threads": 2})
    con.register("lines", lines)
    con.register("products_raw", products_raw)
    out: dict[str, pa.Table] = {}
    daily = con.sql(_GOLD_SQL["daily_sales"]).to_arrow_table()
    con.register("daily", daily)
    # money rounded half up from the exact value at the gold step only
    out["daily_sales"] = con.sql(
        "SELECT order_date, store_id, category, orders, units, "
        "CAST(revenue_raw AS DECIMAL(18, 2)) AS revenue_usd, "
        "CAST((CAST(revenue_raw * 100 AS HUGEINT) * 2 + orders) // (orders * 2) AS DECIMAL(18, 0))"
        " * CAST(0.01 AS DECIMAL(18, 2)) AS avg_order_value_usd "
        "FROM daily ORDER BY 1, 2, 3"
    ).to_arrow_table()
    out["customer_lifetime"] = con.sql(
        _GOLD_SQL["customer_lifetime"] + " ORDER BY 1"
    ).to_arrow_table()
    monthly = con.sql(_GOLD_SQL["product_monthly"]).to_arrow_table()
    con.register("monthly", monthly)
    out["product_monthly"] = con.sql(
        "SELECT month, product_id, units, revenue_usd, returned_units, "
        "CAST((CAST(returned_units AS HUGEINT) * 20000 + (units + returned_units)) "
        "     // ((units + returned_units) * 2) AS DECIMAL(9, 0)) * CAST(0.0001 AS DECIMAL(9, 4))"
        " AS return_rate "
        "FROM monthly WHERE units + returned_units > 0 ORDER BY 1, 2"
    ).to_arrow_table()
    out["stores"] = pa.table(
        {
            "store_id": [f"s{i:03d}" for i in range(n_stores)],
            "name": [f"Store {i}" for i in range(n_stores)],
            "channel": ["web" if i % 10 == 0 else "store" for i in range(n_stores)],
            "region": [["north", "south", "east", "west"][i % 4] for i in range(n_stores)],
            "country": [["US", "DE", "FR", "GB", "ES"][i % 5] for i in range(n_stores)],
        }
    )
    out["products"] = pa.table(
        {
            "product_id": [f"p{i:05d}" for i in range(n_products)],
            "name": [f"Product {i}" for i in range(n_products)],
            "category": products_raw.column("category"),
            "subcategory": [f"sub{i % 17}" for i in range(n_products)],
        }
    )
    con.close()
    return {name: _with_types(name, table) for name, table in out.items()}


def _with_types(name: str, table: pa.Table) -> pa.Table:
    import pyarrow as pa

    from goldmine.query._read_tables import arrow_type

    schema = pa.schema([pa.field(c, arrow_type(t)) for c, t in GOLD_COLUMNS[name]])
    return table.select([f.name for f in schema]).cast(schema)


def write_synthetic_gold(
    platform: Platform,
    tables: dict[str, pa.Table],
    *,
    database: str,
    bucket: str,
    prefix: str,
    table_format: str,
) -> dict[str, str]:
    """Write ``tables`` as Delta or Parquet under ``s3://bucket/prefix/`` and register them.

    Returns ``{table: location}``. Writing again replaces the data (idempotent).
    """
    glue, s3 = platform.aws.client("glue"), platform.aws.s3()
    locations = {}
    for name, table in tables.items():
        location = platform.s3_uri(bucket, f"{prefix.strip('/')}/{name}/")
        partition = PARQUET_PARTITIONS.get(name) if table_format == "parquet" else None
        if table_format == "delta":
            from deltalake import write_deltalake

            write_deltalake(
                location.rstrip("/"),
                table,
                mode="overwrite",
                storage_options=platform.aws.storage_options(),
            )
        else:
            _delete_prefix(s3, bucket, f"{prefix.strip('/')}/{name}/")
            _put_parquet(s3, bucket, f"{prefix.strip('/')}/{name}", table, partition)
        columns = tuple((c, t, "") for c, t in GOLD_COLUMNS[name] if c != partition)
        keys = tuple((c, t, "") for c, t in GOLD_COLUMNS[name] if c == partition)
        spec = TableSpec(
            database=database,
            name=name,
            location=location,
            columns=columns,
            partition_keys=keys,
            table_format=table_format,
            description="synthetic gold table (query tests and benchmark)",
        )
        register_table(glue, s3, spec)
        if partition:
            values = [[v] for v in _partition_values(table, partition)]
            register_partitions(glue, database, spec.to_table_input(), values)
        locations[name] = location
    return locations


def _partition_values(table: pa.Table, partition: str) -> list[str]:
    import pyarrow.compute as pc

    return [str(v) for v in sorted(pc.unique(table.column(partition)).to_pylist())]


def _put_parquet(s3: Any, bucket: str, prefix: str, table: pa.Table, partition: str | None) -> None:
    """Write hive-partitioned Parquet through boto3 (one file per partition).

    pyarrow's S3 writer streams multipart uploads whose payload hash the local S3Proxy
    rejects; readers are unaffected, so only the writing goes through boto3.
    """
    import io

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    parts: list[tuple[str, pa.Table]] = [("", table)]
    if partition:
        values = pc.unique(table.column(partition)).to_pylist()
        parts = [
            (
                f"{partition}={value}/",
                table.filter(pc.equal(table.column(partition), value)).drop_columns([partition]),
            )
            for value in sorted(values)
        ]
    for directory, part in parts:
        buffer = io.BytesIO()
        pq.write_table(part, buffer)
        s3.put_object(
            Bucket=bucket, Key=f"{prefix}/{directory}part-0.parquet", Body=buffer.getvalue()
        )


def _delete_prefix(s3: Any, bucket: str, prefix: str) -> None:
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
