"""Synthesize the whole app once per session; tests read the cloud assembly."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")

from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from goldmine_infra import STACK_PARTS, build_app, stack_name, stacks_of

from goldmine.settings import Settings, load_settings


@dataclass
class Synthesized:
    """The synthesized app of the ``aws`` environment."""

    settings: Settings
    app: App
    stacks: dict[str, Stack]
    templates: dict[str, dict[str, Any]]

    def template(self, part: str) -> Template:
        return Template.from_json(self.templates[part])

    def resources(self, part: str, type_: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.templates[part]["Resources"].items() if v["Type"] == type_}


@pytest.fixture(scope="session")
def synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    settings = load_settings(environment="aws")
    outdir: Path = tmp_path_factory.mktemp("cdk.out")
    app = build_app(settings, outdir=str(outdir))
    assembly = app.synth()
    stacks = {s.stack_name.removeprefix(f"{settings.project}-aws-"): s for s in stacks_of(app)}
    templates = {
        part: assembly.get_stack_by_name(stack_name(settings, part)).template
        for part in STACK_PARTS
    }
    return Synthesized(settings=settings, app=app, stacks=stacks, templates=templates)
