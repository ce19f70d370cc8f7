"""Read Parquet footers in S3 (row counts, column chunk sizes) without reading data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from goldmine.platform import Platform


@dataclass(frozen=True)
class FileFooter:
    """What a Parquet footer says about one file."""

    key: str
    rows: int
    file_bytes: int
    footer_bytes: int
    column_bytes: dict[str, int]

    def bytes_for(self, columns: Iterable[str]) -> int:
        """Compressed bytes of the chunks of ``columns`` (what a reader fetches)."""
        return sum(self.column_bytes.get(c, 0) for c in columns)


def arrow_filesystem(platform: Platform) -> Any:
    """Return a ``pyarrow.fs.S3FileSystem`` on the platform's S3 endpoint."""
    from pyarrow import fs

    from goldmine.aws import S3_MAX_ATTEMPTS

    options = platform.aws.storage_options()
    endpoint = options.get("AWS_ENDPOINT_URL")
    kwargs: dict[str, Any] = {
        "region": options["AWS_REGION"],
        "retry_strategy": fs.AwsStandardS3RetryStrategy(max_attempts=S3_MAX_ATTEMPTS),
    }
    if endpoint:
        scheme, _, host = endpoint.partition("://")
        kwargs.update(
            endpoint_override=host,
            scheme=scheme,
            access_key=options["AWS_ACCESS_KEY_ID"],
            secret_key=options["AWS_SECRET_ACCESS_KEY"],
        )
    return fs.S3FileSystem(**kwargs)


def read_footers(filesystem: Any, bucket: str, keys: Iterable[str]) -> list[FileFooter]:
    """Return the footer of every Parquet object ``keys`` of ``bucket``."""
    import pyarrow.parquet as pq

    from goldmine.aws import retry_arrow_read

    def footer_of(key: str) -> tuple[int, Any]:
        with filesystem.open_input_file(f"{bucket}/{key}") as handle:
            return handle.size(), pq.ParquetFile(handle).metadata

    footers = []
    for key in keys:
        size, meta = retry_arrow_read(partial(footer_of, key))
        columns: dict[str, int] = {}
        for group in range(meta.num_row_groups):
            row_group = meta.row_group(group)
            for index in range(row_group.num_columns):
                chunk = row_group.column(index)
                name = chunk.path_in_schema.split(".", 1)[0]
                columns[name] = columns.get(name, 0) + int(chunk.total_compressed_size)
        footers.append(
            FileFooter(key, int(meta.num_rows), int(size), int(meta.serialized_size) + 8, columns)
        )
    return footers
