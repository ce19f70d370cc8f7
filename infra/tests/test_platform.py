from __future__ import annotations

import json

from aws_cdk.assertions import Match
from goldmine_infra import database_keys
from goldmine_infra._query import BYTES_SCANNED_CUTOFF

from goldmine.settings import DOMAINS


def test_glue_databases_are_named_by_settings(synth):
    names = {
        r["Properties"]["DatabaseInput"]["Name"]
        for r in synth.resources("catalog", "AWS::Glue::Database").values()
    }
    assert names == {synth.settings.database(k) for k in database_keys()}
    assert synth.settings.database("mesh_sales") in names


def test_workgroups_enforce_encrypted_capped_configuration(synth):
    workgroups = synth.resources("query", "AWS::Athena::WorkGroup")
    names = {w["Properties"]["Name"] for w in workgroups.values()}
    assert synth.settings.athena_workgroup in names
    assert len(names) == 1 + len(DOMAINS)
    synth.template("query").all_resources_properties(
        "AWS::Athena::WorkGroup",
        {
            "WorkGroupConfiguration": Match.object_like(
                {
                    "EnforceWorkGroupConfiguration": True,
                    "BytesScannedCutoffPerQuery": BYTES_SCANNED_CUTOFF,
                    "ResultConfiguration": {
                        "OutputLocation": Match.any_value(),
                        "EncryptionConfiguration": {
                            "EncryptionOption": "SSE_KMS",
                            "KmsKey": Match.any_value(),
                        },
                    },
                }
            )
        },
    )


def test_emr_serverless_application_stops_when_idle(synth):
    synth.template("processing").has_resource_properties(
        "AWS::EMRServerless::Application",
        {
            "ReleaseLabel": synth.settings.emr_release_label,
            "Type": "SPARK",
            "AutoStopConfiguration": {"Enabled": True, "IdleTimeoutMinutes": 15},
            "AutoStartConfiguration": {"Enabled": True},
        },
    )


def test_job_roles_are_assumed_by_emr_serverless(synth):
    roles = synth.resources("processing", "AWS::IAM::Role")
    assert len(roles) == 3
    for role in roles.values():
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": "emr-serverless.amazonaws.com"}


def test_alarms_on_failed_jobs(synth):
    t = synth.template("monitoring")
    t.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "Namespace": "AWS/EMRServerless",
            "MetricName": "FailedJobs",
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
            "AlarmActions": Match.any_value(),
        },
    )
    failed_machines = [
        a
        for a in synth.resources("monitoring", "AWS::CloudWatch::Alarm").values()
        if a["Properties"].get("MetricName") == "ExecutionsFailed"
    ]
    assert len(failed_machines) == 3
    t.resource_count_is("AWS::CloudWatch::Dashboard", 4)  # platform + one per architecture
    t.has_resource_properties("AWS::SNS::Topic", {"KmsMasterKeyId": Match.any_value()})


def test_landing_rule_targets_the_ingest_state_machine(synth):
    t = synth.template("ingestion")
    rules = synth.resources("ingestion", "AWS::Events::Rule")
    (landing,) = [r for r in rules.values() if "EventPattern" in r["Properties"]]
    pattern = landing["Properties"]["EventPattern"]
    assert pattern["source"] == ["aws.s3"]
    assert pattern["detail-type"] == ["Object Created"]
    assert "bucket" in pattern["detail"]
    (target,) = landing["Properties"]["Targets"]
    machines = synth.resources("ingestion", "AWS::StepFunctions::StateMachine")
    ingest_id = next(
        k for k, v in machines.items() if v["Properties"]["StateMachineName"].endswith("-ingest")
    )
    assert target["Arn"] == {"Ref": ingest_id}
    assert "RoleArn" in target
    t.has_resource_properties(
        "AWS::Events::Rule", {"ScheduleExpression": "cron(0 3 * * ? *)", "State": "ENABLED"}
    )


def _definition(synth, suffix):
    machines = synth.resources("ingestion", "AWS::StepFunctions::StateMachine")
    (machine,) = [
        m for m in machines.values() if m["Properties"]["StateMachineName"].endswith(suffix)
    ]
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    return "".join(p if isinstance(p, str) else "<token>" for p in parts)


def test_ingest_starts_an_emr_serverless_job_and_waits(synth):
    definition = json.loads(
        _definition(synth, "-ingest").replace('"<token>"', '"x"').replace("<token>", "x")
    )
    (state,) = definition["States"].values()
    assert state["Resource"] == "arn:aws:states:::emr-serverless:startJobRun.sync"
    assert state["Parameters"]["ClientToken.$"] == "$.id"


def test_backfill_runs_days_as_a_parallel_map(synth):
    definition = json.loads(_definition(synth, "-backfill").replace("<token>", "x"))
    (state,) = definition["States"].values()
    assert state["Type"] == "Map"
    assert state["ItemsPath"] == "$.dates"
    assert state["MaxConcurrency"] > 1


def test_source_secret_rotates(synth):
    t = synth.template("secrets")
    t.has_resource_properties(
        "AWS::SecretsManager::Secret",
        {"Name": synth.settings.source_secret_name, "KmsKeyId": Match.any_value()},
    )
    t.has_resource_properties(
        "AWS::SecretsManager::RotationSchedule",
        {
            "SecretId": Match.any_value(),
            "RotationLambdaARN": Match.any_value(),
            "RotationRules": {"ScheduleExpression": "rate(30 days)"},
        },
    )
    t.has_resource_properties("AWS::Lambda::Function", {"Handler": "index.handler"})


def test_lake_formation_grants_consumers_read_on_their_domain(synth):
    grants = synth.resources("governance", "AWS::LakeFormation::PrincipalPermissions")
    tables = [g for g in grants.values() if "Table" in g["Properties"]["Resource"]]
    assert tables
    for g in tables:
        assert g["Properties"]["Permissions"] == ["SELECT", "DESCRIBE"]
        assert g["Properties"]["PermissionsWithGrantOption"] == []
        database = g["Properties"]["Resource"]["Table"]["DatabaseName"]
        assert database.startswith(synth.settings.database("mesh_"))
