"""``goldmine iam``: print the least-privilege policies generated from the intents."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from goldmine.iam import UnknownRoleError, bucket_policy, policy_for, role_intents

app = typer.Typer(
    help=(
        "Print IAM policies generated from the access intents (goldmine/iam).\n\n"
        "Examples:\n\n"
        "  goldmine iam roles\n\n"
        "  goldmine iam policy --role analyst\n\n"
        "  goldmine iam policy --role consumer-sales.orders --account-id 123456789012\n\n"
        "  goldmine iam bucket-policy --bucket goldmine-aws-raw"
    ),
    no_args_is_help=True,
)


def _settings() -> Any:
    """Return the platform settings; imported late for tests."""
    from goldmine.cli._context import get_platform

    return get_platform().settings


@app.command()
def roles() -> None:
    """List the role names and the access levels each holds.

    Example: goldmine iam roles
    """
    for name, grants in role_intents(_settings()).items():
        levels = sorted({g.level for g in grants})
        typer.echo(f"{name}\t{','.join(levels)}")


@app.command()
def policy(
    role: Annotated[str, typer.Option(help="Role name, see `goldmine iam roles`.")],
    account_id: Annotated[
        str, typer.Option(help="Account id in Glue/Athena ARNs ('*': the caller's account).")
    ] = "*",
    kms_key_arn: Annotated[
        str | None, typer.Option(help="KMS key encrypting the buckets, if any.")
    ] = None,
) -> None:
    """Print a role's policy JSON (a list when split at the 6,144-character limit).

    Example: goldmine iam policy --role analyst
    """
    try:
        documents = policy_for(role, _settings(), account_id=account_id, kms_key_arn=kms_key_arn)
    except UnknownRoleError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))


@app.command("bucket-policy")
def bucket_policy_command(
    bucket: Annotated[str, typer.Option(help="Bucket name.")],
) -> None:
    """Print the bucket policy every platform bucket carries (deny non-TLS requests).

    Example: goldmine iam bucket-policy --bucket goldmine-aws-raw
    """
    typer.echo(json.dumps(bucket_policy(bucket), indent=2))
