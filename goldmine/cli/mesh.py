"""``goldmine mesh``: contracts, publication, discovery and access of data products."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cli._lease import NoWaitOption, run_lease
from goldmine.cli._steps import print_steps
from goldmine.lease import mesh_lease

app = typer.Typer(
    help=(
        "Domain data products defined by ODCS v3 contracts (mesh/<domain>/<product>/).\n\n"
        "Examples:\n\n"
        "  goldmine mesh validate\n\n"
        "  goldmine mesh publish sales.orders\n\n"
        "  goldmine mesh list\n\n"
        "  goldmine mesh show finance.revenue\n\n"
        "  goldmine mesh diff old/contract.yaml mesh/sales/orders/contract.yaml\n\n"
        "  goldmine mesh diff --registry sales.orders mesh/sales/orders/contract.yaml\n\n"
        "  goldmine mesh grant sales.orders --to consumer-sales.orders"
    ),
    no_args_is_help=True,
)
_out = Console(soft_wrap=True)


def _platform() -> Any:
    from goldmine.cli._context import get_platform

    return get_platform()


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Contract files; every repo contract by default.")
    ] = None,
) -> None:
    """Validate contracts against the ODCS JSON schema and the platform's rules.

    Example: goldmine mesh validate mesh/sales/orders/contract.yaml
    """
    import mesh

    files = paths or sorted(mesh.MESH_ROOT.glob("*/*/contract.yaml"))
    failed = 0
    for path in files:
        try:
            contract = mesh.load_contract(path)
        except mesh.ContractError as exc:
            failed += 1
            _out.print(f"[red]invalid[/red] {path}")
            for problem in exc.problems:
                _out.print(f"  - {problem}", highlight=False)
            continue
        _out.print(f"[green]valid[/green]   {contract.product_id} {contract.version} ({path})")
    _out.print(f"{len(files) - failed} of {len(files)} contracts valid")
    if failed:
        raise typer.Exit(1)


#: ``mesh diff`` exit codes, like ``diff``: compatible, breaking, cannot judge.
DIFF_COMPATIBLE, DIFF_BREAKING, DIFF_CANNOT_JUDGE = 0, 1, 2


@app.command()
def diff(
    contracts: Annotated[
        list[Path],
        typer.Argument(
            help="OLD NEW contract files (YAML), or only NEW with --registry.", show_default=False
        ),
    ],
    registry: Annotated[
        str | None,
        typer.Option(
            help="Compare NEW with the newest published version of this DOMAIN.PRODUCT. "
            "Example: --registry sales.orders mesh/sales/orders/contract.yaml",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        str,
        typer.Option(
            "--format",
            help="text, or json (the classified changes, for CI). Example: --format json",
        ),
    ] = "text",
) -> None:
    """Classify every change from OLD to NEW (any two ODCS v3 contracts of one product).

    Exit codes, like diff: 0 compatible, 1 breaking without a major version bump,
    2 cannot judge (unreadable file, not ODCS, not the same product).

    Example: goldmine mesh diff /tmp/orders-1.0.0.yaml mesh/sales/orders/contract.yaml
    """
    import mesh

    if output_format not in ("text", "json"):
        _cannot_judge(f"--format {output_format!r}: expected text or json", output_format)
    try:
        old, new = _diff_pair(contracts, registry)
        result = mesh.diff_contracts(old, new)
    except mesh.ContractError as exc:
        _cannot_judge(str(exc), output_format)
    if output_format == "json":
        typer.echo(json.dumps({"old": old.source, "new": new.source, **result.as_dict()}, indent=2))
        raise typer.Exit(DIFF_COMPATIBLE if result.ok else DIFF_BREAKING)
    for change in result.changes:
        color = "red" if change.breaking else "green"
        _out.print(f"[{color}]{change.line()}[/{color}]", highlight=False)
    summary = (
        f"{len(result.changes)} changes, {len(result.breaking)} breaking "
        f"({result.old_version} -> {result.new_version})"
    )
    if not result.ok:
        _out.print(f"[red]{summary}: a breaking change needs a new major version[/red]")
        raise typer.Exit(DIFF_BREAKING)
    _out.print(summary)


def _diff_pair(contracts: list[Path], registry: str | None) -> tuple[Any, Any]:
    """Read (OLD, NEW): two files, or the registry's newest version and one file."""
    import mesh

    wanted = 1 if registry else 2
    if len(contracts) != wanted:
        usage = "NEW with --registry PRODUCT" if registry else "OLD NEW"
        raise mesh.ContractError("mesh diff", [f"expected {usage}, got {len(contracts)} files"])
    if registry:
        platform = _platform()
        old = mesh.published_contract(platform.aws.s3(), platform.settings, registry)
        return old, mesh.load_odcs(contracts[0])
    return mesh.load_odcs(contracts[0]), mesh.load_odcs(contracts[1])


def _cannot_judge(reason: str, output_format: str) -> NoReturn:
    """Print why a pair cannot be judged (one line) and exit 2."""
    if output_format == "json":
        typer.echo(json.dumps({"compatible": None, "error": reason}, indent=2))
    else:
        _out.print(f"[red]cannot judge:[/red] {reason}", highlight=False)
    raise typer.Exit(DIFF_CANNOT_JUDGE)


@app.command()
def publish(
    products: Annotated[
        list[str],
        typer.Argument(help="DOMAIN.PRODUCT ids (each published after those it is built from)."),
    ],
    run_id: Annotated[str | None, typer.Option(help="Job run id for the lineage.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Publish even when the inputs are unchanged (after a build code change).",
        ),
    ] = False,
    at_once: Annotated[
        bool,
        typer.Option(
            "--at-once/--one-at-a-time",
            help="Publish products whose input products are published at once, each on a "
            "Spark session of its own (default), or one after the other.",
        ),
    ] = True,
    no_wait: NoWaitOption = False,
) -> None:
    """Build, validate and publish data products; refuse any that break their contract.

    Each product is published after the products it is built from (its contract's
    inputProducts, when they are published in this run too); products whose inputs
    are ready publish at once (two at a time), each on a Spark session of its own. A
    product whose inputs (landed files, input products' versions, contract) are those
    of its newest publication is skipped: "unchanged, skipped", nothing written. The
    landing is settled once for all the products; each publish prints its steps
    (seconds and Spark jobs).

    Example: goldmine mesh publish catalog.products finance.fx_rates sales.orders
    """
    import mesh
    from goldmine.cli._context import build_command_session
    from goldmine.plan import StatusBoard
    from goldmine.spark import SessionOnDemand

    platform = _platform()
    # Started by the first publish that builds: unchanged products skip without Spark.
    spark = SessionOnDemand(lambda: build_command_session("goldmine-mesh-publish"))
    landing = mesh.Landing(platform.aws.s3(), platform.settings)  # settled once for the run

    def publish_one(board: StatusBoard, session: Any, product_id: str) -> bool:
        tell = board.teller(product_id)
        try:
            with run_lease(mesh_lease(product_id), no_wait=no_wait):
                result = mesh.publish_product(
                    platform, session, product_id, run_id=run_id, force=force, landing=landing,
                    progress=lambda msg: tell(f"{product_id}: {msg}"),
                )  # fmt: skip
        finally:
            board.done(product_id)
        _print_publish(result)
        return result.published

    with _out.status("starting") as status:
        board = StatusBoard(status.update)
        published = mesh.publish_products(
            spark, products, functools.partial(publish_one, board), at_once=at_once
        )
    if not spark.started:
        _out.print("every product unchanged: Spark not started")
    if not all(published.values()):
        raise typer.Exit(1)


def _print_publish(result: Any) -> None:
    """Print what one publish did: published, skipped or refused, then its steps."""
    if result.unchanged:
        _out.print(
            f"[green]unchanged, skipped[/green] {result.product_id} {result.version} "
            f"(delta version {result.delta_version} of run {result.run_id}: same inputs)"
        )
    elif result.published:
        _out.print(
            f"[green]published[/green] {result.product_id} {result.version} "
            f"(delta version {result.delta_version}, {result.check.rows} rows, "
            f"quarantined {result.quarantined_records} records + "
            f"{result.quarantined_items} items) -> {result.location}"
        )
    else:
        _out.print(f"[red]refused[/red] {result.check.summary()}", highlight=False)
    print_steps(_out, result.steps)


@app.command("list")
def list_products() -> None:
    """List published products: owner, newest version, rows, publish time; publish leases.

    Example: goldmine mesh list
    """
    import mesh
    from goldmine.lease import lease_lines

    platform = _platform()
    table = Table("product", "owner", "version", "majors", "rows", "published at")
    for entry in mesh.list_entries(platform.aws.s3(), platform.settings):
        pub = mesh.publication(entry)
        table.add_row(
            entry["product"],
            pub["owner"],
            pub["version"],
            ",".join(f"v{m}" for m in sorted(entry["majors"])),
            str(pub["rows"]),
            pub["published_at"],
        )
    _out.print(table)
    for line in lease_lines(platform.aws, "mesh"):
        _out.print(line, highlight=False, markup=False, soft_wrap=True)


def _age(published_at: str) -> str:
    delta = dt.datetime.now(dt.UTC) - dt.datetime.fromisoformat(published_at)
    return f"{delta.total_seconds() / 3600:.1f}h ago"


@app.command()
def show(
    product: Annotated[str, typer.Argument(help="DOMAIN.PRODUCT")],
    major: Annotated[int | None, typer.Option(help="Major version (newest by default).")] = None,
) -> None:
    """Show a product: owner, version, SLA, freshness, schema, quality, lineage, access.

    Example: goldmine mesh show sales.orders
    """
    import mesh

    platform = _platform()
    entry = mesh.read_entry(platform.aws.s3(), platform.settings, product)
    if entry is None:
        _out.print(f"[red]{product} was never published[/red] (goldmine mesh publish {product})")
        raise typer.Exit(1)
    pub = mesh.publication(entry, major)
    contract = mesh.parse_contract(pub["contract"])
    _out.print(f"[bold]{product}[/bold] {pub['version']} (owner {pub['owner']})")
    _out.print(f"  location  {pub['location']} (Delta version {pub['delta_version']})")
    _out.print(
        f"  published {pub['published_at']} ({_age(pub['published_at'])}), run {pub['run_id']}"
    )
    _out.print(f"  data as of {pub['as_of']}, {pub['rows']} rows")
    for prop in contract.model.slaProperties or []:
        element = f" on {prop.element}" if prop.element else ""
        _out.print(f"  SLA {prop.property}: {prop.value}{prop.unit or ''}{element}")
    _out.print(f"  quality   {mesh.quality_line(pub)}", highlight=False)
    quarantined = mesh.quarantine_line(pub)
    if quarantined is not None:
        _out.print(f"  rejects   {quarantined}", highlight=False)
    schema = Table("column", "type", "required", "key", "classification", "description")
    for column in contract.columns:
        schema.add_row(
            column.name,
            column.physical_type,
            "yes" if column.required else "",
            str(column.primary_key_position or ""),
            column.classification or "",
            column.description,
        )
    _out.print(schema)
    inputs = ", ".join(
        f"{i['product']} {i['version']}@{i['delta_version']}" for i in pub["lineage"]["inputs"]
    )
    feeds = ", ".join(f"{f} ({len(b)} batches)" for f, b in pub["lineage"]["source_feeds"].items())
    _out.print(f"  lineage   inputs: {inputs or '-'}; feeds: {feeds or '-'}")
    pinned = f"{pub['database']}.{mesh.table_names(contract)[1]}"
    _out.print(f'  query     goldmine query "SELECT * FROM {pinned} LIMIT 10"')
    _out.print(f"            deltalake.DeltaTable('{pub['location']}') (pin major v{pub['major']})")


@app.command()
def grant(
    product: Annotated[str, typer.Argument(help="DOMAIN.PRODUCT")],
    to: Annotated[str, typer.Option("--to", help="A role listed in the product's contract.")],
    account_id: Annotated[str, typer.Option(help="Account id in Glue ARNs.")] = "*",
    attach: Annotated[
        bool, typer.Option(help="Create the policy in IAM and attach it to the role.")
    ] = False,
) -> None:
    """Print (or attach) the least-privilege read policy of a contract role.

    Example: goldmine mesh grant sales.orders --to consumer-sales.orders
    """
    import mesh
    from goldmine.cli._context import get_settings

    contract = mesh.load_product_contract(product)
    settings = get_settings()
    documents = mesh.role_policy(contract, settings, to, account_id=account_id)
    if not attach:
        typer.echo(json.dumps(documents[0] if len(documents) == 1 else documents, indent=2))
        return
    iam = _platform().aws.client("iam")
    for i, document in enumerate(documents):
        name = f"{settings.project}-{settings.environment}-{product.replace('.', '-')}-{to}-{i}"
        arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"][
            "Arn"
        ]
        iam.attach_role_policy(RoleName=to, PolicyArn=arn)
        _out.print(f"attached {arn} to role {to}")
