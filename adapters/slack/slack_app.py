"""The Slack app: slack-bolt's AsyncApp with forumbot's listeners, served at
`POST /slack/events` on the `forumbot serve` Starlette app, or over Socket Mode.

Slack's requests are checked here before Bolt sees them: a body over `MAX_BODY` is 413, one
that does not arrive within `BODY_TIMEOUT` seconds 408, a bad signature or stale timestamp 401
(nothing stored), a body that is not a Slack payload 400.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from slack_bolt.adapter.starlette.async_handler import (
    to_async_bolt_request,
    to_starlette_response,
)
from slack_bolt.async_app import AsyncApp
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.http_app import BODY_TIMEOUT, limited_body
from adapters.slack import members, moderation
from adapters.slack.config import SlackConfig
from adapters.slack.runtime import ModeratorGroup, SlackRuntime
from adapters.slack.sender import SlackSender
from adapters.slack.web_api import library_logger, sync_client, web_client
from bot.app import App, utc_now
from bot.errors import WebhookRejected
from bot.storage.platform_store import SqlPlatformStore
from bot.whole_numbers import whole_number

log = logging.getLogger(__name__)

PATH = "/slack/events"
MANIFEST = Path(__file__).with_name("manifest.yaml")
# What the listeners answer; `manifest.yaml` subscribes to exactly these (a test checks).
COMMANDS = members.MEMBER_COMMANDS + moderation.MODERATOR_COMMANDS
SHORTCUTS = moderation.SHORTCUTS
EVENTS = members.EVENTS
MAX_BODY = 200_000  # bytes: Slack's payloads are far smaller
SIGNATURE_WINDOW = 300  # seconds a signed request stays good (Slack's advice)


def build_bolt(app: App, config: SlackConfig,
               clock: Callable[[], datetime] = utc_now) -> tuple[AsyncApp, SlackRuntime]:
    """The Bolt app with every forumbot listener registered, and what they share."""
    client = web_client(config)
    bolt = AsyncApp(client=client, signing_secret=config.signing_secret or "unused",
                    logger=library_logger(), name="forumbot",
                    request_verification_enabled=not config.socket_mode)
    # A question's relay thread lasts as long as the inbox keeps the question's words.
    store = SqlPlatformStore(app.engine, timedelta(days=app.settings.inbox_retention_days))
    runtime = SlackRuntime(app, config, store,
                           ModeratorGroup(client, config.moderator_group), clock)
    members.register(bolt, runtime)
    moderation.register(bolt, runtime)
    return bolt, runtime


def _refused(status: int, reason: str) -> JSONResponse:
    log.warning("slack request refused: %d", status)
    return JSONResponse({"error": reason}, status_code=status)


def signed_by_slack(secret: str, body: bytes, headers: Mapping[str, str], now: float) -> bool:
    """Whether Slack signed this body (v0 HMAC-SHA256) within the last five minutes."""
    stamp = headers.get("x-slack-request-timestamp", "")
    seconds = whole_number(stamp, low=0, high=999_999_999_999)
    if seconds is None or abs(now - seconds) > SIGNATURE_WINDOW:
        return False
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    # As bytes: a header may hold any character, and strings compare only when ASCII.
    return hmac.compare_digest(f"v0={digest.hexdigest()}".encode(),
                               headers.get("x-slack-signature", "").encode("utf-8", "replace"))


# Parts of a payload that Slack sends as objects, and Bolt and the listeners read as such.
_OBJECTS = ("event", "user", "channel", "container", "message", "view", "team")


def well_formed(body: dict[str, Any]) -> bool:
    """Whether a payload has the shape Bolt and the listeners index without checking: objects
    where Slack sends objects, an event or view with its type, at least one action (each an
    object), the trigger a modal is opened with on a button, shortcut or command, and the URL
    a button under a message, a message shortcut or a command is answered at (any response
    URL an http(s) URL: Bolt would fail posting to anything else, after the work is done)."""
    if any(not isinstance(body.get(key, {}), dict) for key in _OBJECTS):
        return False
    kind = body.get("type")
    if kind == "event_callback":
        return isinstance(body.get("event"), dict) and isinstance(body["event"].get("type"), str)
    if kind in ("view_submission", "view_closed"):
        return isinstance(body.get("view"), dict) and isinstance(body["view"].get("type"), str)
    actions = body.get("actions")
    if kind == "block_actions" and not (isinstance(actions, list) and actions and all(
            isinstance(a, dict) for a in actions)):
        return False
    command = "command" in body
    if (kind in ("block_actions", "message_action", "shortcut") or command) and not isinstance(
            body.get("trigger_id"), str):
        return False
    # Buttons under a message, message shortcuts and commands are answered at their URL.
    answered_at_url = ((kind == "block_actions" and "view" not in body)
                       or kind == "message_action" or command)
    if "response_url" in body and not postable(body["response_url"]):
        return False
    urls = body.get("response_urls", [])  # a modal's: Bolt answers at the first
    if not isinstance(urls, list) or not all(
            isinstance(u, dict) and postable(u.get("response_url")) for u in urls):
        return False
    return not answered_at_url or "response_url" in body


_URL_CHARACTERS = re.compile(r"^[\x21-\x7e]{1,2000}$")  # printable ASCII, no spaces


def postable(url: object) -> bool:
    """Whether a response URL is one an answer can be posted to: http(s), with a host."""
    if not isinstance(url, str) or not _URL_CHARACTERS.match(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # a port that is not a number raises here
    except ValueError:  # an address in brackets that is not one
        return False
    return parts.scheme in ("https", "http") and bool(parts.hostname)


def slack_payload(body: object) -> bool:
    """Whether a request's parsed body is a Slack payload Bolt may be given (an event, a
    command, interactivity, or the SSL check Slack sends a command's URL now and then)."""
    return isinstance(body, dict) and bool(body.get("type", body.get(
        "command", body.get("ssl_check")))) and well_formed(body)


def events_endpoint(bolt: AsyncApp, runtime: SlackRuntime) -> Callable[[Request], Any]:
    """`POST /slack/events`: events, slash commands and interactivity, as Bolt expects.

    While the process has as many answers in hand as it may (`SlackRuntime.full`), an event
    is refused with 503 before Bolt acks it, so that Slack delivers it again later.
    """
    config = runtime.config

    async def endpoint(request: Request) -> Response:
        try:  # 413 over MAX_BODY, 408 when slow, 400 when the client went away mid-body
            body = await limited_body(request, MAX_BODY, BODY_TIMEOUT)
        except WebhookRejected as exc:
            return _refused(exc.status, exc.reason)
        if not signed_by_slack(config.signing_secret, body, request.headers, time.time()):
            return _refused(401, "the signature or its timestamp is not valid")
        try:
            bolt_request = to_async_bolt_request(request, body)
        except (UnicodeDecodeError, ValueError, TypeError, AttributeError, KeyError,
                RecursionError):  # RecursionError: JSON nested thousands deep
            return _refused(400, "the body is not a Slack payload")
        if not slack_payload(bolt_request.body):
            return _refused(400, "the body is not a Slack payload")
        if bolt_request.body.get("type") == "event_callback" and runtime.full:
            return _refused(503, "busy answering: deliver the event again later")
        return to_starlette_response(await bolt.async_dispatch(bolt_request))

    return endpoint


@asynccontextmanager
async def _socket_mode(bolt: AsyncApp, config: SlackConfig) -> AsyncIterator[None]:
    """Connected to Slack over Socket Mode while the server runs."""
    from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
    from slack_sdk.socket_mode.aiohttp import SocketModeClient
    from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
    from slack_sdk.socket_mode.request import SocketModeRequest
    from slack_sdk.socket_mode.response import SocketModeResponse

    class CheckedClient(SocketModeClient):
        """Acknowledges an envelope whose payload is not an object (a list, a number) without
        reading it: the SDK fails on one (with a traceback) before any handler runs."""

        async def run_message_listeners(self, message: dict[str, Any], raw_message: str) -> None:
            if "envelope_id" in message and not isinstance(message.get("payload"), dict):
                log.warning("slack request refused: a Socket Mode payload that is not Slack's")
                await self.send_socket_mode_response(
                    SocketModeResponse(str(message["envelope_id"])))
                return
            await super().run_message_listeners(message, raw_message)

    class CheckedHandler(AsyncSocketModeHandler):
        """Acknowledges a payload that is not Slack's without giving it to Bolt (as the HTTP
        endpoint refuses it with 400), so that it is neither failed on nor delivered again."""

        def __init__(self, app: AsyncApp, app_token: str, logger: logging.Logger,
                     web_client: Any) -> None:
            # As Bolt's (its ping interval too), with the checked client: calling Bolt's
            # would open a client, and its session, that is never used.
            self.app, self.app_token = app, app_token
            self.client = CheckedClient(app_token=app_token, logger=logger,
                                        web_client=web_client, ping_interval=10)
            self.client.socket_mode_request_listeners.append(self.handle)

        async def handle(self, client: AsyncBaseSocketModeClient,
                         req: SocketModeRequest) -> None:
            if slack_payload(req.payload):
                await super().handle(client, req)  # type: ignore[arg-type]
                return
            log.warning("slack request refused: a Socket Mode payload that is not Slack's")
            await client.send_socket_mode_response(SocketModeResponse(req.envelope_id))

    handler = CheckedHandler(bolt, app_token=config.app_token or "", logger=library_logger(),
                             web_client=bolt.client)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    log.info("slack: connected over Socket Mode")
    try:
        yield
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class SlackPlatform:
    """What `forumbot serve` runs for Slack: routes (HTTP mode), the DM sender of the outbox,
    and what runs while the server does (the Socket Mode connection)."""

    bolt: AsyncApp
    routes: list[BaseRoute]
    sender: SlackSender
    running: Callable[[], AbstractAsyncContextManager[None]]


def slack_platform(app: App, config: SlackConfig,
                   clock: Callable[[], datetime] = utc_now) -> SlackPlatform:
    """Slack for `forumbot serve`: Socket Mode with an app token, else the HTTP endpoint."""
    bolt, runtime = build_bolt(app, config, clock)
    sender = SlackSender(sync_client(config), app.renderer)

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        # One connection pool for every Web API call while serving (a session per call
        # would open a connection per call).
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=config.api_timeout),
                                         connector=aiohttp.TCPConnector(limit=64)) as session:
            bolt.client.session = session
            try:
                if config.socket_mode:
                    async with _socket_mode(bolt, config):
                        yield
                else:
                    yield
            finally:
                bolt.client.session = None
                runtime.threads.shutdown(wait=False)

    routes: list[BaseRoute] = [] if config.socket_mode else [
        Route(PATH, events_endpoint(bolt, runtime), methods=["POST"])]
    return SlackPlatform(bolt, routes, sender, running)
