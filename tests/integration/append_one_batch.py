"""Append one landed batch's orders to a bronze table, in a process of its own.

Run by ``test_delta_log_store.py`` (and the default-LogStore trials of ADR 0023) as
``python -m tests.integration.append_one_batch DATA_DIR BATCH TABLE_URI BARRIER [LOG_STORE]``:
it starts its own Spark driver, prints ``ready``, waits until the file BARRIER exists (so
that every process appends at the same moment), appends, and prints the rows as JSON.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from goldmine.platform import connect
from goldmine.rules import list_landed_files
from goldmine.settings import load_settings
from goldmine.spark import build_session
from lakehouse.bronze import append_bronze

REPO = Path(__file__).resolve().parents[2]


def main(data_dir: str, batch: str, uri: str, barrier: str, log_store: str = "") -> None:
    settings = load_settings(
        data_dir=data_dir,
        jar_dir=REPO / ".cache" / "jars",
        spark_shuffle_partitions=1,
        spark_driver_memory="1g",
    )
    platform = connect(settings)
    spark = build_session(
        platform.aws,
        master="local[1]",
        app_name=f"append-{batch}",
        # the default-LogStore trials only
        overrides={"spark.delta.logStore.s3.impl": log_store} if log_store else None,
    )
    s3 = platform.aws.s3()
    files = [
        f
        for f in list_landed_files(s3, settings.buckets.landing, batch_id=batch)
        if f.feed == "orders"
    ]
    spark.range(1).count()  # warm the JVM before the barrier
    print("ready", flush=True)
    while not os.path.exists(barrier):
        time.sleep(0.005)
    results = append_bronze(spark, s3, {"orders": uri, "stores": f"{uri}-no-stores"}, files)
    print(json.dumps({"batch": batch, "rows": sum(r.rows for r in results)}), flush=True)
    spark.stop()


if __name__ == "__main__":
    main(*sys.argv[1:])
