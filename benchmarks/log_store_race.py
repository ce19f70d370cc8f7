"""Four Spark drivers append to one Delta table at the same moment: how many commits are lost?

Proves why every Delta table commits through the DynamoDB LogStore (docs/adr/0023): with
Delta's default S3 LogStore (``S3SingleDriverLogStore``, safe for one driver only) two
drivers committing at once can both write ``_delta_log/N.json`` and one commit silently
disappears; with ``io.goldmine.delta.DynamoDBLogStore`` none may.

Usage (from the repo root)::

    .venv/bin/python -m benchmarks.log_store_race --trials 20

Four driver processes stay up for all trials (a JVM start costs seconds); each trial
gives them a fresh table (created by delta-rs at version 0), releases them at once
through a barrier file, and counts the writers whose rows are in the table. Runs on its
own local services in a temporary data directory.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_STORE = "io.delta.storage.S3SingleDriverLogStore"
WRITERS, ROWS = 4, 10


def _settings(data_dir: str):
    from goldmine.settings import load_settings

    return load_settings(
        data_dir=data_dir,
        jar_dir=REPO / ".cache" / "jars",
        spark_shuffle_partitions=1,
        spark_driver_memory="1g",
    )


def _uri(platform, run: str, trial: int) -> str:
    return platform.s3_uri(platform.settings.buckets.lakehouse, f"_race/{run}/t{trial}")


def child(data_dir: str, run: str, writer: str, trials: int, log_store: str) -> None:
    """One driver: for each trial, say ready, wait for the barrier, append ROWS rows."""
    from goldmine.platform import connect
    from goldmine.spark import build_session

    platform = connect(_settings(data_dir))
    spark = build_session(
        platform.aws,
        master="local[1]",
        app_name=f"race-{writer}",
        overrides={"spark.delta.logStore.s3.impl": log_store},
    )
    rows = [(writer, n) for n in range(ROWS)]
    spark.createDataFrame(rows, "writer string, n long").count()
    for trial in range(trials):
        print(f"ready {trial}", flush=True)
        barrier = Path(data_dir) / f"go-{run}-{trial}"
        while not barrier.exists():
            time.sleep(0.002)
        frame = spark.createDataFrame(rows, "writer string, n long")
        frame.write.format("delta").mode("append").save(_uri(platform, run, trial))
        print(f"done {trial}", flush=True)
    spark.stop()


def race(platform, trials: int, log_store: str) -> list[int]:
    """Run ``trials`` races with ``log_store``; return the commits lost in each."""
    import pyarrow as pa
    from deltalake import DeltaTable, write_deltalake

    run, options = uuid.uuid4().hex[:8], platform.aws.storage_options()
    schema = pa.schema([("writer", pa.string()), ("n", pa.int64())])
    for trial in range(trials):
        write_deltalake(_uri(platform, run, trial), schema.empty_table(), storage_options=options)
    command = [sys.executable, "-m", "benchmarks.log_store_race", "--child",
               "--data-dir", str(platform.settings.data_dir), "--run", run,
               "--trials", str(trials), "--log-store", log_store]  # fmt: skip
    children = [
        subprocess.Popen(
            [*command, "--writer", f"w{i}"], cwd=REPO, stdout=subprocess.PIPE, text=True
        )
        for i in range(WRITERS)
    ]
    lost = []
    try:
        for trial in range(trials):
            for c in children:
                assert c.stdout is not None and c.stdout.readline().strip() == f"ready {trial}"
            (platform.settings.data_dir / f"go-{run}-{trial}").touch()
            for c in children:
                assert c.stdout is not None and c.stdout.readline().strip() == f"done {trial}"
            table = DeltaTable(_uri(platform, run, trial), storage_options=options)
            writers = set(table.to_pyarrow_table().column("writer").to_pylist())
            lost.append(WRITERS - len(writers))
            print(f"{log_store.rsplit('.', 1)[-1]} trial {trial}: version {table.version()}, "
                  f"writers present {len(writers)}/{WRITERS}", flush=True)  # fmt: skip
    finally:
        for c in children:
            c.wait(timeout=120)
    return lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument(
        "--stores", nargs="+", default=[DEFAULT_STORE, "io.goldmine.delta.DynamoDBLogStore"]
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", help=argparse.SUPPRESS)
    parser.add_argument("--run", help=argparse.SUPPRESS)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--log-store", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.data_dir, args.run, args.writer, args.trials, args.log_store)
        return 0
    from goldmine.local import stop_services
    from goldmine.platform import connect

    with tempfile.TemporaryDirectory(prefix="goldmine-race-") as data_dir:
        platform = connect(_settings(data_dir))
        try:
            results = {store: race(platform, args.trials, store) for store in args.stores}
        finally:
            stop_services(platform.settings)
    for store, lost in results.items():
        print(f"{store}: {args.trials} trials of {WRITERS} concurrent appends, "
              f"{sum(1 for n in lost if n)} with a lost commit, {sum(lost)} commits lost "
              f"of {args.trials * WRITERS}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
