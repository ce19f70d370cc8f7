"""The one Spark session factory: every session of the platform is built here."""

from goldmine.spark._session import SparkSetupError, build_session, spark_conf

__all__ = ["SparkSetupError", "build_session", "spark_conf"]
