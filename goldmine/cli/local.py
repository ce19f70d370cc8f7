"""``goldmine local``: the embedded local services (S3 store on disk, AWS API endpoint, Trino)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from goldmine.cli import cluster
from goldmine.cli._context import get_platform, get_settings
from goldmine.local import service_status, stop_services

app = typer.Typer(
    help=(
        "Start, stop and inspect the local services that stand in for AWS.\n\n"
        "Example: goldmine local up && goldmine local status"
    ),
    no_args_is_help=True,
)
app.add_typer(cluster.app, name="cluster")
console = Console()


@app.command()
def up() -> None:
    """Start the local S3 store and AWS API endpoint (no-op when running).

    Example: goldmine local up
    """
    platform = get_platform()
    console.print(f"S3 store      {platform.aws.endpoints.s3}")
    console.print(f"AWS endpoint  {platform.aws.endpoints.aws}")
    console.print(f"data          {platform.settings.data_dir}")


@app.command()
def down() -> None:
    """Stop the local services (Trino too, when it runs); the S3 store's data stays on disk.

    Example: goldmine local down
    """
    stopped = stop_services(get_settings())
    console.print(f"stopped: {', '.join(stopped) or 'nothing was running'}")


@app.command()
def jdk() -> None:
    """Show the JDK the local Trino server runs on; exits 1 with what to install if none fits.

    Trino needs a newer JDK than Spark: the newest one under /usr/lib/jvm or /opt (or
    GOLDMINE_TRINO_JAVA_HOME) is used. `make trino` runs this before fetching Trino.

    Example: goldmine local jdk
    """
    from goldmine.local import TRINO_MIN_JAVA, TRINO_VERSION, trino_jdk

    found = trino_jdk(get_settings())
    console.print(
        f"Trino {TRINO_VERSION} (needs JDK {TRINO_MIN_JAVA}+): JDK {found.version} at {found.home}",
        highlight=False,
    )


@app.command()
def status() -> None:
    """Show each local service, its port and whether it runs, and the run leases held.

    Exits 1 if a service is down.

    Example: goldmine local status
    """
    table = Table("service", "url", "pid", "running", "detail")
    statuses = service_status(get_settings())
    for s in statuses:
        table.add_row(
            s.name, s.url or "-", str(s.pid or "-"), "yes" if s.running else "no", s.detail
        )
    console.print(table)
    running = {s.name: s.url for s in statuses if s.running}
    if "aws" in running:
        from goldmine.aws import AwsClients
        from goldmine.lease import lease_lines
        from goldmine.settings import Endpoints

        aws = AwsClients(get_settings(), Endpoints(s3=running.get("s3"), aws=running["aws"]))
        for line in lease_lines(aws):
            console.print(line, highlight=False, markup=False, soft_wrap=True)
    if not all(s.running for s in statuses):
        raise typer.Exit(1)


@app.command()
def faults(
    rate: float = typer.Option(0.05, min=0.0, max=0.99, help="fraction of requests faulted"),
    seed: int = typer.Option(0, help="seed of the RNG that picks the faulted requests"),
    port: int = typer.Option(0, help="port on loopback (0: a free one)"),
) -> None:
    """Run a fault-injecting proxy in front of the local S3 store, until Ctrl-C.

    A chosen fraction of requests is answered 503 SlowDown or 500 InternalError (S3's
    error XML), or has its connection reset after the store did it (ADR 0025). Point a
    platform at it with GOLDMINE_ENDPOINTS__S3 (and GOLDMINE_ENDPOINTS__AWS, both printed).
    Never started by default.

    Example: goldmine local faults --rate 0.05 --seed 7
    """
    import time

    from goldmine.local import FaultProxy

    platform = get_platform()
    with FaultProxy(str(platform.aws.endpoints.s3), rate=rate, seed=seed).start(port) as proxy:
        console.print(f"faulting {rate:.0%} of S3 requests at {proxy.url} (Ctrl-C stops)")
        api = platform.aws.endpoints.aws
        console.print(
            f"GOLDMINE_ENDPOINTS__S3={proxy.url} GOLDMINE_ENDPOINTS__AWS={api}",
            highlight=False,
            soft_wrap=True,
        )
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            counts = proxy.counts()
            kinds = ", ".join(f"{k} {n}" for k, n in counts.faults.items())
            console.print(f"{counts.requests} requests, {counts.injected} faulted ({kinds})")


@app.command("jvm-archive")
def jvm_archive(
    force: bool = typer.Option(
        False, "--force", help="Dump it again even when this JDK and JAR set has one."
    ),
) -> None:
    """Dump the local Spark driver's class-data archive (a cache for faster JVM starts).

    A small demo (a week at scale 0.01) on private local services in a temporary folder
    loads the classes a build needs; the driver JVM writes them to an archive as it
    exits, which every later local session maps instead of reading JARs (ADR 0029).
    Ahead of time only: `goldmine demo` and the test suite dump it as they end when
    there is none (ADR 0031). A no-op when the archive of this JDK and JAR set exists.

    Example: goldmine local jvm-archive
    """
    from goldmine.jvm_archive import dump_jvm_archive

    with console.status("dumping the JVM class-data archive") as status:
        result = dump_jvm_archive(get_settings(), force=force, say=status.update)
    what = f"dumped in {result.seconds:.0f} s" if result.dumped else "already there"
    console.print(f"{result.path} ({result.bytes / 2**20:.0f} MiB, {what})", highlight=False)
