"""CDK entry point: ``cdk synth`` / ``cdk deploy`` run this (see cdk.json).

The environment to deploy comes from the settings (``GOLDMINE_ENVIRONMENT``), or from
``-c environment=aws``; the optional custom job image tag from ``-c jobImageTag=...``.
"""

from __future__ import annotations

import sys

from aws_cdk import App
from goldmine_infra import build_app

from goldmine.settings import SettingsError, load_settings


def main() -> int:
    """Synthesize every stack into the cloud assembly directory."""
    context = App()  # reads the CLI's context and output directory
    overrides: dict[str, object] = {}
    environment = context.node.try_get_context("environment")
    if environment:
        overrides["environment"] = environment
    try:
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    app = build_app(
        settings,
        outdir=context.outdir,
        image_tag=context.node.try_get_context("jobImageTag"),
    )
    app.synth()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
