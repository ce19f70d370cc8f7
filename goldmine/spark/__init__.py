"""The one Spark session factory: every session of the platform is built here."""

from goldmine.spark._observe import OBSERVATION_WAIT_S, observed_metrics
from goldmine.spark._session import SparkSetupError, build_session, spark_conf

__all__ = [
    "OBSERVATION_WAIT_S",
    "SparkSetupError",
    "build_session",
    "observed_metrics",
    "spark_conf",
]
