"""The one Spark session factory: every session of the platform is built here."""

from goldmine.spark._driver_jvm import (
    DUMP_OPTION,
    LEAN_JIT,
    QUICK_JIT,
    class_archive,
    driver_java_options,
    dumped_archive,
    dumping_path,
    end_session,
    finish_session,
    install_finished_dumps,
    jit_options,
    stop_and_wait,
)
from goldmine.spark._local_frames import empty_frame, local_frame
from goldmine.spark._observe import OBSERVATION_WAIT_S, observation_made, observed_metrics
from goldmine.spark._on_demand import SessionOnDemand, session_of
from goldmine.spark._own_session import (
    active_session,
    copy_session,
    own_session,
    run_in_own_sessions,
)
from goldmine.spark._route_buckets import route_buckets
from goldmine.spark._run_concurrently import CONCURRENT_CALLS, run_concurrently
from goldmine.spark._session import (
    HOT_CLASSES,
    LOG_STORE_CLASS,
    SparkSetupError,
    build_session,
    import_hot_classes,
    local_jars,
    log_store_conf,
    s3a_retry_conf,
    spark_conf,
)
from goldmine.spark._session_conf import session_conf
from goldmine.spark._size_execution import (
    BYTES_PER_PARTITION,
    INTERPRETED_MAX_BYTES,
    PARQUET_DENSITY,
    execution_conf,
    parquet_source_bytes,
    shuffle_partitions,
    sized_execution,
    small_landing,
)
from goldmine.spark._union import union_by_name

__all__ = [
    "BYTES_PER_PARTITION",
    "CONCURRENT_CALLS",
    "DUMP_OPTION",
    "HOT_CLASSES",
    "INTERPRETED_MAX_BYTES",
    "LEAN_JIT",
    "LOG_STORE_CLASS",
    "OBSERVATION_WAIT_S",
    "PARQUET_DENSITY",
    "QUICK_JIT",
    "SessionOnDemand",
    "SparkSetupError",
    "active_session",
    "build_session",
    "class_archive",
    "copy_session",
    "driver_java_options",
    "dumped_archive",
    "dumping_path",
    "empty_frame",
    "end_session",
    "execution_conf",
    "finish_session",
    "import_hot_classes",
    "install_finished_dumps",
    "jit_options",
    "local_frame",
    "local_jars",
    "log_store_conf",
    "observation_made",
    "observed_metrics",
    "own_session",
    "parquet_source_bytes",
    "route_buckets",
    "run_concurrently",
    "run_in_own_sessions",
    "s3a_retry_conf",
    "session_conf",
    "session_of",
    "shuffle_partitions",
    "sized_execution",
    "small_landing",
    "spark_conf",
    "stop_and_wait",
    "union_by_name",
]
