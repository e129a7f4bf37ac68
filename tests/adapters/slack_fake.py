"""Slack played on 127.0.0.1 for the adapter's tests, and `forumbot serve` running against it.

`FakeSlack` is the Web API, the response URLs and a Socket Mode WebSocket, recording every
call. `SlackClient` sends a server requests signed as Slack signs them. `Serve` runs the real
Starlette app of `forumbot serve` (Bolt mounted on it) under uvicorn on a free port, and is
such a client of itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
import uvicorn
from aiohttp import WSMsgType, web

from bot.app import App, utc_now
from bot.contracts.demo import demo_dataset

BOT_USER = "UBOT"
TEAM = "T1"


@dataclass
class Call:
    """One Web API call or response-URL post as it reached the fake."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeSlack:
    """Records every call; `moderators` are the user group's members."""

    moderators: list[str] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # method -> status to answer once
    # method -> Slack's error code to answer once with (200 and `"ok": false`, as Slack does)
    refuse: dict[str, str] = field(default_factory=dict)
    # method -> the body to answer once with instead of the usual (Slack's answer changed)
    answer: dict[str, dict[str, Any]] = field(default_factory=dict)
    # channel -> status to answer the next chat.postMessage to it with, once
    fail_in: dict[str, int] = field(default_factory=dict)
    # channel -> Slack's error code to refuse the next chat.postMessage to it with, once
    refuse_in: dict[str, str] = field(default_factory=dict)
    # method -> seconds to wait once before answering (the call is done and recorded first)
    delay: dict[str, float] = field(default_factory=dict)
    socket_acks: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _envelopes: asyncio.Queue[dict[str, Any]] | None = None

    @property
    def url(self) -> str:
        """The fake's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """Where the Web API methods are (SLACK_API_URL)."""
        return f"{self.url}/api/"

    def response_url(self, name: str) -> str:
        """A response URL for a command or button payload."""
        return f"{self.url}/response/{name}"

    def of(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method` so far."""
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The calls of `method` once there are `count` of them (or what came by `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.of(method)
            if len(found) >= count:
                return found
            time.sleep(0.01)
        return self.of(method)

    def acked(self, envelope_id: str, timeout: float = 10.0) -> bool:
        """Whether the Socket Mode client acknowledged the envelope (waiting up to `timeout`)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if any(a.get("envelope_id") == envelope_id for a in self.socket_acks):
                    return True
            time.sleep(0.01)
        return False

    # -- the server

    def _record(self, method: str, params: dict[str, Any]) -> None:
        with self._lock:
            self.calls.append(Call(method, params))

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if request.content_type == "application/json" and raw:
            params.update(json.loads(raw))
        elif raw:
            params.update(dict(parse_qsl(raw, keep_blank_values=True)))
        for key in ("blocks", "view"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        params["_token"] = request.headers.get("Authorization", "")
        ts = f"1700000000.{next(self._ts):06d}"
        params["_ts"] = ts  # the ts a posted message gets
        self._record(method, params)
        with self._lock:
            wait = self.delay.pop(method, None)
        if wait is not None:
            await asyncio.sleep(wait)
        status = self.fail.pop(method, None)
        if status is None and method == "chat.postMessage":
            with self._lock:
                status = self.fail_in.pop(str(params.get("channel")), None)
        if status is not None:
            return web.json_response({"ok": False, "error": "fake_failure"}, status=status)
        with self._lock:
            refused = self.refuse.pop(method, None)
            if refused is None and method == "chat.postMessage":
                refused = self.refuse_in.pop(str(params.get("channel")), None)
        if refused is not None:
            return web.json_response({"ok": False, "error": refused})
        with self._lock:
            instead = self.answer.pop(method, None)
        if instead is not None:
            return web.json_response(instead)
        body: dict[str, Any] = {"ok": True}
        if method == "auth.test":
            body |= {"user_id": BOT_USER, "team_id": TEAM, "bot_id": "BBOT", "user": "forumbot",
                     "team": "Test", "url": "https://test.slack.com/"}
        elif method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            body |= {"ts": params.get("ts", ts), "channel": params.get("channel"),
                     "message_ts": ts}
        elif method == "conversations.open":
            body |= {"channel": {"id": "D" + str(params.get("users", "")).split(",")[0]}}
        elif method in ("views.open", "views.update", "views.push"):
            view = params.get("view") or {}
            body |= {"view": view | {"id": params.get("view_id", "V1"), "hash": "h1"}}
        elif method == "usergroups.users.list":
            body |= {"users": list(self.moderators)}
        elif method == "usergroups.list":
            body |= {"usergroups": [{"id": "S1", "handle": "moderators", "name": "Moderators"}]}
        elif method == "chat.getPermalink":
            body |= {"permalink": f"https://test.slack.com/archives/{params.get('channel')}/"
                                  f"p{str(params.get('message_ts', '')).replace('.', '')}"}
        elif method == "apps.connections.open":
            body |= {"url": f"ws://127.0.0.1:{self.port}/socket"}
        return web.json_response(body)

    async def _response(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        params["_url"] = request.match_info["name"]
        self._record("response_url", params)
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})
        assert self._envelopes is not None

        async def sender() -> None:
            assert self._envelopes is not None
            while True:
                envelope = await self._envelopes.get()
                await ws.send_json(envelope)

        task = asyncio.create_task(sender())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    with self._lock:
                        self.socket_acks.append(json.loads(msg.data))
        finally:
            task.cancel()
        return ws

    def send_envelope(self, envelope: dict[str, Any]) -> None:
        """Push a Socket Mode envelope to the connected client."""
        assert self._loop is not None and self._envelopes is not None
        self._loop.call_soon_threadsafe(self._envelopes.put_nowait, envelope)

    def start(self) -> Callable[[], None]:
        """Serve on a free port of 127.0.0.1 in a thread; returns the stopper."""
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        self._loop = loop
        runner_box: list[web.AppRunner] = []

        async def serve() -> None:
            self._envelopes = asyncio.Queue()
            app = web.Application()
            app.router.add_post("/api/{method}", self._api)
            app.router.add_get("/api/{method}", self._api)
            app.router.add_post("/response/{name}", self._response)
            app.router.add_get("/socket", self._socket)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
            runner_box.append(runner)
            ready.set()

        thread = threading.Thread(target=lambda: (loop.run_until_complete(serve()),
                                                  loop.run_forever()), daemon=True)
        thread.start()
        ready.wait(10)

        def stop() -> None:
            async def cleanup() -> None:
                await runner_box[0].cleanup()
            asyncio.run_coroutine_threadsafe(cleanup(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()

        return stop


SECRET = "signing-secret-for-tests"


def link_member(app: App, user: str = "UMEMBER") -> None:
    """Import the demo contracts and link `user` of team T1 to the demo account."""
    now = datetime.now(UTC)
    app.contracts.import_dataset(demo_dataset(now.date()))
    code = app.links.issue_code("acc-demo", now)
    app.links.redeem(f"slack:{TEAM}/{user}", "slack", code, now)


def logged_within(caplog: pytest.LogCaptureFixture, words: str, within: float = 15.0) -> bool:
    """Whether `words` reach the captured log within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if words in caplog.text:
            return True
        time.sleep(0.02)
    return False


def signed_headers(body: str, secret: str = SECRET, at: float | None = None) -> dict[str, str]:
    """The headers Slack sends: the timestamp and the v0 HMAC-SHA256 signature."""
    stamp = str(int(time.time() if at is None else at))
    digest = hmac.new(secret.encode(), f"v0:{stamp}:{body}".encode(), hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest.hexdigest()}"}


_event_ids = itertools.count(1)


def mention_event(text: str, user: str = "UMEMBER", channel: str = "CGENERAL",
                  ts: str = "1700000100.000100", **event: Any) -> dict[str, Any]:
    """An `app_mention` event callback, as Slack sends it."""
    return event_callback({"type": "app_mention", "user": user, "text": text,
                           "channel": channel, "ts": ts, "team": TEAM} | event)


def message_event(text: str, user: str = "UMEMBER", channel: str = "DMEMBER",
                  ts: str = "1700000200.000100", **event: Any) -> dict[str, Any]:
    """A `message` event callback (a DM unless the channel says otherwise)."""
    channel_type = "im" if channel.startswith("D") else "channel"
    return event_callback({"type": "message", "user": user, "text": text, "channel": channel,
                           "ts": ts, "team": TEAM, "channel_type": channel_type} | event)


def event_callback(event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An Events API envelope around `event`."""
    return {"token": "unused", "team_id": TEAM, "api_app_id": "AAPP", "type": "event_callback",
            "event_id": event_id or f"Ev{next(_event_ids):08d}", "event_time": 1700000000,
            "event": event, "authorizations": [{"team_id": TEAM, "user_id": BOT_USER,
                                                "is_bot": True}]}


class SlackClient:
    """Sends requests to `POST /slack/events` of a `forumbot serve` at `url`, signed as Slack
    signs them, with response URLs on `fake`."""

    def __init__(self, url: str, fake: FakeSlack) -> None:
        self.url = url
        self.fake = fake
        self._http = httpx.Client(base_url=url, timeout=20)

    def close(self) -> None:
        """Close the client's connections."""
        self._http.close()

    def post(self, body: str, content_type: str, headers: dict[str, str] | None = None,
             retry: int | None = None) -> httpx.Response:
        """POST /slack/events with a correctly signed body (unless `headers` replace them)."""
        signed = signed_headers(body) if headers is None else headers
        sent = {"Content-Type": content_type} | signed
        if retry is not None:
            sent |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self._http.post("/slack/events", content=body, headers=sent)

    def event(self, payload: dict[str, Any], retry: int | None = None) -> httpx.Response:
        """An Events API delivery, as JSON."""
        return self.post(json.dumps(payload), "application/json", retry=retry)

    def command(self, command: str, text: str = "", user: str = "UMEMBER",
                channel: str = "CGENERAL") -> httpx.Response:
        """A slash command, as form fields."""
        form = {"command": command, "text": text, "user_id": user, "user_name": "member",
                "team_id": TEAM, "channel_id": channel, "channel_name": "general",
                "response_url": self.fake.response_url(f"cmd-{next(_event_ids)}"),
                "trigger_id": f"trigger-{next(_event_ids)}", "api_app_id": "AAPP"}
        return self.post(urlencode(form), "application/x-www-form-urlencoded")

    def interact(self, payload: dict[str, Any]) -> httpx.Response:
        """An interactivity payload (buttons, modals, shortcuts), as the `payload` form field."""
        payload = {"team": {"id": TEAM, "domain": "test"}, "api_app_id": "AAPP",
                   "token": "unused"} | payload
        return self.post(urlencode({"payload": json.dumps(payload)}),
                         "application/x-www-form-urlencoded")

    def click(self, action: dict[str, Any], user: str = "UMEMBER", channel: str = "CGENERAL",
              message: dict[str, Any] | None = None, ephemeral: bool = False) -> httpx.Response:
        """A button under a message: `action` is the button as the bot posted it."""
        container = {"type": "message", "channel_id": channel, "is_ephemeral": ephemeral,
                     "message_ts": (message or {}).get("ts", "1700000300.000100")}
        payload: dict[str, Any] = {
            "type": "block_actions", "user": {"id": user, "team_id": TEAM},
            "channel": {"id": channel}, "container": container,
            "trigger_id": f"trigger-{next(_event_ids)}",
            "response_url": self.fake.response_url(f"click-{next(_event_ids)}"),
            "actions": [{"type": "button", "action_id": action["action_id"],
                         "block_id": "b1", "value": action.get("value", ""),
                         "action_ts": "1700000400.000100"}]}
        if message is not None and not ephemeral:
            payload["message"] = message
        return self.interact(payload)


class Serve(SlackClient):
    """`forumbot serve` on a free port of 127.0.0.1 with Slack configured against `fake`."""

    def __init__(self, app: App, fake: FakeSlack, environ: dict[str, str] | None = None,
                 clock: Callable[[], datetime] = utc_now) -> None:
        from adapters.http_app import create_http_app
        from adapters.slack.config import slack_config
        from adapters.slack.slack_app import slack_platform

        config = slack_config({"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
                               "SLACK_API_URL": fake.api_url,
                               "FORUMBOT_SLACK_MODERATOR_CHANNEL": "CMODS",
                               "FORUMBOT_SLACK_HELP_CHANNELS": "CHELP",
                               "FORUMBOT_SLACK_MODERATOR_GROUP": "S1"} | (environ or {}))
        assert config is not None
        self.platform = slack_platform(app, config, clock)
        asgi = create_http_app(app, None, senders=[self.platform.sender],
                               routes=self.platform.routes, running=[self.platform.running])
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(asgi, log_level="warning"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        super().__init__(url, fake)

    def stop(self) -> None:
        """Stop the server and wait for it."""
        self.close()
        self._server.should_exit = True
        self._thread.join(30)


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The buttons of a message's blocks."""
    return [element for block in blocks if block.get("type") == "actions"
            for element in block["elements"]]


def texts(blocks: list[dict[str, Any]]) -> str:
    """The text of a message's section and context blocks, joined."""
    found = []
    for block in blocks:
        if block.get("type") == "section":
            found.append(block["text"]["text"])
        elif block.get("type") == "context":
            found.extend(e.get("text", "") for e in block["elements"])
    return "\n".join(found)
