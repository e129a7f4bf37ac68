"""Slack Web API clients: async for the listeners, blocking for the outbox's delivery thread.

Both retry on Slack's rate limits (as the SDK's handler says), and on server errors and
dropped connections with backoff, then give up; the error is logged by type by the caller.
Bolt and the SDK log through `library_logger`, which keeps request bodies out of the log.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.error import URLError

import aiohttp
from slack_sdk import WebClient
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
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.config import SlackConfig

API_TIMEOUT = 10  # seconds per Web API call
API_RETRIES = 2  # for server errors and dropped connections
RATE_LIMIT_RETRIES = 2
# Dropped connections and timeouts; server errors (500, 503) have their own handler.
ASYNC_RETRIED_ERRORS: list[type[Exception]] = [
    aiohttp.ServerConnectionError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError,
    asyncio.TimeoutError]
RETRIED_ERRORS: list[type[Exception]] = [URLError, ConnectionError, TimeoutError]


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
    """The logger Bolt and the SDK are given: warnings and errors, without bodies."""
    logger = logging.getLogger("forumbot.slack.library")
    logger.setLevel(logging.WARNING)
    if not any(isinstance(f, _QuietBodies) for f in logger.filters):
        logger.addFilter(_QuietBodies())
    return logger


def web_client(config: SlackConfig) -> AsyncWebClient:
    """The listeners' client."""
    return AsyncWebClient(
        token=config.bot_token, base_url=config.api_url, timeout=API_TIMEOUT,
        logger=library_logger(),
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
                        AsyncServerErrorRetryHandler(max_retry_count=API_RETRIES),
                        AsyncConnectionErrorRetryHandler(max_retry_count=API_RETRIES,
                                                         error_types=ASYNC_RETRIED_ERRORS)])


def sync_client(config: SlackConfig) -> WebClient:
    """The delivery thread's client."""
    return WebClient(
        token=config.bot_token, base_url=config.api_url, timeout=API_TIMEOUT,
        logger=library_logger(),
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
                        ServerErrorRetryHandler(max_retry_count=API_RETRIES),
                        ConnectionErrorRetryHandler(max_retry_count=API_RETRIES)])
