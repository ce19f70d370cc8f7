"""Parse analyst SQL (Athena / Trino dialect) and refuse anything that is not one SELECT."""

from __future__ import annotations

from sqlglot import exp, parse
from sqlglot.errors import ParseError, TokenError

from goldmine.query._errors import RefusedQuery

#: Nodes that change data or the catalog; refused even when nested in a SELECT.
_WRITES: tuple[type[exp.Expr], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
)


def parse_select(sql: str) -> exp.Query:
    """Parse ``sql`` as one read-only query in Athena SQL.

    Raises
    ------
    RefusedQuery
        For malformed SQL, an empty text, several statements, or any statement that is
        not a SELECT (DROP, INSERT, CREATE, ...). Nothing is executed.
    """
    try:
        statements = [s for s in parse(sql, read="athena") if s is not None]
    except (ParseError, TokenError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RefusedQuery(f"malformed SQL: {first}") from None
    if not statements:
        raise RefusedQuery("empty query: expected one SELECT statement")
    if len(statements) > 1:
        raise RefusedQuery(
            f"{len(statements)} statements given: only one SELECT is allowed per query"
        )
    statement = statements[0]
    for node in statement.walk():
        if isinstance(node, _WRITES):
            raise RefusedQuery(
                f"only SELECT queries are allowed, got {_statement_kind(node)}; nothing was run"
            )
    if not isinstance(statement, exp.Query):
        raise RefusedQuery(
            f"only SELECT queries are allowed, got {_statement_kind(statement)}; nothing was run"
        )
    return statement


def table_references(query: exp.Query) -> list[tuple[str | None, str]]:
    """Return the ``(database, table)`` pairs ``query`` reads, CTE names excluded, in order."""
    ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    seen: list[tuple[str | None, str]] = []
    for table in query.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func):
            continue
        db = table.db or None
        if db is None and table.name.lower() in ctes:
            continue
        ref = (db.lower() if db else None, table.name.lower())
        if ref not in seen:
            seen.append(ref)
    return seen


def _statement_kind(node: exp.Expr) -> str:
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    kind = node.args.get("kind")
    name = type(node).__name__.upper()
    return f"{name} {kind}".strip() if isinstance(kind, str) else name
