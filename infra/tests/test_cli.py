from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from goldmine.cli.infra import INFRA_DIR, app, synth_command


def test_help_has_an_example():
    result = CliRunner().invoke(app, ["synth", "--help"])
    assert result.exit_code == 0
    assert "goldmine infra synth" in result.output


def test_synth_runs_the_app_into_infra_cdk_out_without_the_cli(tmp_path: Path):
    command, env = synth_command(tmp_path, environment="aws", image_tag="1.0", use_cli=True)
    assert command == [str(tmp_path / ".venv/bin/python"), str(tmp_path / "app.py")]
    assert env["CDK_OUTDIR"] == str(tmp_path / "cdk.out")
    assert '"jobImageTag": "1.0"' in env["CDK_CONTEXT_JSON"]


def test_synth_prefers_the_pinned_cdk_cli(tmp_path: Path):
    cdk = tmp_path / "node_modules/.bin/cdk"
    cdk.parent.mkdir(parents=True)
    cdk.touch()
    command, _ = synth_command(tmp_path, environment="aws", image_tag=None, use_cli=True)
    assert command[:2] == [str(cdk), "synth"]
    assert command[command.index("--output") + 1] == str(tmp_path / "cdk.out")
    assert INFRA_DIR.name == "infra"
