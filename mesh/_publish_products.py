"""Publish several products: each after those it is built from, the ready ones at once."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from goldmine.spark import SessionOnDemand, run_in_own_sessions
from mesh._publish import built_from

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

R = TypeVar("R")
#: A session, or one started on demand (then each publish's own session is too).
S = TypeVar("S", "SparkSession", SessionOnDemand)

#: Publishes run at once: a publish is mostly driver work (planning, Delta's log, S3
#: and Glue round trips) that leaves part of a 2-core machine idle (ADR 0034).
PUBLISH_AT_ONCE = 2


def publish_products(
    spark: S,
    product_ids: Sequence[str],
    publish: Callable[[S, str], R],
    *,
    at_once: bool = True,
) -> dict[str, R]:
    """Call ``publish(session, product_id)`` for each product; return the results by id.

    Each product is published after the products it is built from (its contract's
    ``inputProducts`` among ``product_ids``: :func:`mesh.built_from`). With ``at_once``
    the products whose inputs are published run :data:`PUBLISH_AT_ONCE` at a time, each
    on a Spark session of its own (``goldmine.spark.own_session``: its own SQL
    configuration and temporary views); else one after the other on ``spark``. A
    publish that raises starts none of those after it; its error is raised once the
    running ones ended (``goldmine.spark.run_in_own_sessions``). Given a
    :class:`goldmine.spark.SessionOnDemand`, a publish that skips (its inputs unchanged)
    starts no Spark.
    """
    return run_in_own_sessions(
        spark,
        {p: functools.partial(_publish, publish, p) for p in product_ids},
        workers=PUBLISH_AT_ONCE if at_once else 1,
        after=built_from(product_ids),
    )


def _publish(publish: Callable[[S, str], R], product_id: str, session: S) -> R:
    return publish(session, product_id)
