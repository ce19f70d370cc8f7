"""The local engine's table cache: reused while a table is unchanged, never stale.

Local files stand in for the object store (``TableCache(filesystem=LocalFileSystem())``).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import write_deltalake
from pyarrow import fs

from goldmine.query._cache_tables import TableCache
from goldmine.query._read_tables import data_files, list_data_files
from goldmine.query._resolve_tables import ResolvedTable
from goldmine.query._run_local import run_duckdb
from goldmine.query._run_query import _translated


class _LocalAws:
    """The one thing the cache asks of ``AwsClients``: object-store options."""

    def storage_options(self) -> dict[str, str]:
        return {}


AWS = _LocalAws()
COLUMNS = (("k", "string"), ("v", "bigint"))


def _delta(path: Path) -> ResolvedTable:
    return ResolvedTable("db", "t", f"{path}/", "delta", COLUMNS)


def _parquet(path: Path) -> ResolvedTable:
    return ResolvedTable("db", "t", f"{path}/", "parquet", (("v", "bigint"),), (("k", "string"),))


def _total(cache: TableCache, table: ResolvedTable) -> int:
    result = run_duckdb("SELECT SUM(v) AS s FROM db__t", [table], AWS, cache=cache)  # type: ignore[arg-type]
    return int(result.column("s")[0].as_py())


def test_delta_table_is_reused_until_a_commit(tmp_path: Path) -> None:
    cache = TableCache(filesystem=fs.LocalFileSystem())
    table = _delta(tmp_path / "t")
    write_deltalake(str(tmp_path / "t"), pa.table({"k": ["a", "b"], "v": [1, 2]}))
    assert _total(cache, table) == 3
    assert _total(cache, table) == 3
    assert (cache.misses, cache.hits) == (1, 1)
    write_deltalake(str(tmp_path / "t"), pa.table({"k": ["c"], "v": [10]}), mode="append")
    assert _total(cache, table) == 13
    write_deltalake(str(tmp_path / "t"), pa.table({"k": ["d"], "v": [5]}), mode="overwrite")
    assert _total(cache, table) == 5
    assert cache.misses == 3


def test_parquet_table_is_reread_when_its_files_change(tmp_path: Path) -> None:
    cache = TableCache(filesystem=fs.LocalFileSystem())
    table = _parquet(tmp_path / "t")
    (tmp_path / "t" / "k=a").mkdir(parents=True)
    pq.write_table(pa.table({"v": [1, 2]}), tmp_path / "t" / "k=a" / "part-0.parquet")
    assert _total(cache, table) == 3
    assert _total(cache, table) == 3
    (tmp_path / "t" / "k=b").mkdir()
    pq.write_table(pa.table({"v": [7]}), tmp_path / "t" / "k=b" / "part-0.parquet")
    assert _total(cache, table) == 10
    pq.write_table(pa.table({"v": [100]}), tmp_path / "t" / "k=a" / "part-0.parquet")
    assert _total(cache, table) == 107
    assert (cache.misses, cache.hits) == (3, 1)


def test_large_tables_stay_lazy_datasets(tmp_path: Path) -> None:
    cache = TableCache(max_bytes=0, filesystem=fs.LocalFileSystem())
    table = _parquet(tmp_path / "t")
    (tmp_path / "t" / "k=a").mkdir(parents=True)
    pq.write_table(pa.table({"v": [4]}), tmp_path / "t" / "k=a" / "part-0.parquet")
    assert not isinstance(cache.data(table, AWS), pa.Table)  # type: ignore[arg-type]
    assert _total(cache, table) == 4


def test_listing_skips_markers_hidden_files_and_directory_objects(tmp_path: Path) -> None:
    (tmp_path / "k=a").mkdir()
    pq.write_table(pa.table({"v": [1]}), tmp_path / "k=a" / "part-0.parquet")
    (tmp_path / "_SUCCESS").write_text("x")
    (tmp_path / ".hidden").write_text("x")
    (tmp_path / "empty.parquet").write_bytes(b"")
    files = list_data_files(fs.LocalFileSystem(), str(tmp_path))
    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in files] == ["k=a/part-0.parquet"]


def test_translation_cache_keys_on_the_schema() -> None:
    sql = "SELECT v / 2 AS half FROM t"
    names = ((((None, "t"), "db__t")),)
    as_int = _translated(sql, "duckdb", (("db__t", (("v", "bigint"),)),), names)
    as_decimal = _translated(sql, "duckdb", (("db__t", (("v", "decimal(18,2)"),)),), names)
    assert as_int != as_decimal
    assert "//" in as_int and "//" in as_decimal  # both exact, at their own scale
    with pytest.raises(Exception, match="division"):
        _translated(sql, "duckdb", (("db__t", (("v", "string"),)),), names)


def test_directory_objects_of_the_local_store_are_not_data_files() -> None:
    objects = [
        ("b/t/k=a/", 12),  # S3Proxy lists directories as objects, with a size
        ("b/t/k=a", 12),
        ("b/t/k=a/part-0.parquet", 100),
        ("b/t/_delta_log/0.json", 10),
        ("b/t/empty", 0),
    ]
    assert data_files(objects, "b/t") == ["b/t/k=a/part-0.parquet"]
    assert data_files(objects, "b/t", skip_hidden=False) == [
        "b/t/_delta_log/0.json",
        "b/t/k=a/part-0.parquet",
    ]
