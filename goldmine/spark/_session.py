"""Build Spark sessions with Delta and S3 for the local and aws environments.

Locally, ``s3://`` is served by Hadoop's S3A filesystem pointed at the local store
(path-style, local credentials), so paths, Glue locations and code are the same as on
EMR, where ``s3://`` is EMRFS. JARs come from the project-local cache that Maven fills
(``make jars``); nothing is resolved with ``spark.jars.packages`` at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from goldmine.aws import S3_MAX_ATTEMPTS, AwsClients
from goldmine.spark._driver_jvm import (
    ARCHIVE_DIR,
    archive_folder_writable,
    driver_java_options,
    install_finished_dumps,
    jit_options,
    watch_archive_dump,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.settings import Settings

_DELTA_EXTENSION = "io.delta.sql.DeltaSparkSessionExtension"
_LOG4J = Path(__file__).with_name("log4j2.properties")
_REQUIRED_JARS = (
    "delta-spark_2.12",
    "delta-storage",
    "hadoop-aws",
    "aws-java-sdk-bundle",
    "goldmine-delta-logstore",
)
#: The Delta LogStore of every s3:// table: commits claimed in DynamoDB (ADR 0023).
LOG_STORE_CLASS = "io.goldmine.delta.DynamoDBLogStore"
_LOG_STORE_CONF = "spark.io.delta.storage.S3DynamoDBLogStore"


class SparkSetupError(RuntimeError):
    """A Spark session cannot be built as asked; the message says what to do."""


def spark_conf(
    aws: AwsClients,
    *,
    master: str | None = None,
    app_name: str = "goldmine",
    dump_class_archive: bool = False,
    quick_jit: bool = False,
) -> dict[str, str]:
    """Return the Spark configuration for ``aws``'s environment (pure; no JVM).

    Parameters
    ----------
    aws
        Clients of the environment; local endpoints switch on S3A to the local store.
    master
        Spark master URL; ``settings.spark_master`` when ``None``.
    app_name
        The application name shown in the Spark UI and logs.
    dump_class_archive
        Locally, when the driver finds no class-data archive, it dumps one as it exits
        (``goldmine.spark.finish_session`` installs it; ADR 0031).
    quick_jit
        Locally, the application's life is one small build or the demo (a build
        command's process, a job, the demo): its driver and executors run C1 alone
        instead of the lean JIT (ADR 0038; ``goldmine.spark.small_landing``).
    """
    settings = aws.settings
    conf = {
        "spark.app.name": app_name,
        "spark.sql.extensions": _DELTA_EXTENSION,
        "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(settings.spark_shuffle_partitions),
        "spark.sql.sources.partitionOverwriteMode": "dynamic",
        "spark.sql.parquet.compression.codec": "snappy",
        "spark.databricks.delta.schema.autoMerge.enabled": "false",
        # Delta rebuilds a table's state with 50 tasks by default; follow the shuffle size.
        "spark.databricks.delta.snapshotPartitions": str(settings.spark_shuffle_partitions),
        # Delta 3.3 copies a small table's whole file list into each commit's checksum
        # (.crc) by collecting the previous version's files: a Spark job per commit that
        # creates a table (its empty "version -1"), read by nothing here (ADR 0030).
        "spark.databricks.delta.allFilesInCrc.enabled": "false",
        # The builds keep frames on local disk (the parsed orders, bronze's lines) or
        # briefly; compressing the columnar cache gathered dictionary statistics per
        # column of every 10,000 rows (a hash map each), 17 % of the executors' CPU at
        # 1 M lines, to encode columns of mostly distinct values (ADR 0042).
        "spark.sql.inMemoryColumnarStorage.compressed": "false",
        **log_store_conf(aws),
    }
    if not aws.is_local:
        # EMR / EMR Serverless: EMRFS serves s3://, Delta JARs come with the release
        # (passed at submit time), and the Glue Data Catalog is the metastore.
        conf["spark.hadoop.hive.metastore.client.factory.class"] = (
            "com.amazonaws.glue.catalog.metastore.AWSGlueDataCatalogHiveClientFactory"
        )
        if master:
            conf["spark.master"] = master
        return conf
    scratch = settings.data_dir / "spark"
    jars = local_jars(settings)
    master = master or settings.spark_master
    if not master.startswith("local"):
        # Executors in JVMs of their own (the standalone cluster) fetch them from the
        # driver. In local mode the executor is the driver's JVM, whose class path has
        # them: ``spark.jars`` only made each session copy them (289 MB, ~0.5 s) into its
        # scratch directory (ADR 0045).
        conf["spark.jars"] = ",".join(str(p) for p in jars)
    conf.update(
        {
            "spark.master": master,
            # On the driver's class path, so the class-data archive can hold their classes.
            "spark.driver.extraClassPath": os.pathsep.join(str(p) for p in jars),
            "spark.driver.memory": settings.spark_driver_memory,
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.local.dir": str(scratch / "tmp"),
            "spark.sql.warehouse.dir": str(scratch / "warehouse"),
            "spark.jars.ivy": str(scratch / "ivy"),
            "spark.driver.extraJavaOptions": " ".join(
                [
                    *driver_java_options(
                        settings, jars, dump=dump_class_archive, quick_jit=quick_jit
                    ),
                    f"-Dderby.system.home={scratch / 'derby'}",
                    f"-Dlog4j2.configurationFile={_LOG4J}",
                    # the LogStore's DynamoDB credentials (SystemPropertiesCredentialsProvider)
                    f"-Daws.accessKeyId={settings.local_access_key}",
                    f"-Daws.secretKey={settings.local_secret_key}",
                ]
            ),
            # Executors of the local standalone cluster: short JVM lives too.
            "spark.executor.extraJavaOptions": " ".join(jit_options(settings, quick_jit=quick_jit)),
            "spark.hadoop.fs.s3.impl": "org.apache.hadoop.fs.s3a.S3AFileSystem",
            "spark.hadoop.fs.s3a.endpoint": str(aws.endpoints.s3),
            "spark.hadoop.fs.s3a.endpoint.region": settings.region,
            "spark.hadoop.fs.s3a.path.style.access": "true",
            "spark.hadoop.fs.s3a.connection.ssl.enabled": "false",
            "spark.hadoop.fs.s3a.access.key": settings.local_access_key,
            "spark.hadoop.fs.s3a.secret.key": settings.local_secret_key,
            "spark.hadoop.fs.s3a.aws.credentials.provider": (
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider"
            ),
            "spark.hadoop.fs.s3a.change.detection.mode": "none",
            "spark.hadoop.fs.s3a.directory.marker.retention": "keep",
            "spark.hadoop.fs.s3a.multiobjectdelete.enable": "false",
            "spark.hadoop.fs.s3a.committer.magic.enabled": "false",
            **s3a_retry_conf(),
        }
    )
    return conf


def s3a_retry_conf() -> dict[str, str]:
    """Return S3A's retry and connection settings (pure; ADR 0025).

    Two layers retry: the AWS SDK inside S3A (``fs.s3a.attempts.maximum`` retries per
    request, exponential backoff from 100 ms, 500 ms when throttled) and, once it gives
    up, S3A itself (``fs.s3a.retry.*``: transient failures such as a dropped connection
    or a 500; ``fs.s3a.retry.throttle.*``: 503 SlowDown, exponential backoff). Sized so
    the builds finish with 20% of S3 requests failing. A stalled connection fails after
    60 s instead of S3A's default 200 s. In ``aws`` EMRFS serves ``s3://`` and retries
    503s and dropped connections itself (``fs.s3.maxRetries``, 15 by default).
    """
    prefix = "spark.hadoop.fs.s3a"
    return {
        f"{prefix}.attempts.maximum": str(S3_MAX_ATTEMPTS),
        f"{prefix}.retry.limit": "7",
        f"{prefix}.retry.interval": "250ms",
        f"{prefix}.retry.throttle.limit": "20",
        f"{prefix}.retry.throttle.interval": "500ms",
        f"{prefix}.connection.establish.timeout": "5000",
        f"{prefix}.connection.timeout": "60000",
    }


def log_store_conf(aws: AwsClients) -> dict[str, str]:
    """Return the Spark conf of the multi-writer Delta LogStore (pure; ADR 0023).

    Every ``s3://`` (and ``s3a://``) Delta table commits through
    ``io.goldmine.delta.DynamoDBLogStore``, which claims each ``_delta_log/N.json`` with a
    conditional put in ``settings.delta_log_table``. Locally the claims go to the local API
    endpoint (``ddb.endpoint``) with the local credentials (passed as JVM system
    properties); in AWS to the region's DynamoDB with the default credentials chain.
    """
    settings = aws.settings
    conf = {
        "spark.delta.logStore.s3.impl": LOG_STORE_CLASS,
        "spark.delta.logStore.s3a.impl": LOG_STORE_CLASS,
        f"{_LOG_STORE_CONF}.ddb.tableName": settings.delta_log_table,
        f"{_LOG_STORE_CONF}.ddb.region": settings.region,
        f"{_LOG_STORE_CONF}.ddb.ttl": str(settings.delta_log_ttl_seconds),
    }
    if aws.endpoints.aws:
        conf[f"{_LOG_STORE_CONF}.ddb.endpoint"] = aws.endpoints.aws
        conf[f"{_LOG_STORE_CONF}.credentials.provider"] = (
            "com.amazonaws.auth.SystemPropertiesCredentialsProvider"
        )
    return conf


def build_session(
    aws: AwsClients,
    *,
    master: str | None = None,
    app_name: str = "goldmine",
    overrides: Mapping[str, str] | None = None,
    dump_class_archive: bool = False,
    quick_jit: bool = False,
) -> SparkSession:
    """Build (or return the already built) Spark session for ``aws``'s environment.

    Parameters
    ----------
    aws
        Clients of the environment (see :func:`spark_conf`).
    master
        Spark master URL; ``settings.spark_master`` when ``None``.
    app_name
        The application name shown in the Spark UI and logs.
    overrides
        Extra Spark conf set over :func:`spark_conf`'s, for a new session only (e.g. the
        default Delta LogStore in the race benchmark: ``{"spark.delta.logStore.s3.impl":
        ...}``); an already running session is returned as it is.
    dump_class_archive
        For a session whose life is a representative workload (the demo's): when no
        class-data archive exists locally, the driver dumps one as
        it exits; end the session with ``goldmine.spark.finish_session`` (or let the
        process exit) to install it (ADR 0031).
    quick_jit
        For a process whose life is one small build or the demo (the build commands
        and the demo, when :func:`goldmine.spark.small_landing`): the local driver runs
        C1 alone instead of the lean JIT (ADR 0038).

    Raises
    ------
    SparkSetupError
        When a JAR is missing, or a session without Delta already runs in this process
        (Delta would otherwise fail later with DATA_SOURCE_NOT_FOUND).
    """
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if _DELTA_EXTENSION not in (active.conf.get("spark.sql.extensions", "") or ""):
            raise SparkSetupError(
                "a Spark session without Delta already runs in this process; "
                "build every session through goldmine.spark.build_session"
            )
        return active
    if aws.is_local:  # an archive a driver finished dumping after its caller left
        install_finished_dumps(aws.settings.jar_dir / ARCHIVE_DIR)
    if dump_class_archive and aws.is_local:
        # the JVM refuses to start when it cannot create the file it will dump to
        dump_class_archive = archive_folder_writable(aws.settings)
    conf = {
        **spark_conf(
            aws,
            master=master,
            app_name=app_name,
            dump_class_archive=dump_class_archive,
            quick_jit=quick_jit,
        ),
        **(overrides or {}),
    }
    if aws.is_local:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        for key in ("spark.local.dir",):
            os.makedirs(conf[key], exist_ok=True)
    builder = SparkSession.builder
    for key, value in conf.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    import_hot_classes(session)
    if dump_class_archive:  # only then can the driver be dumping (a conf read otherwise)
        watch_archive_dump(session)
    return session


#: The JVM classes PySpark names without their package on every call (``_jvm.functions``
#: for each ``pyspark.sql.functions`` call, ``_jvm.PythonUtils`` for each column list).
HOT_CLASSES = (
    "org.apache.spark.sql.functions",
    "org.apache.spark.sql.SparkSession",
    "org.apache.spark.api.python.PythonUtils",
    "org.apache.spark.api.python.SerDeUtil",
    "org.apache.spark.sql.api.python.PythonSQLUtils",
)


def import_hot_classes(session: SparkSession) -> None:
    """Import :data:`HOT_CLASSES` by name into the session's py4j JVM view (ADR 0043).

    py4j resolves a short name (``functions``) by trying ``java.lang`` and each package
    PySpark star-imports in turn; each miss is a class lookup that walks every JAR of
    the driver's class path (~250). A week's build names ``functions`` ~2,000 times: six
    misses each. A single import is tried first and found among the loaded classes.
    """
    from py4j.java_gateway import java_import

    for name in HOT_CLASSES:
        java_import(session.sparkContext._jvm, name)


def local_jars(settings: Settings) -> list[os.PathLike[str]]:
    """Return the JARs of the local driver (``make jars``); raise if one is missing."""
    jar_dir = settings.jar_dir / "spark"
    jars = sorted(jar_dir.glob("*.jar"))
    missing = [name for name in _REQUIRED_JARS if not any(p.name.startswith(name) for p in jars)]
    if missing:
        raise SparkSetupError(
            f"Spark JARs missing in {jar_dir} ({', '.join(missing)}): run `make jars`"
        )
    return list(jars)
