"""Running the HTTP app under uvicorn, bounded against slow and idle connections.

uvicorn bounds header size (h11, 16 KB) and keep-alive idleness, but neither the time a
client may take to send its headers or body nor the number of connections it may hold open:
a few hundred connections dribbling bytes exhaust a process's file descriptors. Here:

- a request's headers must arrive within `request_timeout` seconds of the connection (or of the
  previous response), else `408` and the connection is closed; the webhook gives its body as
  long again (`408`), and a body still dribbling after twice that is cut off;
- at most `max_connections` are open (by default 1,000, or what the file-descriptor limit
  leaves room for); a new connection past it closes the oldest one still owing its request,
  and when every open connection is busy with a request, the new one gets `503` at once;
- the listen backlog (what the event loop accepts in one go) is kept within the spare file
  descriptors, so a flood of connections cannot exhaust them before any is turned away.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.errors import SettingsError

log = logging.getLogger(__name__)

DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_REQUEST_TIMEOUT = 10.0  # seconds
# File descriptors kept for the rest of the process: the database pool, logs, the listener.
RESERVED_FDS = 64
MAX_BACKLOG = 2048  # uvicorn's own


def _raw_response(status: bytes, error: str) -> bytes:
    """A whole JSON response that closes the connection, written before any request is read."""
    body = json.dumps({"error": error}).encode()
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\nconnection: close"
            b"\r\ncontent-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


_FULL = _raw_response(b"503 Service Unavailable", "too many connections; try again soon")
_TOO_SLOW = _raw_response(b"408 Request Timeout", "the request did not arrive in time")


@dataclass(frozen=True)
class HttpLimits:
    """How long a request may take to arrive, and how many connections may be open."""

    max_connections: int = DEFAULT_MAX_CONNECTIONS
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    backlog: int = MAX_BACKLOG  # connections accepted per turn of the event loop, at most


def _descriptors() -> int | None:
    """The process's file-descriptor limit, if it has one."""
    try:
        import resource
    except ImportError:  # not on Unix
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


def limits_from_environ(environ: Mapping[str, str]) -> HttpLimits:
    """`FORUMBOT_HTTP_MAX_CONNECTIONS` and `FORUMBOT_HTTP_REQUEST_TIMEOUT` (seconds); the
    connections are capped by the file-descriptor limit whatever is asked."""
    def number(key: str, default: float, low: float, high: float) -> float:
        raw = environ.get(key, "").strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(f"{key}={raw!r} is not a number") from None
        if not low <= value <= high:
            raise SettingsError(f"{key}={raw!r} must be from {low:g} to {high:g}")
        return value

    asked = int(number("FORUMBOT_HTTP_MAX_CONNECTIONS", DEFAULT_MAX_CONNECTIONS, 1, 1_000_000))
    timeout = number("FORUMBOT_HTTP_REQUEST_TIMEOUT", DEFAULT_REQUEST_TIMEOUT, 0.1, 3600)
    descriptors = _descriptors()
    if descriptors is None:
        return HttpLimits(asked, timeout)
    cap = min(asked, max(8, descriptors - RESERVED_FDS))
    # The event loop accepts up to `backlog` connections before any can be turned away: keep
    # that many descriptors spare, or a flood runs the process out of them (and asyncio stops
    # accepting for a second each time).
    spare = descriptors - cap - RESERVED_FDS // 2
    return HttpLimits(cap, timeout, backlog=min(MAX_BACKLOG, max(16, spare // 2)))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request deadline and a cap on open connections."""

    limits = HttpLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._opened = 0.0
        self._deadline: asyncio.TimerHandle | None = None
        self._extended = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._opened = self.loop.time()
        self._arm()
        if len(self.connections) <= self.limits.max_connections:
            return
        owing = [c for c in self.connections
                 if isinstance(c, GuardedH11Protocol) and c is not self and c._owes_request()]
        if owing:
            min(owing, key=lambda c: c._opened)._close()
        else:
            log.warning("HTTP connections: all %d busy; refused one with 503",
                        self.limits.max_connections)
            transport.write(_FULL)
            self._close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()  # the next request on this connection has as long again

    def _owes_request(self) -> bool:
        """Still waiting for the client's headers or body (an idle keep-alive included)."""
        return not self.transport.is_closing() and self.conn.their_state in (h11.IDLE,
                                                                             h11.SEND_BODY)

    def _arm(self) -> None:
        self._disarm()
        self._extended = False
        self._deadline = self.loop.call_later(self.limits.request_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing() or not self._owes_request():
            return
        if self.conn.their_state is h11.SEND_BODY and not self._extended:
            # The app bounds its own body read (and answers 408); this is the backstop.
            self._extended = True
            self._deadline = self.loop.call_later(self.limits.request_timeout, self._too_slow)
            return
        if self.conn.their_state is h11.IDLE and (self.cycle is None
                                                  or self.cycle.response_complete):
            self.transport.write(_TOO_SLOW)
        self._close()

    def _close(self) -> None:
        self._disarm()
        self.transport.close()


class OwnRoutesOnly(logging.Filter):
    """uvicorn's access lines name a request's path only when it is one of the app's routes,
    and never its query string: any other path a stranger sends (control or bidirectional
    characters, a token in a query) stays out of the log."""

    def __init__(self, paths: frozenset[str]) -> None:
        super().__init__()
        self.paths = paths

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, path, version, status = record.args
            bare = str(path).partition("?")[0]
            record.args = (client, method, bare if bare in self.paths else "(another path)",
                           version, status)
        return True


def http_config(asgi: Any, host: str, port: int, log_level: str, limits: HttpLimits, *,
                json_logs: bool = False, grace: int | None = None) -> uvicorn.Config:
    """uvicorn's configuration for `asgi` with `limits`; on SIGTERM requests in flight get
    `grace` seconds. With `json_logs` uvicorn's loggers go to ours. Access lines name only
    the app's own routes (`OwnRoutesOnly`)."""
    protocol = type("ForumbotH11Protocol", (GuardedH11Protocol,), {"limits": limits})
    config = uvicorn.Config(asgi, host=host, port=port, log_level=log_level.lower(),
                            http=protocol, timeout_keep_alive=5, backlog=limits.backlog,
                            log_config=None if json_logs else LOGGING_CONFIG,
                            timeout_graceful_shutdown=grace)
    access = logging.getLogger("uvicorn.access")
    for old in [f for f in access.filters if isinstance(f, OwnRoutesOnly)]:
        access.removeFilter(old)
    access.addFilter(OwnRoutesOnly(frozenset(
        path for route in getattr(asgi, "routes", ()) if isinstance(path := getattr(
            route, "path", None), str))))
    return config


def serve_http(config: uvicorn.Config) -> None:
    """Run uvicorn with `config` until interrupted."""
    uvicorn.Server(config).run()
