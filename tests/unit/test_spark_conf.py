import os
import re
from importlib.metadata import version
from pathlib import Path

import pytest

from goldmine.aws import S3_MAX_ATTEMPTS, AwsClients
from goldmine.settings import Endpoints, load_settings
from goldmine.spark import SparkSetupError, spark_conf

REPO = Path(__file__).resolve().parents[2]


def test_local_conf_points_s3_at_the_local_store_with_cached_jars(tmp_path: Path):
    jar_dir = tmp_path / "jars"
    (jar_dir / "spark").mkdir(parents=True)
    names = [
        "delta-spark_2.12-3.3.3.jar",
        "delta-storage-3.3.3.jar",
        "hadoop-aws-3.3.4.jar",
        "aws-java-sdk-bundle-1.12.262.jar",
        "goldmine-delta-logstore-1.jar",
    ]
    for name in names:
        (jar_dir / "spark" / name).write_bytes(b"")
    settings = load_settings(data_dir=tmp_path / "data", jar_dir=jar_dir)
    aws = AwsClients(settings, Endpoints(s3="http://127.0.0.1:9000", aws="http://127.0.0.1:9001"))
    conf = spark_conf(aws, master="local[2]")
    assert conf["spark.master"] == "local[2]"
    assert conf["spark.hadoop.fs.s3.impl"] == "org.apache.hadoop.fs.s3a.S3AFileSystem"
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    driver = conf["spark.driver.extraClassPath"].split(os.pathsep)
    assert sorted(Path(p).name for p in driver) == sorted(names)
    # the local executor is the driver's JVM: nothing to ship (ADR 0045); a cluster's are not
    assert "spark.jars" not in conf
    cluster = spark_conf(aws, master="spark://127.0.0.1:7077")["spark.jars"].split(",")
    assert sorted(Path(p).name for p in cluster) == sorted(names)
    assert "spark.jars.packages" not in conf
    assert conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    # kept frames are cached without the columnar cache's compression (ADR 0042)
    assert conf["spark.sql.inMemoryColumnarStorage.compressed"] == "false"
    # S3A retries (ADR 0025): the SDK's attempts are the platform's one figure
    assert conf["spark.hadoop.fs.s3a.attempts.maximum"] == str(S3_MAX_ATTEMPTS) == "10"
    assert conf["spark.hadoop.fs.s3a.retry.throttle.limit"] == "20"
    assert conf["spark.hadoop.fs.s3a.connection.timeout"] == "60000"


def test_aws_conf_uses_emrfs_and_no_local_jars():
    settings = load_settings(environment="aws")
    conf = spark_conf(AwsClients(settings))
    assert "spark.jars" not in conf
    assert conf["spark.sql.inMemoryColumnarStorage.compressed"] == "false"  # ADR 0042
    assert not any(key.startswith("spark.hadoop.fs.s3") for key in conf)
    assert conf["spark.sql.catalog.spark_catalog"] == (
        "org.apache.spark.sql.delta.catalog.DeltaCatalog"
    )
    assert (
        "AWSGlueDataCatalogHiveClientFactory"
        in conf["spark.hadoop.hive.metastore.client.factory.class"]
    )


def test_missing_jars_fail_with_the_command_to_fetch_them(tmp_path: Path):
    settings = load_settings(data_dir=tmp_path, jar_dir=tmp_path / "nojars")
    aws = AwsClients(settings, Endpoints(s3="http://127.0.0.1:9000"))
    with pytest.raises(SparkSetupError, match="make jars"):
        spark_conf(aws)


def test_jar_pins_match_the_python_packages():
    pom = (REPO / "jars" / "pom.xml").read_text()
    delta = re.search(r"<delta.version>([^<]+)</delta.version>", pom)
    hadoop = re.search(r"<hadoop.version>([^<]+)</hadoop.version>", pom)
    assert delta and delta.group(1) == version("delta-spark")
    import pyspark

    shipped = {p.name for p in (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*")}
    assert hadoop and shipped == {f"hadoop-client-api-{hadoop.group(1)}.jar"}


def test_every_delta_table_commits_through_the_dynamodb_log_store_in_both_environments():
    from goldmine.spark import LOG_STORE_CLASS, log_store_conf

    prefix = "spark.io.delta.storage.S3DynamoDBLogStore"
    local = load_settings()
    aws_settings = load_settings(environment="aws")
    in_aws = spark_conf(AwsClients(aws_settings))
    assert in_aws["spark.delta.logStore.s3.impl"] == LOG_STORE_CLASS
    assert in_aws["spark.delta.logStore.s3a.impl"] == LOG_STORE_CLASS
    assert in_aws[f"{prefix}.ddb.tableName"] == "goldmine-aws-delta-log"
    assert f"{prefix}.ddb.endpoint" not in in_aws  # the region's DynamoDB, default credentials
    assert f"{prefix}.credentials.provider" not in in_aws
    here = log_store_conf(
        AwsClients(local, Endpoints(s3="http://127.0.0.1:1", aws="http://127.0.0.1:2"))
    )
    assert here[f"{prefix}.ddb.tableName"] == "goldmine-local-delta-log"
    assert here[f"{prefix}.ddb.endpoint"] == "http://127.0.0.1:2"  # the local API endpoint
    assert here[f"{prefix}.credentials.provider"] == (
        "com.amazonaws.auth.SystemPropertiesCredentialsProvider"
    )


def test_shuffle_partitions_fill_every_core_once_the_source_needs_more_than_one() -> None:
    from goldmine.spark import BYTES_PER_PARTITION, execution_conf, shuffle_partitions

    three = 3 * BYTES_PER_PARTITION - 1  # 1 M order lines are about this much
    assert [shuffle_partitions(n, 8, cores=2) for n in (1, three, 5 * BYTES_PER_PARTITION)] == [
        1,  # a small build keeps one partition: no shuffle fans out
        4,  # not 3: two waves on two cores, the second on one core
        6,
    ]
    assert shuffle_partitions(three, 8) == 3  # one core: the data decides alone
    assert shuffle_partitions(40 * BYTES_PER_PARTITION, 32, cores=6) == 32  # never over ``most``
    assert shuffle_partitions(None, 8, cores=3) == 8
    assert execution_conf(three, 8, cores=2)["spark.sql.shuffle.partitions"] == "4"


def test_a_landing_is_small_up_to_the_interpreted_build_size() -> None:
    import boto3
    from botocore.stub import Stubber

    from goldmine.spark import INTERPRETED_MAX_BYTES, small_landing

    s3 = boto3.client(
        "s3", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    half = INTERPRETED_MAX_BYTES // 2
    pages = {  # one listing per call: pages of the landing bucket
        "small": [[half, 10], [half - 10]],
        "large": [[half, half], [1], [INTERPRETED_MAX_BYTES]],
    }
    with Stubber(s3) as stub:
        for sizes in pages.values():
            for number, page in enumerate(sizes):
                last = number == len(sizes) - 1
                response = {
                    "Contents": [{"Key": f"k{number}-{i}", "Size": n} for i, n in enumerate(page)],
                    "IsTruncated": not last,
                    **({} if last else {"NextContinuationToken": f"t{number}"}),
                }
                if sizes is pages["large"] and number == 2:
                    break  # over the size after the second page: the rest is not listed
                stub.add_response("list_objects_v2", response)
        assert small_landing(s3, "landing") is True
        assert small_landing(s3, "landing") is False
        stub.assert_no_pending_responses()
