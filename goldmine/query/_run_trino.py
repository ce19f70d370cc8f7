"""The Trino engine: the analyst's SQL as written, on the local Trino server.

Athena engine v3 is Trino, so nothing is translated: table names are qualified with the
resolved Glue database (as for Athena) and the query runs in the ``awsdatacatalog``
catalog, whose Hive connector hands Delta tables to the Delta Lake connector. The
server is started on first use (``goldmine.local.ensure_trino``) and kept running
until ``goldmine local down``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from goldmine.query._errors import QueryError

if TYPE_CHECKING:
    import pandas as pd

    from goldmine.platform import Platform


def run_trino(platform: Platform, sql: str) -> pd.DataFrame:
    """Run ``sql`` on the local Trino server and return its rows.

    Values keep Trino's types as Python objects (``Decimal``, ``date``, ``datetime``,
    ``int``, ``float``, ``str``); the columns are named as Trino names them
    (``_col0``... for unaliased expressions).

    Raises
    ------
    QueryError
        With Trino's message when it refuses or fails the query.
    """
    import pandas as pd

    names, rows = _execute(platform, sql)
    return pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(columns=names)


def explain_trino(platform: Platform, sql: str) -> str:
    """Return Trino's distributed plan of ``sql`` (``EXPLAIN``; nothing runs)."""
    _, rows = _execute(platform, f"EXPLAIN {sql}")
    return "\n".join(str(row[0]) for row in rows)


#: How long a query is retried while Trino has no node for it (``NO_NODES_AVAILABLE``):
#: a server that has just started sees its own node with its catalogs a few seconds
#: after it says it has started.
NO_NODES_RETRY_S = 30.0


def _execute(platform: Platform, sql: str) -> tuple[list[str], list[list[Any]]]:
    from trino.exceptions import TrinoQueryError

    connection = _connect(platform)
    deadline = time.monotonic() + NO_NODES_RETRY_S
    while True:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            rows = cursor.fetchall()
        except TrinoQueryError as exc:
            if exc.error_name == "NO_NODES_AVAILABLE" and time.monotonic() < deadline:
                time.sleep(0.5)
                continue
            raise QueryError(f"Trino refused the query: {exc.error_name}: {exc.message}") from None
        finally:
            cursor.close()
        return [column[0] for column in cursor.description or ()], rows


def _connect(platform: Platform) -> Any:
    """Return a connection to the local Trino server, started when not running."""
    import trino

    from goldmine.local import TRINO_CATALOG, ensure_trino

    if not platform.settings.is_local:
        raise QueryError(
            "--engine trino runs on the local services; in the aws environment use athena"
        )
    url = ensure_trino(platform.settings, platform.aws.endpoints)
    return trino.dbapi.connect(
        host="127.0.0.1",
        port=int(url.rsplit(":", 1)[1]),
        user="goldmine",
        catalog=TRINO_CATALOG,
        http_scheme="http",
        timezone="UTC",  # Athena's session time zone
        legacy_primitive_types=False,
    )
