"""Discord threads: a help-forum post's author follows up, a forgotten member's question is
withdrawn from the moderators' channel, and a message two processes receive is answered once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from discord_harness import (
    FORUM,
    GENERAL,
    MEMBER,
    MOD_ROLE,
    MODERATOR,
    MODERATORS,
    OFF_TOPIC,
    OTHER,
    ask_a_moderator,
    client_for,
    config,
    content_of,
    faked,
    posted,
    running,
)
from fake_discord import BOT_ID

from bot.app import App
from bot.faq.policy import Outcome

FIRST = "who sets the milestones?"
ESCROW = "what is escrow"
REFUND = "how do refunds work"
THANKS = "thanks, that worked!"


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def test_the_posters_confident_follow_ups_in_a_help_forum_thread_are_answered_once_each(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    for question in (FIRST, ESCROW, REFUND):
        assert app.assistant.decide(question).outcome is Outcome.ANSWER
    settings = config(help_forums=frozenset({int(FORUM)}))

    async def scenario() -> None:
        async with running(app, monkeypatch, settings) as (fake, _):
            thread = (await fake.forum_post(MEMBER, FORUM, "Milestones", FIRST))["id"]
            await fake.wait_for(lambda: posted(fake, thread))
            follow_up = await fake.guild_message(MEMBER, ESCROW, thread)
            answers = await fake.wait_for(lambda: posted(fake, thread)[1:])
            assert "escrow" in answers[0]["content"].lower()
            assert answers[0]["message_reference"]["message_id"] == int(follow_up["id"])
            # Left alone: another member, the same answer again, a thank-you, another bot.
            await fake.guild_message(OTHER, REFUND, thread)
            await fake.guild_message(MEMBER, f"sorry, {ESCROW}?", thread)
            await fake.guild_message(MEMBER, THANKS, thread)
            bot = fake.message(thread, REFUND, fake.user(OTHER, "otherbot", bot=True),
                               guild_id="910000000000000001")
            await fake.dispatch("MESSAGE_CREATE", bot)
            await fake.guild_message(MEMBER, REFUND, thread)  # then one that is answered
            await fake.wait_for(lambda: posted(fake, thread)[2:])
            await asyncio.sleep(0.3)
            bodies = posted(fake, thread)
            assert len(bodies) == 3, [b["content"][:60] for b in bodies]
            assert "refund" in bodies[2]["content"].lower()
    run(scenario)


def test_a_follow_up_outside_the_help_forums_needs_a_mention(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch, config()) as (fake, _):
            thread = (await fake.forum_post(MEMBER, FORUM, "Milestones", FIRST))["id"]
            await fake.guild_message(MEMBER, ESCROW, thread)
            await fake.mention(MEMBER, REFUND, thread)
            body, = await fake.wait_for(lambda: posted(fake, thread))
            assert "refund" in body["content"].lower()
    run(scenario)


def test_forgetting_a_member_withdraws_their_question_from_the_moderators_channel(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            thread = await ask_a_moderator(fake)
            await fake.direct_message(MEMBER, "forget me confirm")
            edit, = await fake.wait_for(lambda: fake.posts("PATCH", rf"/channels/{MODERATORS}"
                                                                  r"/messages/\d+"))
            assert edit.path.endswith(f"/{thread}")  # the post the thread hangs on
            withdrawn = content_of(edit.body)
            assert "Withdrawn" in withdrawn
            for personal in (OFF_TOPIC, f"<@{MEMBER}>", MEMBER, "/channels/"):
                assert personal not in withdrawn
            renamed = await fake.wait_for(lambda: fake.channel_edits)
            assert renamed == [(thread, {"name": "Withdrawn question"})]
            dm = fake.dm_channel_of(MEMBER)
            assert "deleted your link" in posted(fake, dm)[-1]["content"]

            await fake.mention(MODERATOR, "Write to support, they can help.", thread,
                               roles=(MOD_ROLE,))
            told, = await fake.wait_for(lambda: posted(fake, thread))
            assert "withdrew" in told["content"]
            assert not any("Write to support" in b["content"] for b in posted(fake, dm))
    run(scenario)


def test_forgetting_a_member_leaves_other_members_questions_as_they_are(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await ask_a_moderator(fake)
            await fake.direct_message(OTHER, "forget me confirm")
            await fake.wait_for(lambda: posted(fake, fake.dm_channel_of(OTHER)))
            await asyncio.sleep(0.3)
            assert fake.posts("PATCH", r"/channels/.*") == []
            question, = posted(fake, MODERATORS)
            assert f"<@{MEMBER}>" in question["content"]
    run(scenario)


def test_a_message_two_processes_receive_is_answered_once(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two sessions of one shard (the old and the new process during a restart) both get
    every event; the database's claim lets one answer."""
    async def scenario() -> None:
        async with faked(monkeypatch) as fake, client_for(app, fake, config()), client_for(
                app, fake, config()):
            await fake.wait_for(lambda: sum(c.identified for c in fake.connections) == 2)
            await fake.mention(MEMBER, FIRST, GENERAL)
            await fake.direct_message(MEMBER, ESCROW)
            await fake.wait_for(lambda: posted(fake, GENERAL))
            await fake.wait_for(lambda: posted(fake, fake.dm_channel_of(MEMBER)))
            await asyncio.sleep(0.5)
            assert len(posted(fake, GENERAL)) == 1
            assert len(posted(fake, fake.dm_channel_of(MEMBER))) == 1
    run(scenario)


def test_a_message_from_a_server_this_process_does_not_run_is_not_taken_for_a_dm(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            stray = fake.message(GENERAL, f"<@{BOT_ID}> my contract", fake.user(MEMBER),
                                 guild_id="910000000000000999", mentions=[fake.bot_user()])
            await fake.dispatch("MESSAGE_CREATE", stray)
            await fake.mention(MEMBER, FIRST, GENERAL)  # then one that is answered
            body, = await fake.wait_for(lambda: posted(fake, GENERAL))
            await asyncio.sleep(0.3)
            assert len(posted(fake, GENERAL)) == 1 and "milestones" in body["content"]
            assert fake.posts("POST", "/users/@me/channels") == []
    run(scenario)
