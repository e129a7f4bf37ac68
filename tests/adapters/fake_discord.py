"""A fake Discord on 127.0.0.1 for tests: the REST API and the gateway the real discord.py uses.

It serves what forumbot's adapter calls (login, application info, the gateway URL, messages,
DM channels, threads, interaction callbacks, follow-ups, command sync) and records every
request, so that tests assert on what reached "Discord". Facts discord.py relies on: JSON
responses carry `Content-Type: application/json` exactly; a 429 has a `Via` header and
`retry_after`; optional fields are absent, not null; the gateway compresses each connection
as one zlib stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

API = "/api/v10"
DISCORD_EPOCH_MS = 1420070400000
BOT_ID = "900000000000000001"
APP_ID = "900000000000000002"
OWNER_ID = "900000000000000003"
GUILD_ID = "910000000000000001"
EVERYONE_PERMISSIONS = "1071698660928"  # view, send, read history, use application commands
MANAGE_MESSAGES = 1 << 13
JSONObject = dict[str, Any]


def _now_iso() -> str:
    return datetime.now(UTC).isoformat()


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly `application/json`, as Discord sends."""
    return web.Response(body=json.dumps(data).encode(), status=status,
                        headers={"Content-Type": "application/json", **(headers or {})})


@dataclass
class Request:
    """One REST request that reached the fake."""

    method: str
    path: str
    body: Any
    query: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived


@dataclass
class Connection:
    """One gateway connection: its socket and its zlib stream."""

    ws: web.WebSocketResponse
    compressor: Any | None
    identified: bool = False
    resumed: bool = False
    shard: tuple[int, int] | None = None  # [id, count] from IDENTIFY


@dataclass
class FakeDiscord:
    """The fake; `start()` binds a free port on 127.0.0.1."""

    text_channels: dict[str, str] = field(default_factory=dict)   # id -> name
    forum_channels: dict[str, str] = field(default_factory=dict)  # id -> name
    roles: dict[str, str] = field(default_factory=dict)           # id -> name
    closed_dms: set[str] = field(default_factory=set)             # user ids that refuse DMs
    requests: list[Request] = field(default_factory=list)
    gateway_ops: list[JSONObject] = field(default_factory=list)   # what clients sent
    connections: list[Connection] = field(default_factory=list)
    session_id: str = "fake-session-1"
    sequence: int = 0
    heartbeat_interval_ms: int = 41250
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _rate_limits: list[tuple[re.Pattern[str], float]] = field(default_factory=list)
    _dm_channels: dict[str, str] = field(default_factory=dict)    # user id -> channel id
    _dm_owner: dict[str, str] = field(default_factory=dict)       # channel id -> user id
    _threads: dict[str, JSONObject] = field(default_factory=dict)
    messages: dict[str, JSONObject] = field(default_factory=dict)  # every message, by id
    expired: set[str] = field(default_factory=set)                 # interaction ids too old
    channel_edits: list[tuple[str, JSONObject]] = field(default_factory=list)  # PATCH channel
    _interaction_channels: dict[str, str] = field(default_factory=dict)
    _posted: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    port: int = 0
    valid_token: str | None = None  # when set, any other token is refused (401)

    # ---- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/", self._gateway)
        app.router.add_route("*", API + "/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Close every gateway connection and stop serving."""
        for conn in list(self.connections):
            await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        """What `discord.http.Route.BASE` is patched to."""
        return f"http://127.0.0.1:{self.port}{API}"

    @property
    def gateway_url(self) -> str:
        """What `DiscordWebSocket.DEFAULT_GATEWAY` is patched to."""
        return f"ws://127.0.0.1:{self.port}/"

    # ---- ids and objects -------------------------------------------------------------------

    def snowflake(self) -> str:
        """A new id, increasing with time like Discord's."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) + next(self._ids) % (1 << 22))

    @staticmethod
    def user(user_id: str, name: str = "member", bot: bool = False) -> JSONObject:
        """A user object; optional fields absent."""
        data: JSONObject = {"id": user_id, "username": name, "discriminator": "0",
                            "global_name": name, "avatar": None}
        if bot:
            data["bot"] = True
        return data

    def bot_user(self) -> JSONObject:
        """The bot's own user."""
        return self.user(BOT_ID, "forumbot", bot=True)

    def member(self, user_id: str, name: str = "member", roles: tuple[str, ...] = (),
               permissions: int | None = None) -> JSONObject:
        """A guild member object with its user (as interactions carry it)."""
        data: JSONObject = {"user": self.user(user_id, name), "roles": list(roles),
                            "joined_at": _now_iso(), "deaf": False, "mute": False, "flags": 0}
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data

    def _channel(self, channel_id: str) -> JSONObject:
        if channel_id in self._dm_owner:
            return {"id": channel_id, "type": 1, "last_message_id": None,
                    "recipients": [self.user(self._dm_owner[channel_id])]}
        if channel_id in self._threads:
            return self._threads[channel_id]
        kind = 15 if channel_id in self.forum_channels else 0
        name = self.forum_channels.get(channel_id) or self.text_channels.get(channel_id, "x")
        return {"id": channel_id, "type": kind, "guild_id": GUILD_ID, "name": name,
                "position": 0, "permission_overwrites": [], "nsfw": False}

    def _guild(self) -> JSONObject:
        roles = [{"id": GUILD_ID, "name": "@everyone", "permissions": EVERYONE_PERMISSIONS,
                  "position": 0, "color": 0, "hoist": False, "managed": False,
                  "mentionable": False, "flags": 0}]
        roles += [{"id": rid, "name": name, "permissions": "0", "position": i + 1, "color": 0,
                   "hoist": False, "managed": False, "mentionable": True, "flags": 0}
                  for i, (rid, name) in enumerate(self.roles.items())]
        channels = [self._channel(cid) for cid in (*self.text_channels, *self.forum_channels)]
        for channel in channels:
            channel.pop("guild_id", None)
        me = {k: v for k, v in self.member(BOT_ID, "forumbot").items()}
        me["user"] = self.bot_user()
        return {"id": GUILD_ID, "name": "Fake guild", "unavailable": False, "member_count": 2,
                "owner_id": OWNER_ID, "roles": roles, "channels": channels, "threads": [],
                "members": [me], "emojis": [], "stickers": [], "features": [], "large": False,
                "voice_states": [], "presences": [], "joined_at": _now_iso(),
                "premium_tier": 0, "mfa_level": 0, "verification_level": 0,
                "explicit_content_filter": 0, "default_message_notifications": 0,
                "nsfw_level": 0, "preferred_locale": "en-US", "system_channel_flags": 0}

    def message(self, channel_id: str, content: str, author: JSONObject,
                **extra: Any) -> JSONObject:
        """A message object as Discord returns it."""
        data: JSONObject = {"id": self.snowflake(), "channel_id": channel_id, "author": author,
                            "content": content, "timestamp": _now_iso(),
                            "edited_timestamp": None, "tts": False, "mention_everyone": False,
                            "mentions": [], "mention_roles": [], "attachments": [],
                            "embeds": [], "pinned": False, "type": 0, "flags": 0,
                            "components": []}
        data.update(extra)
        self.messages[data["id"]] = data
        return data

    # ---- what tests inject -----------------------------------------------------------------

    def rate_limit_next(self, path_pattern: str, retry_after: float = 0.05) -> None:
        """The next request whose path matches gets a 429 with `retry_after` (and a Via)."""
        self._rate_limits.append((re.compile(path_pattern), retry_after))

    async def dispatch(self, event: str, data: JSONObject) -> None:
        """Send one DISPATCH event to the sessions of the shard it belongs to, as Discord
        does: a guild's events to shard (guild id >> 22) % count, DMs to shard 0."""
        self.sequence += 1
        payload = {"op": 0, "t": event, "s": self.sequence, "d": data}
        guild = data.get("guild_id")
        for conn in self.connections:
            if not conn.identified or conn.ws.closed:
                continue
            if conn.shard is None or conn.shard[0] == (
                    (int(guild) >> 22) % conn.shard[1] if guild else 0):
                await self._send(conn, payload)

    async def mention(self, user_id: str, text: str, channel_id: str,
                      roles: tuple[str, ...] = (), **extra: Any) -> JSONObject:
        """A member's message in a guild channel that mentions the bot: `<@bot> text`."""
        data = self.message(channel_id, f"<@{BOT_ID}> {text}", self.user(user_id),
                            mentions=[self.bot_user()], guild_id=GUILD_ID, **extra)
        member = self.member(user_id, roles=roles)
        member.pop("user")
        data["member"] = member
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def guild_message(self, user_id: str, text: str, channel_id: str,
                            **extra: Any) -> JSONObject:
        """A member's message in a guild channel, mentioning nobody."""
        data = self.message(channel_id, text, self.user(user_id), guild_id=GUILD_ID, **extra)
        member = self.member(user_id)
        member.pop("user")
        data["member"] = member
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def direct_message(self, user_id: str, text: str, **extra: Any) -> JSONObject:
        """A member's message to the bot in their DM channel."""
        channel_id = self._dm_channel(user_id)
        data = self.message(channel_id, text, self.user(user_id), **extra)
        await self.dispatch("MESSAGE_CREATE", data)
        return data

    async def forum_post(self, user_id: str, forum_id: str, title: str,
                         text: str) -> JSONObject:
        """A new post in a forum channel: THREAD_CREATE, then its first message."""
        thread_id = self.snowflake()
        thread = {"id": thread_id, "guild_id": GUILD_ID, "parent_id": forum_id,
                  "owner_id": user_id, "name": title, "type": 11, "last_message_id": thread_id,
                  "member_count": 1, "message_count": 1, "rate_limit_per_user": 0, "flags": 0,
                  "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                      "archive_timestamp": _now_iso(), "locked": False},
                  "applied_tags": [], "total_message_sent": 1}
        self._threads[thread_id] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        first = self.message(thread_id, text, self.user(user_id), guild_id=GUILD_ID)
        first["id"] = thread_id  # a forum post's first message has the thread's id
        member = self.member(user_id)
        member.pop("user")
        first["member"] = member
        await self.dispatch("MESSAGE_CREATE", first)
        return thread

    async def interaction(self, kind: int, data: JSONObject, user_id: str,
                          channel_id: str | None = None, roles: tuple[str, ...] = (),
                          permissions: int = int(EVERYONE_PERMISSIONS),
                          message: JSONObject | None = None,
                          expired: bool = False) -> JSONObject:
        """An INTERACTION_CREATE; in a guild channel unless `channel_id` is a DM channel.
        `permissions` are the member's in the channel (by default @everyone's: they may post).
        An `expired` one is older than its token: Discord refuses its responses."""
        channel_id = channel_id or self._dm_channel(user_id)
        payload: JSONObject = {
            "id": self.snowflake(), "application_id": APP_ID, "type": kind,
            "token": f"token-{self.snowflake()}", "version": 1, "data": data,
            "channel_id": channel_id, "channel": self._channel(channel_id),
            "app_permissions": "2251799813685247", "locale": "en-US",
            "attachment_size_limit": 8388608, "entitlements": [],
        }
        if channel_id in self._dm_owner:
            payload["user"] = self.user(user_id)
            payload["context"] = 1
            payload["authorizing_integration_owners"] = {"1": user_id}
        else:
            payload["guild_id"] = GUILD_ID
            payload["guild_locale"] = "en-US"
            payload["member"] = self.member(user_id, roles=roles, permissions=permissions)
            payload["context"] = 0
            payload["authorizing_integration_owners"] = {"0": GUILD_ID}
        if message is not None:
            payload["message"] = message
        self._interaction_channels[payload["id"]] = channel_id
        if expired:
            self.expired.add(payload["id"])
        await self.dispatch("INTERACTION_CREATE", payload)
        return payload

    async def drop_connections(self, code: int = 4000) -> None:
        """Close every gateway connection with `code` (4000: the client should resume)."""
        for conn in list(self.connections):
            await conn.ws.close(code=code)

    # ---- what tests read -------------------------------------------------------------------

    def posts(self, method: str = "POST", pattern: str = ".*") -> list[Request]:
        """The recorded requests of a method whose path matches."""
        matcher = re.compile(pattern)
        return [r for r in self.requests if r.method == method and matcher.fullmatch(r.path)]

    def callbacks(self, interaction: JSONObject) -> list[JSONObject]:
        """The interaction responses sent for one interaction."""
        path = f"/interactions/{interaction['id']}/{interaction['token']}/callback"
        return [r.body for r in self.requests if r.path == path]

    def followups(self, interaction: JSONObject) -> list[Request]:
        """Follow-ups and edits of the original response of one interaction."""
        prefix = f"/webhooks/{APP_ID}/{interaction['token']}"
        return [r for r in self.requests if r.path.startswith(prefix)]

    def dm_channel_of(self, user_id: str) -> str:
        """The DM channel id of a user (opened if needed)."""
        return self._dm_channel(user_id)

    async def wait_for(self, check: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Wait until `check()` returns something truthy; returns it."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = check()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("the fake Discord did not see what the test waited for")
            self._posted.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._posted.wait(), 0.05)

    # ---- REST ------------------------------------------------------------------------------

    def _dm_channel(self, user_id: str) -> str:
        if user_id not in self._dm_channels:
            channel_id = self.snowflake()
            self._dm_channels[user_id] = channel_id
            self._dm_owner[channel_id] = user_id
        return self._dm_channels[user_id]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["tail"]
        raw = await request.read()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        self.requests.append(Request(request.method, path, body, dict(request.query)))
        self._posted.set()
        token = request.headers.get("Authorization", "").removeprefix("Bot ")
        if self.valid_token is not None and path.startswith("/users/@me") and \
                token != self.valid_token:
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        for i, (pattern, retry_after) in enumerate(self._rate_limits):
            if pattern.fullmatch(path):
                del self._rate_limits[i]
                return _json({"message": "You are being rate limited.",
                              "retry_after": retry_after, "global": False}, status=429,
                             headers={"Via": "1.1 google", "X-RateLimit-Scope": "user"})
        return await self._route(request.method, path, body, dict(request.query))

    async def _route(self, method: str, path: str, body: Any,
                     query: dict[str, str]) -> web.Response:
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/@me":
            return _json(self.bot_user())
        if method == "GET" and path == "/oauth2/applications/@me":
            return _json({"id": APP_ID, "name": "forumbot", "description": "", "icon": None,
                          "bot_public": True, "bot_require_code_grant": False,
                          "verify_key": "0" * 64, "flags": 0,
                          "owner": self.user(OWNER_ID, "owner")})
        if method == "GET" and path.rstrip("/") in ("/gateway", "/gateway/bot"):
            return _json({"url": self.gateway_url.rstrip("/"), "shards": 1,
                          "session_start_limit": {"total": 1000, "remaining": 999,
                                                  "reset_after": 0, "max_concurrency": 1}})
        if method == "PUT" and parts[0] == "applications" and parts[-1] == "commands":
            return _json([{"description": "", **c, "id": self.snowflake(), "application_id": APP_ID,
                           "version": self.snowflake(), "default_member_permissions": None,
                           "dm_permission": True, "nsfw": False}
                          for c in body or []])
        if method == "POST" and path == "/users/@me/channels":
            return _json(self._channel(self._dm_channel(str(body["recipient_id"]))))
        if parts[0] == "channels" and len(parts) == 3 and parts[2] == "messages":
            if method != "POST":
                return _json(self._history(parts[1], query))
            return self._create_message(parts[1], body)
        if parts[0] == "channels" and len(parts) == 2:
            return self._channel_request(method, parts[1], body)
        if parts[0] == "channels" and len(parts) == 4 and method == "GET":
            found = self.messages.get(parts[3])
            if found is None or found["channel_id"] != parts[1]:
                return _json({"message": "Unknown Message", "code": 10008}, status=404)
            return _json(found)
        if parts[0] == "channels" and "reactions" in parts:
            return web.Response(status=204)
        if parts[0] == "channels" and len(parts) == 4 and method == "PATCH":
            found = self.messages.get(parts[3])
            if found is not None and found["channel_id"] == parts[1]:
                found.update({k: v for k, v in body.items() if k in ("content", "components")},
                             edited_timestamp=_now_iso())
                return _json(found)
            return _json(self.message(parts[1], body.get("content") or "", self.bot_user(),
                                      id=parts[3]))
        if parts[0] == "channels" and len(parts) == 5 and parts[4] == "threads":
            thread_id = parts[3]  # a thread started from a message has the message's id
            thread = {"id": thread_id, "guild_id": GUILD_ID, "parent_id": parts[1],
                      "owner_id": BOT_ID, "name": body.get("name", "thread"), "type": 11,
                      "member_count": 1, "message_count": 0, "rate_limit_per_user": 0,
                      "flags": 0, "thread_metadata": {
                          "archived": False, "auto_archive_duration": 1440,
                          "archive_timestamp": _now_iso(), "locked": False}}
            self._threads[thread_id] = thread
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
            return _json(thread, status=201)
        if parts[0] == "interactions" and parts[-1] == "callback":
            if parts[1] in self.expired:
                return _json({"message": "Unknown interaction", "code": 10062}, status=404)
            return self._interaction_callback(parts[1], body)
        if parts[0] == "webhooks":
            if method == "DELETE":
                return web.Response(status=204)
            content = (body or {}).get("content") or ""
            return _json(self.message("0", content, self.bot_user(), webhook_id=APP_ID,
                                      components=(body or {}).get("components", []),
                                      flags=(body or {}).get("flags", 0)))
        return _json({"message": "404: Not Found", "code": 0}, status=404)

    def _history(self, channel_id: str, query: dict[str, str]) -> list[JSONObject]:
        """A channel's messages, newest first, `before`/`after` an id, at most `limit`."""
        before, after = int(query.get("before", 1 << 63)), int(query.get("after", 0))
        found = [m for m in self.messages.values() if m["channel_id"] == channel_id
                 and after < int(m["id"]) < before]
        found.sort(key=lambda m: int(m["id"]), reverse=True)
        return found[: int(query.get("limit", 50))]

    def _channel_request(self, method: str, channel_id: str, body: Any) -> web.Response:
        """GET or PATCH one channel or thread (a thread's new name is kept)."""
        thread = self._threads.get(channel_id)
        if thread is None:
            if method == "GET" and (channel_id in self.text_channels or
                                    channel_id in self._dm_owner):
                return _json(self._channel(channel_id))
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if method == "PATCH":
            thread.update({k: v for k, v in (body or {}).items() if k == "name"})
            self.channel_edits.append((channel_id, dict(body or {})))
        return _json(thread)

    def _create_message(self, channel_id: str, body: JSONObject) -> web.Response:
        owner = self._dm_owner.get(channel_id)
        if owner is not None and owner in self.closed_dms:
            return _json({"message": "Cannot send messages to this user", "code": 50007},
                         status=403)
        extra: JSONObject = {"components": body.get("components", [])}
        reference = body.get("message_reference")
        if reference:
            extra["message_reference"] = {k: str(v) for k, v in reference.items()
                                          if k in ("message_id", "channel_id", "guild_id")}
            extra["type"] = 19
            original = self.messages.get(str(reference.get("message_id")))
            if original is not None:
                extra["referenced_message"] = original
        return _json(self.message(channel_id, body.get("content") or "", self.bot_user(),
                                  **extra))

    def _interaction_callback(self, interaction_id: str, body: JSONObject) -> web.Response:
        kind = body.get("type")
        data: JSONObject = {"interaction": {"id": interaction_id, "type": 2}}
        if kind in (4, 7):
            sent = body.get("data") or {}
            message = self.message(self._interaction_channels.get(interaction_id, "0"),
                                   sent.get("content") or "", self.bot_user(),
                                   components=sent.get("components", []),
                                   flags=sent.get("flags", 0))
            data["resource"] = {"type": kind, "message": message}
            data["interaction"]["response_message_id"] = message["id"]
        return _json(data)

    # ---- gateway ---------------------------------------------------------------------------

    async def _send(self, conn: Connection, payload: JSONObject) -> None:
        raw = json.dumps(payload).encode()
        if conn.compressor is None:
            await conn.ws.send_str(raw.decode())
        else:
            data = conn.compressor.compress(raw) + conn.compressor.flush(zlib.Z_SYNC_FLUSH)
            await conn.ws.send_bytes(data)

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        compressed = request.query.get("compress") == "zlib-stream"
        conn = Connection(ws, zlib.compressobj() if compressed else None)
        self.connections.append(conn)
        await self._send(conn, {"op": 10, "d": {"heartbeat_interval":
                                                self.heartbeat_interval_ms}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                self.gateway_ops.append(payload)
                await self._on_op(conn, payload)
        finally:
            self.connections.remove(conn)
        return ws

    async def _on_op(self, conn: Connection, payload: JSONObject) -> None:
        op = payload.get("op")
        if op == 1:
            await self._send(conn, {"op": 11})
        elif op == 2:
            conn.identified = True
            if shard := payload["d"].get("shard"):
                conn.shard = (int(shard[0]), int(shard[1]))
            owns_guild = conn.shard is None or conn.shard[0] == (int(GUILD_ID) >> 22) % \
                conn.shard[1]
            self.sequence += 1
            await self._send(conn, {"op": 0, "t": "READY", "s": self.sequence, "d": {
                "v": 10, "user": self.bot_user(), "session_id": self.session_id,
                "resume_gateway_url": self.gateway_url,
                "guilds": [{"id": GUILD_ID, "unavailable": True}] if owns_guild else [],
                "application": {"id": APP_ID, "flags": 0},
                **({"shard": shard} if shard else {})}})
            if owns_guild:
                self.sequence += 1
                await self._send(conn, {"op": 0, "t": "GUILD_CREATE", "s": self.sequence,
                                        "d": self._guild()})
        elif op == 6:
            conn.identified = conn.resumed = True
            self.sequence += 1
            await self._send(conn, {"op": 0, "t": "RESUMED", "s": self.sequence, "d": {}})
