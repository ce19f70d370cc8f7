"""Unit tests: pure rules on a bare local Spark session, no local services (issue 18).

The rules under test read and write no storage, so their session needs no S3 store,
no AWS endpoint and no Delta: ``make unit`` starts none of them. When the integration
tests run first in the same process (``make test``), their session is reused instead
of starting a second JVM. Either way the unit tests run with the runtime settings of
a small build (``goldmine.spark.sized_execution``: interpreted, one shuffle partition
per 128 MiB), which is what the rules run under in a build of this size.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: The settings of a bare session: the platform's time zone and a small machine's size.
BARE_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
}


@pytest.fixture(scope="package")
def spark() -> Iterator[SparkSession]:
    """A running session, else a bare ``local[2]`` one stopped after the unit tests."""
    from pyspark.sql import SparkSession

    from goldmine.spark import sized_execution

    active = SparkSession.getActiveSession()
    session = active or _bare_session()
    with sized_execution(session, 0, 2):
        yield session
    if active is None:
        session.stop()


def _bare_session() -> SparkSession:
    from pyspark.sql import SparkSession

    from goldmine.spark import LEAN_JIT, import_hot_classes

    builder = SparkSession.builder.master("local[2]").appName("goldmine-unit-tests")
    builder = builder.config("spark.driver.extraJavaOptions", " ".join(LEAN_JIT))
    for key, value in BARE_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    import_hot_classes(session)  # as build_session does (ADR 0043)
    return session
