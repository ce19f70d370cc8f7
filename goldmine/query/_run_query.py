"""Answer one analyst query on a build with an engine: the query path's entry point."""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from sqlglot import exp

from goldmine.query._parse_query import parse_select, table_references
from goldmine.query._resolve_tables import ResolvedTable, resolve_table
from goldmine.query._translate import translate_query

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform
    from goldmine.query._read_tables import TableFiles

Engine = Literal["local", "spark", "trino", "athena"]
ENGINES: tuple[str, ...] = ("local", "spark", "trino", "athena")
_DIALECTS = {"local": "duckdb", "spark": "spark"}
#: Engines that run Athena (Trino) SQL as written: nothing is translated.
_ATHENA_SQL = ("athena", "trino")


@dataclass(frozen=True)
class QueryPlan:
    """A query ready to run: its tables and the SQL the engine receives."""

    sql: str
    build: str
    engine: str
    tables: tuple[ResolvedTable, ...]
    engine_sql: str


@dataclass(frozen=True)
class QueryResult:
    """The answer of one query, with what produced it.

    ``bytes_scanned`` and ``cost_usd`` are set by the ``athena`` engine only;
    ``engine_plan`` by :func:`explain_query` on ``trino`` (Trino's own plan).
    """

    frame: pd.DataFrame
    plan: QueryPlan
    seconds: float
    bytes_scanned: int | None = None
    cost_usd: float | None = None
    query_id: str | None = None
    files: dict[str, TableFiles] = field(default_factory=dict)
    engine_plan: str | None = None


def plan_query(
    platform: Platform,
    sql: str,
    build: str = "lakehouse",
    engine: str = "local",
    *,
    database: str | None = None,
) -> QueryPlan:
    """Parse, check, resolve and translate ``sql``; nothing runs.

    Raises
    ------
    RefusedQuery
        Malformed SQL, several statements, or anything but a SELECT.
    UnknownTable
        A table that is not in the build's catalog.
    UntranslatableQuery
        A construct without a translation keeping Athena's meaning.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}: expected one of {', '.join(ENGINES)}")
    query = parse_select(sql)
    glue = _glue_client(platform)
    names: dict[tuple[str | None, str], str] = {}
    tables: dict[str, ResolvedTable] = {}
    for db, name in table_references(query):
        table = resolve_table(glue, platform.settings, build, db, name, default_database=database)
        tables[table.view_name] = table
        names[(db, name)] = table.view_name
    if engine in _ATHENA_SQL:
        engine_sql = _qualified_for_athena(query, names, tables)
    else:
        schema = tuple((view, tuple(table.schema().items())) for view, table in tables.items())
        engine_sql = _translated(sql, _DIALECTS[engine], schema, tuple(names.items()))
    return QueryPlan(sql, build, engine, tuple(tables.values()), engine_sql)


#: boto3 Glue clients by platform: creating one costs ~0.1-1 s (service model loading).
_GLUE_CLIENTS: dict[int, tuple[Platform, Any]] = {}
_GLUE_LOCK = threading.Lock()


def _glue_client(platform: Platform) -> Any:
    """Return the Glue client of ``platform``, created once per process and platform."""
    with _GLUE_LOCK:
        held = _GLUE_CLIENTS.get(id(platform))
        if held is None or held[0] is not platform:
            held = _GLUE_CLIENTS[id(platform)] = (platform, platform.aws.client("glue"))
        return held[1]


@functools.lru_cache(maxsize=512)
def _translated(
    sql: str,
    target: str,
    schema: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
    names: tuple[tuple[tuple[str | None, str], str], ...],
) -> str:
    """Translate ``sql``: a pure function of the SQL, the tables' types and view names.

    Cached: the type-aware translation (qualify, annotate, rules) takes 50-200 ms, and
    the key holds everything it depends on. Refusals raise and are not cached.
    """
    return translate_query(
        parse_select(sql),
        target,  # type: ignore[arg-type]
        {view: dict(columns) for view, columns in schema},
        dict(names),
    )


def run_query(
    platform: Platform,
    sql: str,
    build: str = "lakehouse",
    engine: str = "local",
    *,
    spark: SparkSession | None = None,
    database: str | None = None,
) -> QueryResult:
    """Answer one Athena SQL query on a build's gold tables with an engine.

    Parameters
    ----------
    platform
        The running environment (``goldmine.platform.connect``).
    sql
        One SELECT in Athena (Trino) SQL; unqualified table names resolve to the
        build's gold database(s).
    build
        ``lake``, ``lakehouse`` or ``mesh``.
    engine
        ``local`` (DuckDB), ``spark`` (Spark SQL; ``spark`` or a session built by
        ``goldmine.spark.build_session``), ``trino`` (the local Trino server, started
        on first use: the SQL runs as written) or ``athena`` (``aws`` environment).
    database
        Resolve unqualified names in this Glue database instead of the build's.

    Returns
    -------
    QueryResult
        The answer as a pandas DataFrame, the plan, the wall time and, on Athena, the
        bytes scanned and their cost.
    """
    plan = plan_query(platform, sql, build, engine, database=database)
    started = time.perf_counter()
    if engine == "trino":
        from goldmine.query._run_trino import run_trino

        frame = run_trino(platform, plan.engine_sql)
        return QueryResult(frame, plan, time.perf_counter() - started)
    if engine != "athena":
        frame = _run_offline(platform, plan, spark)
        return QueryResult(frame, plan, time.perf_counter() - started)
    from goldmine.query._resolve_tables import build_databases
    from goldmine.query._run_athena import run_athena

    context = database or build_databases(platform.settings, build)[0]
    run = run_athena(platform, plan.engine_sql, context, architecture=build)
    return QueryResult(
        run.frame,
        plan,
        time.perf_counter() - started,
        bytes_scanned=run.bytes_scanned,
        cost_usd=run.cost_usd,
        query_id=run.query_id,
    )


def _run_offline(platform: Platform, plan: QueryPlan, spark: SparkSession | None) -> pd.DataFrame:
    """Run a planned query on the local (DuckDB) or Spark engine."""
    if plan.engine == "local":
        from goldmine.query._run_local import run_duckdb

        return run_duckdb(plan.engine_sql, plan.tables, platform.aws).to_pandas()
    from goldmine.query._run_spark import run_spark

    if spark is None:
        from goldmine.spark import build_session

        spark = build_session(platform.aws, app_name="goldmine-query")
    return run_spark(spark, plan.engine_sql, plan.tables)


def explain_query(
    platform: Platform,
    sql: str,
    build: str = "lakehouse",
    engine: str = "local",
    *,
    database: str | None = None,
) -> QueryResult:
    """Plan ``sql`` and list the files and partitions of every table it reads (no run).

    On ``trino`` the result carries Trino's own plan (``engine_plan``) instead of the
    file listing: Trino decides what it reads.
    """
    import pandas as pd

    from goldmine.query._read_tables import list_table_files

    plan = plan_query(platform, sql, build, engine, database=database)
    if engine == "trino":
        from goldmine.query._run_trino import explain_trino

        return QueryResult(
            pd.DataFrame(), plan, 0.0, engine_plan=explain_trino(platform, plan.engine_sql)
        )
    files = {t.qualified_name: list_table_files(t, platform.aws) for t in plan.tables}
    return QueryResult(pd.DataFrame(), plan, 0.0, files=files)


def _qualified_for_athena(
    query: exp.Query,
    names: dict[tuple[str | None, str], str],
    tables: dict[str, ResolvedTable],
) -> str:
    """Return the analyst's SQL with each table named ``database.table`` as resolved."""
    tree = query.copy()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for node in list(tree.find_all(exp.Table)):
        db = node.db.lower() if node.db else None
        if db is None and node.name.lower() in ctes:
            continue
        view = names.get((db, node.name.lower()))
        if view is None:
            continue
        table = tables[view]
        node.set("db", exp.to_identifier(table.database))
        node.set("this", exp.to_identifier(table.name))
        if not node.alias:
            node.set("alias", exp.TableAlias(this=exp.to_identifier(table.name)))
    return tree.sql(dialect="athena")
