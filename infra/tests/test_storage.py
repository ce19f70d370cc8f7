from __future__ import annotations

from aws_cdk.assertions import Match


def _bucket(synth, name):
    (found,) = [
        r
        for r in synth.resources("storage", "AWS::S3::Bucket").values()
        if r["Properties"]["BucketName"] == name
    ]
    return found["Properties"]


def test_every_bucket_of_the_settings_exists(synth):
    names = {
        r["Properties"]["BucketName"]
        for r in synth.resources("storage", "AWS::S3::Bucket").values()
    }
    assert names == set(synth.settings.buckets.all().values())
    assert len(names) == 8 + len(synth.settings.buckets.mesh)


def test_data_buckets_use_sse_kms_and_the_log_bucket_sse_s3(synth):
    logs = synth.settings.buckets.access_logs
    for name in synth.settings.buckets.all().values():
        rule = _bucket(synth, name)["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        algorithm = rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"]
        if name == logs:
            assert algorithm == "AES256"  # S3 log delivery does not support SSE-KMS targets
        else:
            assert algorithm == "aws:kms"
            assert "KMSMasterKeyID" in rule["ServerSideEncryptionByDefault"]
            assert rule["BucketKeyEnabled"] is True


def test_public_access_is_blocked_everywhere(synth):
    synth.template("storage").all_resources_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
        },
    )


def test_every_bucket_policy_denies_plain_http(synth):
    policies = synth.resources("storage", "AWS::S3::BucketPolicy")
    assert len(policies) == len(synth.settings.buckets.all())
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny"
            and s["Action"] == "s3:*"
            and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )


def test_irreplaceable_data_is_versioned(synth):
    b = synth.settings.buckets
    for name in [b.landing, b.raw, *b.mesh.values()]:
        assert _bucket(synth, name)["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "VersioningConfiguration" not in _bucket(synth, b.athena_results)


def test_lifecycle_raw_to_ia_and_results_expire(synth):
    b = synth.settings.buckets
    raw_rules = _bucket(synth, b.raw)["LifecycleConfiguration"]["Rules"]
    assert {"StorageClass": "STANDARD_IA", "TransitionInDays": 30} in [
        t for r in raw_rules for t in r.get("Transitions", [])
    ]
    results = _bucket(synth, b.athena_results)["LifecycleConfiguration"]["Rules"]
    assert any(r.get("ExpirationInDays") == 30 for r in results)


def test_data_buckets_log_to_the_access_log_bucket(synth):
    b = synth.settings.buckets
    for role, name in b.all().items():
        if role == "access_logs":
            continue
        logging = _bucket(synth, name)["LoggingConfiguration"]
        assert logging["LogFilePrefix"] == f"{name}/"
        assert "Ref" in logging["DestinationBucketName"]


def test_landing_sends_events_to_eventbridge(synth):
    props = _bucket(synth, synth.settings.buckets.landing)
    assert props["NotificationConfiguration"] == {
        "EventBridgeConfiguration": {"EventBridgeEnabled": True}
    }


def test_kms_key_rotates(synth):
    synth.template("storage").has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    synth.template("storage").has_resource("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
    assert Match  # imported for readers: assertions use aws_cdk.assertions


def test_dynamodb_tables_are_on_demand_with_pitr_ttl_and_the_keys_the_code_uses(synth):
    s = synth.settings
    template = synth.template("storage")
    template.resource_count_is("AWS::DynamoDB::Table", 2)
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "TableName": s.delta_log_table,
                # the layout Delta's S3DynamoDBLogStore and io.goldmine.delta.DynamoDBLogStore use
                "KeySchema": [
                    {"AttributeName": "tablePath", "KeyType": "HASH"},
                    {"AttributeName": "fileName", "KeyType": "RANGE"},
                ],
                "AttributeDefinitions": [
                    {"AttributeName": "tablePath", "AttributeType": "S"},
                    {"AttributeName": "fileName", "AttributeType": "S"},
                ],
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "TimeToLiveSpecification": {"AttributeName": "expireTime", "Enabled": True},
            },
            "DeletionPolicy": "Retain",
        },
    )
    template.has_resource(
        "AWS::DynamoDB::Table",
        {
            "Properties": {
                "TableName": s.lease_table,
                "KeySchema": [{"AttributeName": "lease", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "TimeToLiveSpecification": Match.absent(),
            },
            "DeletionPolicy": "Retain",
        },
    )
    for table in synth.resources("storage", "AWS::DynamoDB::Table").values():
        tags = {t["Key"]: t["Value"] for t in table["Properties"]["Tags"]}
        assert tags["project"] == s.project and tags["environment"] == "aws"
        assert tags["domain"] == "platform"
