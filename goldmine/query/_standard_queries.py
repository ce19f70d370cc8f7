"""The standard analyst questions (``docs/analyst-queries/NN-name.sql``) as a test set."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform

#: Where the standard questions live (docs for analysts, and the query test set).
STANDARD_QUERIES_DIR = Path(__file__).resolve().parents[2] / "docs" / "analyst-queries"


@dataclass(frozen=True)
class StandardQuery:
    """One standard question: ``name`` (file stem), the question, and its SQL."""

    name: str
    question: str
    sql: str


def load_standard_queries(directory: Path = STANDARD_QUERIES_DIR) -> list[StandardQuery]:
    """Read every ``NN-name.sql`` of ``directory`` in order.

    The question is the first comment line (``-- Question: ...``).
    """
    queries = []
    for path in sorted(directory.glob("[0-9][0-9]-*.sql")):
        text = path.read_text(encoding="utf-8")
        question = next(
            (
                line.split(":", 1)[1].strip()
                for line in text.splitlines()
                if line.lower().startswith("-- question:")
            ),
            path.stem,
        )
        queries.append(StandardQuery(path.stem, question, text.strip().rstrip(";")))
    return queries


def run_standard_queries(
    platform: Platform,
    build: str,
    engine: str,
    *,
    spark: SparkSession | None = None,
    database: str | None = None,
    directory: Path = STANDARD_QUERIES_DIR,
    names: Collection[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Answer every standard question on ``build`` with ``engine``: ``{name: DataFrame}``.

    ``names`` answers only those questions (file stems); all of them by default.

    On Spark every query is planned first and each table registered as a view once for
    the whole set (registering lists the table's files); a query's views are the ones its
    plan resolved, as with :func:`~goldmine.query.run_query`.
    """
    from goldmine.query._run_query import plan_query, run_query

    queries = [q for q in load_standard_queries(directory) if names is None or q.name in names]
    if engine == "spark":
        from goldmine.query._run_spark import register_view, run_spark

        if spark is None:
            from goldmine.spark import build_session

            spark = build_session(platform.aws, app_name="goldmine-query")
        plans = {
            q.name: plan_query(platform, q.sql, build, engine, database=database) for q in queries
        }
        tables = {t.view_name: t for plan in plans.values() for t in plan.tables}
        for table in tables.values():
            register_view(spark, table)
        return {
            name: run_spark(spark, plan.engine_sql, plan.tables, register=False)
            for name, plan in plans.items()
        }
    return {
        q.name: run_query(platform, q.sql, build, engine, spark=spark, database=database).frame
        for q in queries
    }
