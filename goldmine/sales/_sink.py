"""Where the generated files land: a local directory or an S3 bucket."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Protocol


class LandingSink(Protocol):
    """Destination of landed files, addressed by key (``sales/orders/...``)."""

    def put_file(self, key: str, path: Path) -> None:
        """Store the local file ``path`` under ``key``."""
        ...

    def put_bytes(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key``."""
        ...


class DirectorySink:
    """Land files under a local directory, one file per key.

    Parameters
    ----------
    root
        Directory standing in for the landing bucket; created when missing.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _target(self, key: str) -> Path:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def put_file(self, key: str, path: Path) -> None:
        """Copy ``path`` to ``root/key``."""
        shutil.copyfile(path, self._target(key))

    def put_bytes(self, key: str, data: bytes) -> None:
        """Write ``data`` to ``root/key``."""
        self._target(key).write_bytes(data)


class S3Sink:
    """Land files in an S3 bucket through an injected boto3 client.

    Parameters
    ----------
    s3_client
        A boto3 S3 client (endpoint and credentials already resolved by the caller).
    bucket
        The landing bucket name.
    """

    def __init__(self, s3_client: Any, bucket: str) -> None:
        self.s3_client = s3_client
        self.bucket = bucket

    def put_file(self, key: str, path: Path) -> None:
        """Upload ``path`` to ``s3://bucket/key`` (multipart for big files)."""
        self.s3_client.upload_file(str(path), self.bucket, key)

    def put_bytes(self, key: str, data: bytes) -> None:
        """Put ``data`` at ``s3://bucket/key``."""
        self.s3_client.put_object(Bucket=self.bucket, Key=key, Body=data)
