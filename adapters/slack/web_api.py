"""Slack Web API clients: async for the listeners, blocking for the outbox's delivery thread.

Both retry on Slack's rate limits (as the SDK's handler says), and on server errors, dropped
connections and timeouts with backoff, then give up; the error is logged by type by the
caller. A message post whose answer did not come back in time is not sent again: Slack may
have posted it, and a member answered twice is worse than a late error in the log.
Bolt and the SDK log through `library_logger`, which keeps request bodies out of the log (and
keeps the libraries' own loggers to warnings).
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any
from urllib.error import URLError

import aiohttp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackConfig

API_RETRIES = 2  # for server errors and dropped connections
RATE_LIMIT_RETRIES = 2
# Dropped connections and timeouts; server errors (500, 503) have their own handler.
ASYNC_RETRIED_ERRORS: list[type[Exception]] = [
    aiohttp.ServerConnectionError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError,
    asyncio.TimeoutError]
RETRIED_ERRORS: list[type[Exception]] = [URLError, ConnectionError, TimeoutError]
# Methods that post a new message each time they are called: not repeated after a timeout.
POSTING = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.scheduleMessage",
                     "chat.meMessage", "files.upload", "files.completeUploadExternal"})
_CODE = re.compile(r"^[A-Za-z0-9_.]{1,60}$")  # Slack's error codes and method names


def refusal(exc: SlackApiError) -> str:
    """A Web API call Slack refused, for the log: the method and Slack's error code
    (`chat.postMessage refused: not_in_channel`), never the payload or the token."""
    data = exc.response.data if isinstance(exc.response.data, dict) else {}
    method = str(exc.response.api_url).rstrip("/").rsplit("/", 1)[-1]
    return f"{_code(method)} refused: {_code(data.get('error'))}"


def _code(value: object) -> str:
    return str(value) if isinstance(value, str) and _CODE.match(value) else "?"


def _posts(request: HttpRequest) -> bool:
    return request.url.rstrip("/").rsplit("/", 1)[-1] in POSTING


class _AsyncConnectionRetries(AsyncConnectionErrorRetryHandler):
    """Dropped connections and timeouts, except a post's timeout once it was sent."""

    async def _can_retry_async(self, *, request: HttpRequest, error: Exception | None = None,
                               **kwargs: Any) -> bool:
        if (isinstance(error, asyncio.TimeoutError)
                and not isinstance(error, aiohttp.ConnectionTimeoutError) and _posts(request)):
            return False
        return await super()._can_retry_async(request=request, error=error, **kwargs)


class _ConnectionRetries(ConnectionErrorRetryHandler):
    """The blocking client's: a timed-out read is an answer that did not come back (a timed-out
    connect is a `URLError`, and is retried)."""

    def _can_retry(self, *, request: HttpRequest, error: Exception | None = None,
                   **kwargs: Any) -> bool:
        if isinstance(error, TimeoutError) and _posts(request):
            return False
        return super()._can_retry(request=request, error=error, **kwargs)


class _QuietBodies(logging.Filter):
    """Bolt and the SDK log request and response bodies at DEBUG, and an unhandled request's
    body as a warning; bodies quote members' words and link codes, so neither is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return False
        if str(record.msg).startswith("Unhandled request"):
            record.msg, record.args = "Unhandled Slack request (its body is not logged)", ()
        return True


def library_logger() -> logging.Logger:
    """The logger Bolt and the SDK are given: warnings and errors, without bodies.

    The clients Bolt makes on its own (`respond`'s webhook client, which logs the body of an
    ephemeral answer at DEBUG) log to the libraries' own loggers: those keep to warnings too,
    whatever level the process logs at."""
    for name in ("slack_sdk", "slack_bolt"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logger = logging.getLogger("forumbot.slack.library")
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _QuietBodies) for f in logger.filters):
        logger.addFilter(_QuietBodies())
    return logger


def web_client(config: SlackConfig) -> AsyncWebClient:
    """The listeners' client."""
    return AsyncWebClient(
        token=config.bot_token, base_url=config.api_url,
        timeout=config.api_timeout,  # type: ignore[arg-type]  # seconds: a float works
        logger=library_logger(),
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
                        AsyncServerErrorRetryHandler(max_retry_count=API_RETRIES),
                        _AsyncConnectionRetries(max_retry_count=API_RETRIES,
                                                error_types=ASYNC_RETRIED_ERRORS)])


def sync_client(config: SlackConfig) -> WebClient:
    """The delivery thread's client."""
    return WebClient(
        token=config.bot_token, base_url=config.api_url,
        timeout=config.api_timeout,  # type: ignore[arg-type]  # seconds: a float works
        logger=library_logger(),
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
                        ServerErrorRetryHandler(max_retry_count=API_RETRIES),
                        _ConnectionRetries(max_retry_count=API_RETRIES,
                                           error_types=RETRIED_ERRORS)])
