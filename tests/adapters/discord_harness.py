"""The real forumbot Discord client, started against the fake Discord, for the tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import discord
import discord.gateway
import discord.http
import pytest
import yarl
from fake_discord import GUILD_ID, FakeDiscord

from adapters.discord_app.client import ForumbotClient
from adapters.discord_app.config import DiscordConfig
from adapters.discord_app.desk import DiscordDesk
from bot.app import App

GENERAL = "920000000000000001"
MODERATORS = "920000000000000002"
HELP_CHANNEL = "920000000000000003"
FORUM = "920000000000000004"
MOD_ROLE = "930000000000000001"
MEMBER = "940000000000000001"
OTHER = "940000000000000002"
MODERATOR = "940000000000000003"
OFF_TOPIC = "tell me a joke about cats"  # declined: the member may ask a moderator


def config(**overrides: Any) -> DiscordConfig:
    """The settings the tests run with: one guild, a moderators' channel and role."""
    values: dict[str, Any] = {
        "token": "fake-token", "guilds": (int(GUILD_ID),),
        "moderator_channel": int(MODERATORS), "moderator_role": int(MOD_ROLE)}
    values.update(overrides)
    return DiscordConfig(**values)


def fake_discord() -> FakeDiscord:
    """A fake with the channels and the role the tests use."""
    return FakeDiscord(
        text_channels={GENERAL: "general", MODERATORS: "moderators", HELP_CHANNEL: "help"},
        forum_channels={FORUM: "help-forum"}, roles={MOD_ROLE: "moderators"})


def point_at(monkeypatch: pytest.MonkeyPatch, fake: FakeDiscord) -> None:
    """The real discord.py talks to the fake: its REST base and its gateway."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake.api_base)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY",
                        yarl.URL(fake.gateway_url))


@contextlib.asynccontextmanager
async def client_for(app: App, fake: FakeDiscord, settings: DiscordConfig) -> AsyncIterator[
        ForumbotClient]:
    """A started client, ready (connected, commands synced); closed afterwards."""
    client = ForumbotClient(DiscordDesk(app, settings), guild_ready_timeout=0.05)
    task = asyncio.create_task(client.start(settings.token))
    try:
        await fake.wait_for(lambda: client.is_ready() or task.done())
        if task.done():
            task.result()
        yield client
    finally:
        await client.close()
        await asyncio.gather(task, return_exceptions=True)
        client.desk.close()


@contextlib.asynccontextmanager
async def running(app: App, monkeypatch: pytest.MonkeyPatch,
                  settings: DiscordConfig | None = None,
                  fake: FakeDiscord | None = None) -> AsyncIterator[tuple[FakeDiscord,
                                                                        ForumbotClient]]:
    """The fake Discord and a ready client talking to it."""
    async with faked(monkeypatch, fake) as started, client_for(
            app, started, settings or config()) as client:
        yield started, client


@contextlib.asynccontextmanager
async def faked(monkeypatch: pytest.MonkeyPatch,
                fake: FakeDiscord | None = None) -> AsyncIterator[FakeDiscord]:
    """The fake Discord (`fake_discord()` unless given) started, with discord.py pointed at
    it; stopped afterwards."""
    fake = fake or fake_discord()
    await fake.start()
    point_at(monkeypatch, fake)
    try:
        yield fake
    finally:
        await fake.stop()


def content_of(request_body: Any) -> str:
    """The text of a posted message or interaction response."""
    body = request_body.get("data", request_body) if isinstance(request_body, dict) else {}
    return str(body.get("content") or "")


def custom_ids(request_body: Any) -> list[str]:
    """The custom ids of the buttons a posted message carries."""
    body = request_body.get("data", request_body) if isinstance(request_body, dict) else {}
    return [c["custom_id"] for row in body.get("components", [])
            for c in row.get("components", []) if "custom_id" in c]


def posted(fake: FakeDiscord, channel: str) -> list[Any]:
    """The bodies of the messages the bot posted in `channel`."""
    return [r.body for r in fake.posts("POST", f"/channels/{channel}/messages")]


async def ask_a_moderator(fake: FakeDiscord) -> str:
    """The member's declined question passed to the moderators with the button; the id of
    the thread it got in their channel."""
    await fake.mention(MEMBER, OFF_TOPIC, GENERAL)
    await fake.wait_for(lambda: posted(fake, GENERAL))
    declined = fake.messages[next(reversed(fake.messages))]
    await fake.interaction(3, {"custom_id": "forumbot:ask-moderator", "component_type": 2},
                           MEMBER, GENERAL, message=declined)
    await fake.wait_for(lambda: posted(fake, MODERATORS))
    thread = (await fake.wait_for(lambda: fake.posts("POST", r".*/threads")))[0]
    return thread.path.split("/")[4]
