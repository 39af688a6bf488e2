"""A small keep-alive HTTP/1.1 client on asyncio streams (no third-party dependency).

One :class:`Connection` sends one request at a time and reuses its socket; it reconnects when the server closed
it. Enough for JSON APIs: Content-Length and chunked bodies, `Connection: close`, http and https.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


class NetworkError(Exception):
    """The request may or may not have reached the server: retry it with the same idempotency key."""


class _StaleConnection(ConnectionError):
    """No response byte came back on a socket: the server had closed it."""


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None


class Connection:
    def __init__(self, base_url: str, *, timeout: float = 30.0):
        u = urlsplit(base_url)
        self.host = u.hostname or "127.0.0.1"
        self.tls = u.scheme == "https"
        self.port = u.port or (443 if self.tls else 80)
        self.prefix = u.path.rstrip("/")
        self.host_header = u.netloc
        self.timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> None:
        ctx = ssl.create_default_context() if self.tls else None
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port, ssl=ctx), self.timeout)
        except (TimeoutError, OSError) as exc:
            raise NetworkError(f"connect: {exc!r}") from exc

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            try:
                await self._writer.wait_closed()
            except (OSError, ssl.SSLError):
                pass
        self._reader = self._writer = None

    async def request(self, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
                      ) -> Response:
        reused = self._writer is not None
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers or {}), self.timeout)
        except _StaleConnection as exc:
            await self.close()
            if not reused:
                raise NetworkError(repr(exc)) from exc
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            await self.close()
            raise NetworkError(repr(exc)) from exc
        # The server had closed the idle kept-alive socket before reading the request: send it once more on a
        # new connection (safe: the replay's writes carry idempotency keys).
        try:
            return await asyncio.wait_for(self._request(method, path, body, headers or {}), self.timeout)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            await self.close()
            raise NetworkError(repr(exc)) from exc

    async def _request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Response:
        if self._writer is None:
            await self._open()
        assert self._reader is not None and self._writer is not None
        head = [f"{method} {self.prefix}{path} HTTP/1.1", f"Host: {self.host_header}", "Connection: keep-alive",
                f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        try:
            self._writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await self._writer.drain()
            status_line = await self._reader.readline()
        except (ConnectionResetError, BrokenPipeError) as exc:
            raise _StaleConnection(repr(exc)) from exc
        if not status_line:
            raise _StaleConnection("server closed the connection")
        status = int(status_line.split()[1])
        length, chunked = None, False
        close = status_line.startswith(b"HTTP/1.0")  # HTTP/1.0 closes unless it says keep-alive
        while True:
            line = await self._reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            k, _, v = line.decode("latin-1").partition(":")
            k, v = k.strip().lower(), v.strip().lower()
            if k == "content-length":
                length = int(v)
            elif k == "transfer-encoding" and "chunked" in v:
                chunked = True
            elif k == "connection":
                close = v == "close" or (close and v != "keep-alive")
        if chunked:
            parts = []
            while True:
                size = int((await self._reader.readline()).split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while (await self._reader.readline()) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                parts.append(await self._reader.readexactly(size))
                await self._reader.readexactly(2)
            data = b"".join(parts)
        elif length is not None:
            data = await self._reader.readexactly(length) if length else b""
        else:
            data = await self._reader.read()
            close = True
        if close:
            await self.close()
        return Response(status, data)
