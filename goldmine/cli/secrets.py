"""``goldmine secrets``: read and write secrets in Secrets Manager (never files)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from goldmine.cli._context import get_platform
from goldmine.secrets import SecretStore

app = typer.Typer(
    help=(
        "Put and check secrets in AWS Secrets Manager (locally: the local endpoint).\n\n"
        'Example: goldmine secrets put goldmine/source-system --value \'{"user": "etl"}\''
    ),
    no_args_is_help=True,
)
console = Console()


def _store() -> SecretStore:
    return SecretStore(get_platform().aws.client("secretsmanager"))


@app.command()
def put(
    name: Annotated[str, typer.Argument(help="Secret name, e.g. goldmine/source-system.")],
    value: Annotated[str, typer.Option(prompt=True, hide_input=True, help="Secret value.")],
) -> None:
    """Create or update a secret (prompted when --value is omitted).

    Example: goldmine secrets put goldmine/source-system
    """
    _store().put(name, value)
    console.print(f"stored {name}")


@app.command()
def check(name: Annotated[str, typer.Argument(help="Secret name.")]) -> None:
    """Check that a secret exists and is readable, without printing it.

    Example: goldmine secrets check goldmine/source-system
    """
    value = _store().get(name)
    console.print(f"{name}: readable ({len(value)} characters)")
