import pytest

from goldmine.cli import main


def test_help_lists_the_command_groups(capsys: pytest.CaptureFixture[str]):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for group in ("local", "catalog", "sales", "secrets", "cost", "iam", "infra", "demo"):
        assert group in out


@pytest.mark.parametrize(
    "group", ["local", "catalog", "sales", "secrets", "cost", "iam", "infra", "report"]
)
def test_every_group_has_help_with_an_example(group: str, capsys: pytest.CaptureFixture[str]):
    assert main([group, "--help"]) == 0
    assert "goldmine " in capsys.readouterr().out


def test_bad_settings_fail_with_one_line_and_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("GOLDMINE_ENVIRONMENT", "staging")
    assert main(["local", "status"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "unknown environment 'staging'" in err


def test_a_command_that_exits_non_zero_makes_main_return_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path, capsys: pytest.CaptureFixture[str]
):
    # No local services were started in this data directory: status reports them down.
    monkeypatch.setenv("GOLDMINE_DATA_DIR", str(tmp_path))
    assert main(["local", "status"]) == 1
    assert "running" in capsys.readouterr().out
