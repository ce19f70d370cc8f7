"""Secrets come from AWS Secrets Manager (locally: the local API endpoint), never files.

A :class:`SecretStore` wraps one injected ``secretsmanager`` client and caches values
for a bounded time, so a job asks Secrets Manager once, not once per record.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any


class SecretNotFoundError(KeyError):
    """The secret does not exist in Secrets Manager."""


@dataclass
class SecretStore:
    """Read and write secrets through an injected Secrets Manager client.

    Parameters
    ----------
    client
        A boto3 ``secretsmanager`` client.
    ttl_seconds
        How long a value read is served from the cache.

    Examples
    --------
    >>> store = SecretStore(clients.client("secretsmanager"))  # doctest: +SKIP
    >>> store.get_json("goldmine/source-system")["username"]  # doctest: +SKIP
    """

    client: Any
    ttl_seconds: float = 300.0
    _cache: dict[str, tuple[float, str]] = field(default_factory=dict, repr=False)

    def get(self, name: str) -> str:
        """Return the secret string ``name`` (cached for ``ttl_seconds``)."""
        cached = self._cache.get(name)
        if cached and time.monotonic() - cached[0] < self.ttl_seconds:
            return cached[1]
        try:
            value: str = self.client.get_secret_value(SecretId=name)["SecretString"]
        except self.client.exceptions.ResourceNotFoundException:
            raise SecretNotFoundError(f"secret {name!r} not found in Secrets Manager") from None
        self._cache[name] = (time.monotonic(), value)
        return value

    def get_json(self, name: str) -> dict[str, Any]:
        """Return the secret ``name`` parsed as a JSON object."""
        value: dict[str, Any] = json.loads(self.get(name))
        return value

    def put(
        self, name: str, value: str | dict[str, Any], tags: dict[str, str] | None = None
    ) -> None:
        """Create or update the secret ``name``; the cache forgets the old value."""
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        try:
            self.client.put_secret_value(SecretId=name, SecretString=text)
        except self.client.exceptions.ResourceNotFoundException:
            tag_list = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
            self.client.create_secret(Name=name, SecretString=text, Tags=tag_list)
        self._cache.pop(name, None)

    def cached(self) -> list[str]:
        """Return the names currently cached (for diagnostics, never the values)."""
        return sorted(self._cache)
