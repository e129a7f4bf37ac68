"""`forumbot serve` with Discord: one process, one loop, notifications as DMs, clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from discord_harness import (
    GENERAL,
    MEMBER,
    OTHER,
    config,
    fake_discord,
    faked,
    point_at,
    running,
)
from fake_discord import APP_ID
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.cli.discord_invite import application_id
from adapters.discord_app.config import discord_config, invite_url
from adapters.discord_app.serving import serve
from bot.app import App, utc_now
from bot.delivery import UNREACHABLE_HOLD
from bot.errors import SettingsError, UserError
from bot.storage.models import NotificationRow
from bot.storage.outbox_store import add_notification
from tests.serve_process import free_port

NOTICE = {"event": "milestone_funded", "role": "freelancer",
          "contract": {"id": "C-1", "title": "Logo and brand kit"},
          "milestone": {"seq": 2, "title": "Final files", "amount": "150.00", "currency": "USD",
                        "status": "funded", "stage": None, "due": None,
                        "funded_at": "2026-11-25T10:00:00+00:00", "submitted_at": None,
                        "approved_at": None, "available_at": None},
          "invoice": None}


def notify(app: App, *users: str) -> None:
    with Session(app.engine) as session, session.begin():
        for user in users:
            add_notification(session, f"discord:{user}", "discord", "notification", NOTICE,
                             utc_now())


def rows(app: App) -> dict[str, NotificationRow]:
    with Session(app.engine) as session:
        return {r.identity: r for r in session.scalars(select(NotificationRow))}


async def attempts_of(app: App, user: str, attempts: int) -> None:
    """Wait until the notification of `user` was tried `attempts` times (read in a thread: the
    delivery loop holds the SQLite write lock while it waits for the event loop)."""
    for _ in range(400):
        if (await asyncio.to_thread(rows, app))[f"discord:{user}"].attempts >= attempts:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the notification was not tried")


def test_serve_runs_http_and_discord_in_one_loop_delivers_dms_and_stops_cleanly(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    notify(app, MEMBER, OTHER)
    port = free_port()

    async def scenario() -> None:
        fake = fake_discord()
        fake.closed_dms.add(OTHER)
        await fake.start()
        point_at(monkeypatch, fake)
        stop = asyncio.Event()
        options: dict[str, Any] = {"guild_ready_timeout": 0.05}
        serving = asyncio.create_task(serve(app, None, config(), "127.0.0.1", port, "warning",
                                            stop=stop, client_options=options))
        try:
            dm = fake.dm_channel_of(MEMBER)
            notice = await fake.wait_for(lambda: fake.posts("POST", f"/channels/{dm}/messages"))
            assert "Final files" in notice[0].body["content"]
            async with httpx.AsyncClient() as http:
                health = await http.get(f"http://127.0.0.1:{port}/healthz")
            assert health.json() == {"status": "ok"}
            await attempts_of(app, OTHER, 1)
            await fake.mention(MEMBER, "who sets the milestones?", GENERAL)
            await fake.wait_for(lambda: fake.posts("POST", f"/channels/{GENERAL}/messages"))
            # The member opens their DMs and writes: the held notification comes along.
            fake.closed_dms.clear()
            await fake.direct_message(OTHER, "hello")
            other_dm = fake.dm_channel_of(OTHER)
            await fake.wait_for(lambda: len(fake.posts("POST", f"/channels/{other_dm}/messages"))
                                == 3)
        finally:
            stop.set()
            await asyncio.wait_for(serving, 30)
            assert fake.connections == []
            await fake.stop()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{port}/healthz")

    asyncio.run(scenario())
    held = rows(app)[f"discord:{OTHER}"]
    assert held.status == "delivered"
    assert rows(app)[f"discord:{MEMBER}"].status == "delivered"


def test_a_member_with_closed_dms_is_held_for_days_not_retried_in_minutes(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    notify(app, OTHER)
    port = free_port()

    async def scenario() -> None:
        fake = fake_discord()
        fake.closed_dms.add(OTHER)
        await fake.start()
        point_at(monkeypatch, fake)
        stop = asyncio.Event()
        serving = asyncio.create_task(serve(app, None, config(), "127.0.0.1", port, "warning",
                                            stop=stop,
                                            client_options={"guild_ready_timeout": 0.05}))
        try:
            await attempts_of(app, OTHER, 1)
        finally:
            stop.set()
            await asyncio.wait_for(serving, 30)
            await fake.stop()

    asyncio.run(scenario())
    held = rows(app)[f"discord:{OTHER}"]
    assert held.status == "pending"
    assert held.next_attempt_at - utc_now() > UNREACHABLE_HOLD - timedelta(minutes=5)


def test_a_token_discord_refuses_stops_serve_with_a_clear_message(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        fake = fake_discord()
        fake.valid_token = "another-token"
        await fake.start()
        point_at(monkeypatch, fake)
        try:
            with pytest.raises(UserError, match="refused the token"):
                await serve(app, None, config(), "127.0.0.1", free_port(), "warning",
                            stop=asyncio.Event())
        finally:
            await fake.stop()

    asyncio.run(scenario())


def test_the_invite_link_asks_for_exactly_the_scopes_and_permissions_needed() -> None:
    url = invite_url(int(APP_ID))
    assert url.startswith(f"https://discord.com/oauth2/authorize?client_id={APP_ID}&")
    assert "scope=bot%20applications.commands" in url
    assert "permissions=309237730304" in url  # view, send, links, history, threads


def test_the_application_id_is_read_from_the_token_or_asked_for() -> None:
    import base64

    token = base64.b64encode(APP_ID.encode()).decode().rstrip("=") + ".GabcDe.secret"
    assert application_id(None, {"DISCORD_TOKEN": token}) == int(APP_ID)
    assert application_id("123", {}) == 123
    with pytest.raises(UserError, match="--application-id"):
        application_id(None, {})
    with pytest.raises(UserError, match="not an application id"):
        application_id("12ab", {})


def test_discord_settings_name_the_bad_key_and_value() -> None:
    assert discord_config({}) is None
    settings = discord_config({"DISCORD_TOKEN": "t", "FORUMBOT_DISCORD_GUILDS": "1, 2 2",
                               "FORUMBOT_DISCORD_HELP_FORUMS": "5",
                               "FORUMBOT_DISCORD_SHARDS": "4",
                               "FORUMBOT_DISCORD_SHARD_IDS": "2-3"})
    assert settings is not None and settings.guilds == (1, 2)
    assert settings.wants_message_content and settings.shard_ids == (2, 3)
    for key, value in [("FORUMBOT_DISCORD_GUILDS", "general"),
                       ("FORUMBOT_DISCORD_MODERATOR_ROLE", "-1"),
                       ("FORUMBOT_DISCORD_SHARDS", "0")]:
        with pytest.raises(SettingsError, match=key):
            discord_config({"DISCORD_TOKEN": "t", key: value})
    with pytest.raises(SettingsError, match="within 0-3"):
        discord_config({"DISCORD_TOKEN": "t", "FORUMBOT_DISCORD_SHARDS": "4",
                        "FORUMBOT_DISCORD_SHARD_IDS": "3-4"})


BOOT = """
import sys
import discord.http
discord.http.Route.BASE = sys.argv[1]
from adapters.cli.main import main
sys.argv = ["forumbot", "serve", "--port", sys.argv[2]]
main()
"""


@pytest.mark.slow
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_forumbot_serve_with_a_token_answers_on_discord_and_a_signal_stops_it_cleanly(
        tmp_path: Path, stop_signal: int) -> None:
    async def scenario() -> None:
        fake = fake_discord()
        await fake.start()
        env = {**os.environ, "FORUMBOT_DATA_DIR": str(tmp_path), "DISCORD_TOKEN": "t",
               "FORUMBOT_DISCORD_GUILDS": "910000000000000001", "FORUMBOT_LOG_LEVEL": "INFO"}
        server = subprocess.Popen([sys.executable, "-c", BOOT, fake.api_base,
                                   str(free_port())], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        try:
            await fake.wait_for(lambda: fake.posts("PUT", r"/applications/.*/commands"),
                                timeout=60)
            await fake.wait_for(lambda: any(c.identified for c in fake.connections))
            await fake.mention(MEMBER, "who sets the milestones?", GENERAL)
            await fake.wait_for(lambda: fake.posts("POST", f"/channels/{GENERAL}/messages"))
            server.send_signal(stop_signal)
            await fake.wait_for(lambda: server.poll() is not None, timeout=30)
            assert fake.connections == []  # the client closed its gateway connection
        finally:
            if server.poll() is None:
                server.kill()
            output = server.communicate(timeout=10)[0].decode()
            await fake.stop()
        assert server.returncode == 0, output
        assert "Application shutdown complete" in output
        assert "Traceback" not in output

    asyncio.run(scenario())


def test_a_port_in_use_stops_serve_with_a_clear_message_and_closes_the_client(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with faked(monkeypatch) as fake:
            with pytest.raises(UserError, match=r"could not start on 127\.0\.0\.1"):
                await serve(app, None, config(), "127.0.0.1", fake.port, "critical",
                            stop=asyncio.Event(), client_options={"guild_ready_timeout": 0.05})
            assert fake.connections == []

    asyncio.run(scenario())


def test_a_held_notification_is_shown_privately_with_the_members_next_contract_command(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    notify(app, MEMBER)  # pending: no delivery loop runs beside this client

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, {"id": "1", "name": "contract", "type": 1},
                                           MEMBER, GENERAL)
            follow, = await fake.wait_for(lambda: fake.followups(asked))
            assert "Final files" in follow.body["content"] and follow.body["flags"] & 64
            assert fake.posts("POST", f"/channels/{GENERAL}/messages") == []

    asyncio.run(scenario())
    assert rows(app)[f"discord:{MEMBER}"].status == "delivered"


def test_stopping_serve_lets_an_answer_in_hand_reach_the_member(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        fake = fake_discord()
        await fake.start()
        point_at(monkeypatch, fake)
        stop = asyncio.Event()
        options: dict[str, Any] = {"guild_ready_timeout": 0.05}
        serving = asyncio.create_task(serve(app, None, config(), "127.0.0.1", free_port(),
                                            "warning", stop=stop, client_options=options))
        try:
            await fake.wait_for(lambda: any(c.identified for c in fake.connections))
            await fake.wait_for(lambda: fake.posts("PUT", r"/applications/.*/commands"))
            # Discord asks the answer's post to wait: the answer is in hand when serve stops.
            fake.rate_limit_next(f"/channels/{GENERAL}/messages", retry_after=0.5)
            await fake.mention(MEMBER, "who sets the milestones?", GENERAL)
            await fake.wait_for(lambda: fake.posts("POST", f"/channels/{GENERAL}/messages"))
            stop.set()
            await asyncio.wait_for(serving, 30)
        finally:
            stop.set()
            await fake.stop()
        posts = fake.posts("POST", f"/channels/{GENERAL}/messages")
        assert len(posts) == 2  # refused once, then sent
        assert "The client sets the milestones" in posts[1].body["content"]

    with caplog.at_level("INFO"):
        asyncio.run(scenario())
    assert not [r for r in caplog.records if r.levelname == "ERROR"], caplog.text
