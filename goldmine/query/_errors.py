"""The errors of the query path: each one is one clear line for the analyst."""

from __future__ import annotations


class QueryError(ValueError):
    """A query that the platform refuses or cannot answer; nothing was changed."""


class RefusedQuery(QueryError):  # noqa: N818 (named for what the analyst reads)
    """Not a single read-only SELECT (DROP, INSERT, several statements), or not valid SQL."""


class UntranslatableQuery(QueryError):  # noqa: N818 (named for what the analyst reads)
    """A construct the engine cannot run with Athena's meaning; the message names it."""


class UnknownTable(QueryError):  # noqa: N818 (named for what the analyst reads)
    """A table that is not in the catalog of the chosen build."""
