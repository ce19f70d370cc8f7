from pathlib import Path

import pytest

from goldmine.settings import SettingsError, load_settings


def test_unknown_environment_is_rejected_with_one_clear_line(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GOLDMINE_ENVIRONMENT", "prod")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert str(err.value) == (
        "invalid setting GOLDMINE_ENVIRONMENT: unknown environment 'prod': "
        "expected one of local, aws"
    )


def test_unknown_setting_is_rejected():
    with pytest.raises(SettingsError, match="GOLDMINE_BUKCETS"):
        load_settings(bukcets={})


def test_bucket_names_are_derived_per_environment_and_overridable(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("GOLDMINE_ENVIRONMENT", "aws")
    monkeypatch.setenv("GOLDMINE_BUCKETS__RAW", "acme-raw-123")
    settings = load_settings()
    assert settings.buckets.all() == {
        "landing": "goldmine-aws-landing",
        "raw": "acme-raw-123",
        "curated": "goldmine-aws-curated",
        "analytics": "goldmine-aws-analytics",
        "lakehouse": "goldmine-aws-lakehouse",
        "athena_results": "goldmine-aws-athena-results",
        "artifacts": "goldmine-aws-artifacts",
        "access_logs": "goldmine-aws-access-logs",
        "mesh-sales": "goldmine-aws-mesh-sales",
        "mesh-customer": "goldmine-aws-mesh-customer",
        "mesh-catalog": "goldmine-aws-mesh-catalog",
        "mesh-finance": "goldmine-aws-mesh-finance",
    }
    assert settings.database("lake_raw") == "goldmine_aws_lake_raw"
    assert not settings.is_local


def test_settings_are_read_when_loaded_not_at_import(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GOLDMINE_REGION", "eu-west-1")
    assert load_settings().region == "eu-west-1"
    monkeypatch.setenv("GOLDMINE_REGION", "eu-central-1")
    assert load_settings().region == "eu-central-1"


def test_data_dir_is_made_absolute():
    assert load_settings(data_dir=Path("rel")).data_dir == Path.cwd() / "rel"
