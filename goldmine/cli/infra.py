"""``goldmine infra``: synthesize the CDK app in ``infra/`` (deploy with ``cdk deploy``)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

#: The CDK project (its own venv, package.json and cdk.json), next to the package.
INFRA_DIR = Path(__file__).resolve().parents[2] / "infra"

app = typer.Typer(
    help=(
        "Synthesize the platform's AWS infrastructure (the CDK app in infra/).\n\n"
        "Examples:\n\n"
        "  goldmine infra synth\n\n"
        "  goldmine infra synth --environment aws --image-tag 0.1.0\n\n"
        "Deploy to a real account with `make -C infra deploy` (see infra/README.md)."
    ),
    no_args_is_help=True,
)
console = Console(stderr=True)


@app.callback()
def _group() -> None:
    """Keep ``synth`` a subcommand (Typer collapses single-command apps)."""


def synth_command(
    infra_dir: Path, *, environment: str, image_tag: str | None, use_cli: bool
) -> tuple[list[str], dict[str, str]]:
    """Return the command (and extra environment) that synthesizes into ``infra/cdk.out``.

    With the pinned ``cdk`` CLI installed (``make -C infra node``) it is ``cdk synth``;
    otherwise the app itself runs with the infra venv's Python, which needs no Node CLI.
    """
    outdir = infra_dir / "cdk.out"
    context = ["-c", f"environment={environment}"]
    if image_tag:
        context += ["-c", f"jobImageTag={image_tag}"]
    cdk = infra_dir / "node_modules" / ".bin" / "cdk"
    if use_cli and cdk.exists():
        return [str(cdk), "synth", "--quiet", "--output", str(outdir), *context], {}
    python = infra_dir / ".venv" / "bin" / "python"
    # The app reads its context and output directory as the cdk CLI passes them.
    ctx = {"environment": environment, **({"jobImageTag": image_tag} if image_tag else {})}
    return [str(python), str(infra_dir / "app.py")], {
        "CDK_OUTDIR": str(outdir),
        "CDK_CONTEXT_JSON": json.dumps(ctx),
    }


@app.command()
def synth(
    environment: Annotated[
        str, typer.Option("--environment", "-e", help="Named deployment to synthesize.")
    ] = "aws",
    image_tag: Annotated[
        str | None, typer.Option(help="Custom job image tag the EMR application runs.")
    ] = None,
    use_cli: Annotated[
        bool, typer.Option("--cli/--no-cli", help="Use the pinned cdk CLI when installed.")
    ] = True,
) -> None:
    """Synthesize every stack into infra/cdk.out (CloudFormation templates, cdk-nag reports).

    Needs the infra venv: `make -C infra venv` (and `make -C infra node` for the cdk CLI).

    Example: goldmine infra synth --environment aws
    """
    python = INFRA_DIR / ".venv" / "bin" / "python"
    if not python.exists():
        console.print(f"[red]error[/red]: no infra venv at {python}: run `make -C infra venv`")
        raise typer.Exit(1)
    command, extra_env = synth_command(
        INFRA_DIR, environment=environment, image_tag=image_tag, use_cli=use_cli
    )
    env = {**os.environ, **extra_env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1"}
    with console.status("synthesizing the CDK app ..."):
        result = subprocess.run(
            command, cwd=INFRA_DIR, env=env, capture_output=True, text=True, check=False
        )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        console.print(f"[red]error[/red]: synth failed: {lines[-1] if lines else 'no output'}")
        raise typer.Exit(result.returncode)
    templates = sorted((INFRA_DIR / "cdk.out").glob("*.template.json"))
    console.print(f"[green]ok[/green]: {len(templates)} stacks in {INFRA_DIR / 'cdk.out'}")
    for template in templates:
        typer.echo(template.name)


__all__ = ["app", "synth_command"]
