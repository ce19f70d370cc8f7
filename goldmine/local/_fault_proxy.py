"""A fault-injecting reverse proxy in front of the local S3 store (ADR 0025).

It forwards every HTTP/1.1 request to the real store and, for a chosen fraction of the
requests (a seeded RNG: the same seed gives the same sequence of decisions), answers
as a throttled or failing S3 does instead:

- ``slowdown``: ``503 SlowDown`` with S3's error XML, the request never reaches the store;
- ``internal``: ``500 InternalError`` with S3's error XML, the request never reaches it;
- ``reset``: the request IS forwarded and done by the store, then the connection is
  reset (TCP RST) before the client sees the answer: the client must retry an
  operation that already happened, as after a real dropped connection.

Clients keep their connections alive: requests and responses are framed by
``Content-Length`` or chunked encoding; ``Expect: 100-continue`` is answered by the
proxy itself (or by the fault, which then closes the connection, as S3 does). Each
request uses a new connection to the store. Counts of requests and injected faults
(:class:`FaultCounts`) let tests assert that faults really happened.

Started only when asked: by the fault tests, ``benchmarks/faults.py`` and
``goldmine local faults``; never by the platform itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import socket
import struct
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlparse

#: The kinds of fault, in the order the RNG picks among them.
FAULT_KINDS: tuple[str, ...] = ("slowdown", "internal", "reset")

_ERRORS = {
    "slowdown": (503, "Slow Down", "SlowDown", "Please reduce your request rate."),
    "internal": (
        500,
        "Internal Server Error",
        "InternalError",
        "We encountered an internal error. Please try again.",
    ),
}
_NO_BODY_STATUS = frozenset({204, 304})
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-connection", "expect"})
_MAX_HEAD = 64 * 1024


class ProxyProtocolError(ValueError):
    """A request or response the proxy cannot frame (the connection is closed)."""


@dataclass
class FaultCounts:
    """What the proxy saw and did since it started (or since :meth:`FaultProxy.reset`).

    ``requests`` and ``faults`` (by kind) count everything; ``by_client`` counts the
    requests and the faults of each kind of client, told by its User-Agent (``s3a``: the
    AWS SDK inside Hadoop's S3A; ``boto3``; ``arrow``: pyarrow's C++ SDK; ``delta-rs``:
    Rust's object_store; ``other``), as ``{client: [requests, faults]}``.
    """

    requests: int = 0
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    by_client: dict[str, list[int]] = field(default_factory=dict)

    @property
    def injected(self) -> int:
        """Faults injected, all kinds together."""
        return sum(self.faults.values())

    def faults_of(self, client: str) -> int:
        """Faults injected into the requests of ``client`` (``s3a``, ``boto3``, ...)."""
        return self.by_client.get(client, [0, 0])[1]

    def copy(self) -> FaultCounts:
        """Return a snapshot (the live counts keep changing)."""
        by_client = {k: list(v) for k, v in self.by_client.items()}
        return FaultCounts(self.requests, dict(self.faults), by_client)


@dataclass(frozen=True)
class _Head:
    """The start line and headers of one HTTP message."""

    start: str
    headers: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), None)

    def encode(self, extra: Sequence[tuple[str, str]] = ()) -> bytes:
        kept = [(k, v) for k, v in self.headers if k.lower() not in _HOP_BY_HOP]
        lines = [self.start, *(f"{k}: {v}" for k, v in [*kept, *extra])]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class FaultProxy:
    """A reverse proxy to ``upstream`` that injects S3 faults into ``rate`` of the requests.

    Parameters
    ----------
    upstream
        The real store's URL (``http://127.0.0.1:<port>``).
    rate
        Fraction of requests answered with a fault instead (0 forwards everything).
    seed
        Seed of the RNG that decides which requests fail and how.
    kinds
        The faults to inject, picked with equal chance (default: all of
        :data:`FAULT_KINDS`).
    max_range_bytes
        Fault only ranged reads of at most this many bytes (``Range: bytes=a-b``) and
        forward every other request: a client's handling of failed small partial reads
        (a column chunk) alone, without its SDK's backoff on the requests around them.

    Examples
    --------
    >>> with FaultProxy("http://127.0.0.1:9000", rate=0.05) as proxy:  # doctest: +SKIP
    ...     settings = load_settings(endpoints={"s3": proxy.url, "aws": api_url})
    """

    def __init__(
        self,
        upstream: str,
        *,
        rate: float,
        seed: int = 0,
        kinds: Sequence[str] = FAULT_KINDS,
        max_range_bytes: int | None = None,
    ) -> None:
        if not 0 <= rate < 1:
            raise ValueError(f"fault rate must be in [0, 1), not {rate}")
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown or not kinds:
            raise ValueError(f"fault kinds must be among {', '.join(FAULT_KINDS)}")
        parsed = urlparse(upstream)
        self._upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.rate = rate
        self._kinds = tuple(kinds)
        self._max_range_bytes = max_range_bytes
        self._rng = random.Random(seed)
        self._counts = FaultCounts()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        #: The connections being served: asyncio keeps only weak references to tasks, and
        #: a connection the client dropped must not be collected while it still awaits.
        self._serving: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The proxy's URL: give it to clients as their S3 endpoint."""
        return f"http://127.0.0.1:{self.port}"

    def counts(self) -> FaultCounts:
        """Return a snapshot of the requests seen and the faults injected."""
        return self._counts.copy()

    def reset(self, *, rate: float | None = None, seed: int | None = None) -> None:
        """Zero the counts; optionally change the fault rate and re-seed the RNG."""
        self._counts = FaultCounts()
        if rate is not None:
            self.rate = rate
        if seed is not None:
            self._rng = random.Random(seed)

    def start(self, port: int = 0) -> FaultProxy:
        """Serve on loopback (``port`` 0: a free one) in a background thread; return self."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._serve, "127.0.0.1", port, limit=_MAX_HEAD)
                )
                self.port = self._server.sockets[0].getsockname()[1]
            except BaseException as exc:  # reported to the caller of start()
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="fault-proxy", daemon=True)
        self._thread.start()
        started.wait()
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop serving (open connections are closed)."""
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop = self._thread = None

    def __enter__(self) -> FaultProxy:
        return self.start() if self._thread is None else self

    def __exit__(self, *_: object) -> None:
        self.stop()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _decide(self, head: _Head) -> str | None:
        """Count one request and say which fault it gets (``None``: forward it)."""
        counts = self._counts
        client = counts.by_client.setdefault(_client_of(head.get("User-Agent") or ""), [0, 0])
        counts.requests += 1
        client[0] += 1
        if self._max_range_bytes is not None and not _small_range(head, self._max_range_bytes):
            return None
        if self._rng.random() >= self.rate:
            return None
        kind = self._kinds[self._rng.randrange(len(self._kinds))]
        counts.faults[kind] += 1
        client[1] += 1
        return kind

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client connection: requests one after another (keep-alive)."""
        task = asyncio.current_task()
        if task is not None:
            self._serving.add(task)
            task.add_done_callback(self._serving.discard)
        try:
            while True:
                head = await _read_head(reader)
                if head is None:
                    break
                if not await self._exchange(head, reader, writer):
                    break
        except (ConnectionError, ProxyProtocolError, asyncio.IncompleteReadError, OSError):
            pass
        except asyncio.CancelledError:  # the proxy stops: end quietly, the connection closes
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _exchange(
        self, head: _Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer one request; return whether the client connection stays open."""
        fault = self._decide(head)
        expects = (head.get("Expect") or "").lower() == "100-continue"
        if fault in _ERRORS:
            if not expects:  # the body is on its way: read it, as S3 would
                await _relay_body(head, reader, None)
            writer.write(_error_response(fault, head))
            await writer.drain()
            return False
        if expects:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            await writer.drain()
        up_reader, up_writer = await asyncio.open_connection(*self._upstream, limit=_MAX_HEAD)
        try:
            up_writer.write(head.encode([("Connection", "close")]))
            await _relay_body(head, reader, up_writer)
            await up_writer.drain()
            response = await _read_head(up_reader)
            while response is not None and response.start.split(" ", 2)[1].startswith("1"):
                response = await _read_head(up_reader)  # interim answers: not for the client
            if response is None:
                raise ProxyProtocolError("the store closed the connection without answering")
            if fault == "reset":
                await _relay_response_body(head, response, up_reader, None)
                _reset(writer)
                return False
            keep = _client_keeps_alive(head) and _is_framed(head, response)
            writer.write(response.encode([] if keep else [("Connection", "close")]))
            await _relay_response_body(head, response, up_reader, writer)
            await writer.drain()
            return keep
        finally:
            up_writer.close()


async def _read_head(reader: asyncio.StreamReader) -> _Head | None:
    """Read a start line and headers; ``None`` at a clean end of the connection."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise ProxyProtocolError("connection closed inside a message head") from exc
    except asyncio.LimitOverrunError as exc:
        raise ProxyProtocolError("message head too long") from exc
    lines = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.append((name.strip(), value.strip()))
    return _Head(lines[0], headers)


async def _relay_body(
    head: _Head, reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None
) -> None:
    """Copy a request body (``Content-Length`` or chunked) to ``writer`` (``None``: drop)."""
    if "chunked" in (head.get("Transfer-Encoding") or "").lower():
        await _relay_chunked(reader, writer)
    else:
        await _relay_exact(reader, writer, int(head.get("Content-Length") or 0))


async def _relay_response_body(
    request: _Head,
    response: _Head,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter | None,
) -> None:
    """Copy a response body to ``writer`` (``None``: drop), framed as the response says."""
    status = int(response.start.split(" ", 2)[1])
    if request.start.startswith("HEAD ") or status in _NO_BODY_STATUS:
        return
    if "chunked" in (response.get("Transfer-Encoding") or "").lower():
        await _relay_chunked(reader, writer)
    elif response.get("Content-Length") is not None:
        await _relay_exact(reader, writer, int(response.get("Content-Length") or 0))
    else:  # delimited by the end of the connection
        while chunk := await reader.read(65536):
            if writer is not None:
                writer.write(chunk)
                await writer.drain()


async def _relay_exact(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None, length: int
) -> None:
    while length > 0:
        chunk = await reader.read(min(length, 65536))
        if not chunk:
            raise ProxyProtocolError("connection closed inside a body")
        length -= len(chunk)
        if writer is not None:
            writer.write(chunk)
            await writer.drain()


async def _relay_chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter | None) -> None:
    while True:
        size_line = await reader.readuntil(b"\r\n")
        if writer is not None:
            writer.write(size_line)
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:  # trailers, then the empty line
            while (line := await reader.readuntil(b"\r\n")) != b"\r\n":
                if writer is not None:
                    writer.write(line)
            if writer is not None:
                writer.write(b"\r\n")
                await writer.drain()
            return
        data = await reader.readexactly(size + 2)
        if writer is not None:
            writer.write(data)
            await writer.drain()


def _small_range(head: _Head, max_bytes: int) -> bool:
    """Whether ``head`` reads at most ``max_bytes`` of an object (``Range: bytes=a-b``)."""
    match = re.fullmatch(r"bytes=(\d+)-(\d+)", head.get("Range") or "")
    return match is not None and int(match[2]) - int(match[1]) + 1 <= max_bytes


def _client_of(user_agent: str) -> str:
    """Return the kind of client a User-Agent names (see :class:`FaultCounts`)."""
    agent = user_agent.lower()
    for marker, client in (
        ("hadoop", "s3a"),
        ("botocore", "boto3"),
        ("aws-sdk-cpp", "arrow"),
        ("object_store", "delta-rs"),
    ):
        if marker in agent:
            return client
    return "other"


def _client_keeps_alive(head: _Head) -> bool:
    connection = (head.get("Connection") or "").lower()
    if head.start.endswith("HTTP/1.0"):
        return connection == "keep-alive"
    return connection != "close"


def _is_framed(request: _Head, response: _Head) -> bool:
    """Whether the response's end is known without closing the connection."""
    status = int(response.start.split(" ", 2)[1])
    return (
        request.start.startswith("HEAD ")
        or status in _NO_BODY_STATUS
        or response.get("Content-Length") is not None
        or "chunked" in (response.get("Transfer-Encoding") or "").lower()
    )


def _error_response(kind: str, request: _Head) -> bytes:
    """S3's error answer of ``kind`` (status line, headers and XML body)."""
    status, reason, code, message = _ERRORS[kind]
    resource = request.start.split(" ", 2)[1].split("?", 1)[0]
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<Resource>{resource}</Resource><RequestId>{request_id}</RequestId></Error>"
    ).encode()
    head = _Head(
        f"HTTP/1.1 {status} {reason}",
        [
            ("Content-Type", "application/xml"),
            ("Content-Length", str(len(body))),
            ("x-amz-request-id", request_id),
        ],
    )
    if request.start.startswith("HEAD "):
        body = b""
    return head.encode([("Connection", "close")]) + body


def _reset(writer: asyncio.StreamWriter) -> None:
    """Drop the client connection with a TCP RST (linger 0), not a polite FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
