"""The analyst query path: Athena SQL on the gold tables, in AWS and offline.

``run_query(platform, sql, build, engine)`` resolves the tables through the Glue
catalog and answers with one of three engines: ``athena`` (AWS), ``local`` (DuckDB
over delta-rs / pyarrow datasets, the SQL translated by sqlglot with the rules of
``_translate``) and ``spark``. Anything but one SELECT is refused before it runs.
Within a process the local engine keeps each table's data (``TABLE_CACHE``) while its
Delta log or Parquet listing is unchanged, and each query's translation.
"""

from goldmine.query._cache_tables import TABLE_CACHE, TableCache
from goldmine.query._errors import QueryError, RefusedQuery, UnknownTable, UntranslatableQuery
from goldmine.query._parse_query import parse_select, table_references
from goldmine.query._read_tables import TableFiles, list_table_files, read_dataset, s3_filesystem
from goldmine.query._resolve_tables import BUILDS, ResolvedTable, build_databases, resolve_table
from goldmine.query._run_athena import athena_cost_usd
from goldmine.query._run_query import (
    ENGINES,
    QueryPlan,
    QueryResult,
    explain_query,
    plan_query,
    run_query,
)
from goldmine.query._standard_queries import (
    STANDARD_QUERIES_DIR,
    StandardQuery,
    load_standard_queries,
    run_standard_queries,
)
from goldmine.query._translate import joda_to_strftime, translate, translate_query

__all__ = [
    "BUILDS",
    "ENGINES",
    "STANDARD_QUERIES_DIR",
    "TABLE_CACHE",
    "QueryError",
    "QueryPlan",
    "QueryResult",
    "RefusedQuery",
    "ResolvedTable",
    "StandardQuery",
    "TableCache",
    "TableFiles",
    "UnknownTable",
    "UntranslatableQuery",
    "athena_cost_usd",
    "build_databases",
    "explain_query",
    "joda_to_strftime",
    "list_table_files",
    "load_standard_queries",
    "parse_select",
    "plan_query",
    "read_dataset",
    "resolve_table",
    "run_query",
    "run_standard_queries",
    "s3_filesystem",
    "table_references",
    "translate",
    "translate_query",
]
