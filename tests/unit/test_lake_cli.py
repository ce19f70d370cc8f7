"""``goldmine lake``: every command has help with an example; arguments are checked."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from goldmine.cli.lake import app

runner = CliRunner()


@pytest.mark.parametrize("command", ["ingest", "build", "status"])
def test_every_command_has_an_example(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Example: goldmine lake" in result.output


def test_ingest_needs_a_date_or_all():
    result = runner.invoke(app, ["ingest"])
    assert result.exit_code != 0
    assert "exactly one of --date D or --all" in result.output


def test_ingest_rejects_a_bad_date():
    result = runner.invoke(app, ["ingest", "--date", "2025-13-01"])
    assert result.exit_code != 0
    assert "expected YYYY-MM-DD" in result.output
