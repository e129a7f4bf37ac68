"""Members on Discord: the real discord.py client against a fake Discord on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from discord_harness import (
    FORUM,
    GENERAL,
    HELP_CHANNEL,
    MEMBER,
    MOD_ROLE,
    MODERATOR,
    MODERATORS,
    OTHER,
    client_for,
    config,
    content_of,
    custom_ids,
    fake_discord,
    faked,
    running,
)
from fake_discord import BOT_ID, FakeDiscord

from adapters.discord_app.translate import incoming
from bot.app import App, utc_now
from bot.contracts.importing import dataset_from_json

CONFIDENT = "who sets the milestones?"
UNSURE = "milestone"
OFF_TOPIC = "tell me a joke about cats"
MESSAGES = r"/channels/\d+/messages"

SEED = {
    "accounts": [{"id": "acc-alice", "name": "Alice Moreau", "role": "freelancer"},
                 {"id": "acc-bram", "name": "Bram Industries", "role": "client"}],
    "contracts": [{"id": "C-1001", "title": "Logo and brand kit", "type": "fixed",
                   "client": "acc-bram", "freelancer": "acc-alice", "status": "active",
                   "started_at": "2026-10-01", "currency": "USD", "milestones": [
                       {"seq": 1, "title": "Final files", "amount": "150.00",
                        "status": "funded", "funded_at": "2026-11-20"}]}],
}


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def posted(fake: FakeDiscord, channel: str) -> list[Any]:
    return [r.body for r in fake.posts("POST", f"/channels/{channel}/messages")]


def slash(name: str, **options: str) -> dict[str, Any]:
    return {"id": "1", "name": name, "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}


def click(custom_id: str) -> dict[str, Any]:
    return {"custom_id": custom_id, "component_type": 2}


def link(app: App, account: str = "acc-alice") -> str:
    app.contracts.import_dataset(dataset_from_json(json.dumps(SEED)))
    return app.links.issue_code(account, utc_now())


def test_a_mention_is_answered_in_a_reply_that_can_ping_nobody(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.mention(MEMBER, f"{CONFIDENT} @everyone", GENERAL)
            body, = await fake.wait_for(lambda: posted(fake, GENERAL))
            assert "The client sets the milestones" in body["content"]
            assert body["allowed_mentions"] == {"parse": [], "replied_user": False}
            assert body["message_reference"]["message_id"] == int(asked["id"])
            entry = app.assistant.decide(CONFIDENT).entry_id
            assert custom_ids(body) == [f"forumbot:rate:{entry}:y", f"forumbot:rate:{entry}:n"]
    run(scenario)


def test_a_mention_saying_thanks_gets_a_short_reply_without_buttons_or_an_inbox_entry(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, "thanks, that helped!", GENERAL)
            body, = await fake.wait_for(lambda: posted(fake, GENERAL))
            assert "You're welcome" in body["content"]
            assert not body.get("components")
    run(scenario)
    assert not app.questions.open_questions(10)


def test_messages_that_do_not_mention_the_bot_and_bots_own_are_left_alone(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.guild_message(MEMBER, CONFIDENT, GENERAL)
            other_bot = fake.message(GENERAL, f"<@{BOT_ID}> {CONFIDENT}",
                                     fake.user(OTHER, "otherbot", bot=True),
                                     guild_id="910000000000000001")
            await fake.dispatch("MESSAGE_CREATE", other_bot)
            hook = fake.message(GENERAL, f"<@{BOT_ID}> {CONFIDENT}", fake.user(OTHER, "hook"),
                                guild_id="910000000000000001", webhook_id=OTHER)
            await fake.dispatch("MESSAGE_CREATE", hook)
            await fake.mention(MEMBER, "", GENERAL)  # then one that is answered
            body, = await fake.wait_for(lambda: posted(fake, GENERAL))
            assert "didn't catch a question" in body["content"]
    run(scenario)


def test_a_direct_message_is_answered_in_the_dm_with_choices_as_buttons(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.direct_message(MEMBER, UNSURE)
            dm = fake.dm_channel_of(MEMBER)
            body, = await fake.wait_for(lambda: posted(fake, dm))
            assert "pick one" in body["content"]
            choices = app.assistant.decide(UNSURE).suggestions
            assert custom_ids(body) == [f"forumbot:pick:{c}" for c in choices]
    run(scenario)


def test_a_choice_click_answers_with_the_picked_entry(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, UNSURE, GENERAL)
            _body, = await fake.wait_for(lambda: posted(fake, GENERAL))
            choices = [c for c in app.assistant.decide(UNSURE).suggestions
                       if not c.startswith("my-")]
            sent = fake.messages[next(reversed(fake.messages))]
            clicked = await fake.interaction(3, click(f"forumbot:pick:{choices[0]}"), MEMBER,
                                             GENERAL, message=sent)
            response, = await fake.wait_for(lambda: fake.callbacks(clicked))
            entry = app.assistant.entries[choices[0]]
            assert response["type"] == 4
            assert entry.answer.splitlines()[0][:40] in content_of(response)
            assert custom_ids(response)[0] == f"forumbot:rate:{entry.id}:y"
            assert "flags" not in response["data"] or not response["data"]["flags"] & 64
    run(scenario)


def test_helpful_is_recorded_and_the_rating_buttons_are_disabled(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, CONFIDENT, GENERAL)
            await fake.wait_for(lambda: posted(fake, GENERAL))
            sent = fake.messages[next(reversed(fake.messages))]
            entry = app.assistant.decide(CONFIDENT).entry_id
            clicked = await fake.interaction(3, click(f"forumbot:rate:{entry}:y"), OTHER,
                                             GENERAL, message=sent)
            update, = await fake.wait_for(lambda: fake.callbacks(clicked))
            assert update["type"] == 7
            buttons = [c for row in update["data"]["components"] for c in row["components"]]
            assert [b["disabled"] for b in buttons] == [True, True]
            thanks, = await fake.wait_for(lambda: fake.followups(clicked))
            assert "Glad that helped" in thanks.body["content"]
            assert thanks.body["flags"] & 64
            assert thanks.body["allowed_mentions"] == {"parse": []}
            assert update["data"]["allowed_mentions"] == {"parse": []}
    run(scenario)
    counts, _ = app.questions.activity(utc_now().replace(year=2000))
    rated = {c.entry_id: c.helpful for c in counts}
    assert rated[app.assistant.decide(CONFIDENT).entry_id] == 1


def test_faq_command_answers_the_asker_only_and_post_in_channel_shares_it(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, slash("faq", question=CONFIDENT), MEMBER, GENERAL)
            response, = await fake.wait_for(lambda: fake.callbacks(asked))
            entry = app.assistant.decide(CONFIDENT).entry_id
            assert response["type"] == 4 and response["data"]["flags"] == 64
            assert f"forumbot:post:{entry}" in custom_ids(response)
            ephemeral = fake.messages[next(reversed(fake.messages))]
            shared = await fake.interaction(3, click(f"forumbot:post:{entry}"), MEMBER,
                                            GENERAL, message=ephemeral)
            public, = await fake.wait_for(lambda: fake.callbacks(shared))
            assert public["type"] == 4 and not public["data"].get("flags")
            assert content_of(public).startswith("member shared this answer")
            assert "The client sets the milestones" in content_of(public)
    run(scenario)


def test_faq_autocomplete_offers_the_titles_holding_what_was_typed(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            data = {"id": "1", "name": "faq", "type": 1, "options": [
                {"name": "question", "type": 3, "value": "escrow", "focused": True}]}
            typed = await fake.interaction(4, data, MEMBER, GENERAL)
            response, = await fake.wait_for(lambda: fake.callbacks(typed))
            assert response["type"] == 8
            names = [c["name"] for c in response["data"]["choices"]]
            assert names and all("escrow" in n.casefold() for n in names)
    run(scenario)


def test_contract_command_tells_an_unlinked_member_how_to_link_then_answers_once_linked(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    code = link(app)

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            first = await fake.interaction(2, slash("contract"), MEMBER, GENERAL)
            response, = await fake.wait_for(lambda: fake.callbacks(first))
            assert response["data"]["flags"] == 64
            assert "/link" in content_of(response)
            linking = await fake.interaction(2, slash("link", code=code), MEMBER, GENERAL)
            linked, = await fake.wait_for(lambda: fake.callbacks(linking))
            assert linked["data"]["flags"] == 64 and "Linked" in content_of(linked)
            second = await fake.interaction(2, slash("contract", id="logo"), MEMBER,
                                            GENERAL)
            status, = await fake.wait_for(lambda: fake.callbacks(second))
            assert status["data"]["flags"] == 64
            assert "Final files" in content_of(status) and "$150" in content_of(status)
            assert posted(fake, GENERAL) == []
    run(scenario)


def test_a_personal_question_in_a_channel_goes_by_dm_with_a_notice_in_the_channel(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    code = link(app)
    app.assistant.handle(incoming(f"link {code}", int(MEMBER), 1, private=True))

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, "was my milestone funded?", GENERAL)
            dm = fake.dm_channel_of(MEMBER)
            private, = await fake.wait_for(lambda: posted(fake, dm))
            public, = await fake.wait_for(lambda: posted(fake, GENERAL))
            assert "Final files" in private["content"]
            assert "privately" in public["content"] and "Final files" not in public["content"]
    run(scenario)


def test_a_personal_answer_is_never_posted_publicly_when_dms_are_closed(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    code = link(app)
    app.assistant.handle(incoming(f"link {code}", int(MEMBER), 1, private=True))

    async def scenario() -> None:
        fake_ = fake_discord()
        fake_.closed_dms.add(MEMBER)
        async with running(app, monkeypatch, fake=fake_) as (fake, _):
            await fake.mention(MEMBER, "was my milestone funded?", GENERAL)
            public, = await fake.wait_for(lambda: posted(fake, GENERAL))
            assert "direct messages are closed" in public["content"]
            assert "Final files" not in public["content"]
    run(scenario)


def test_ask_a_moderator_posts_the_question_and_the_moderators_reply_reaches_the_member(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, OFF_TOPIC, GENERAL)
            declined, = await fake.wait_for(lambda: posted(fake, GENERAL))
            assert custom_ids(declined) == ["forumbot:ask-moderator"]
            sent = fake.messages[next(reversed(fake.messages))]
            clicked = await fake.interaction(3, click("forumbot:ask-moderator"), MEMBER,
                                             GENERAL, message=sent)
            told, = await fake.wait_for(lambda: fake.callbacks(clicked))
            assert told["data"]["flags"] == 64 and "passed your question" in content_of(told)
            question, = await fake.wait_for(lambda: posted(fake, MODERATORS))
            assert OFF_TOPIC in question["content"] and f"<@{MEMBER}>" in question["content"]
            assert "/channels/910000000000000001/" + GENERAL in question["content"]
            thread = (await fake.wait_for(lambda: fake.posts("POST", r".*/threads")))[0]
            thread_id = thread.path.split("/")[4]
            await fake.mention(MODERATOR, "Write to support, they can help.", thread_id,
                               roles=(MOD_ROLE,))
            dm = fake.dm_channel_of(MEMBER)
            reply, = await fake.wait_for(lambda: posted(fake, dm))
            assert "Write to support, they can help." in reply["content"]
            await fake.wait_for(lambda: fake.posts("PUT", r".*/reactions/.*"))
    run(scenario)


def test_a_confident_forum_post_is_answered_in_its_thread_and_an_unsure_one_left_alone(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = config(help_forums=frozenset({int(FORUM)}),
                      help_channels=frozenset({int(HELP_CHANNEL)}))

    async def scenario() -> None:
        async with running(app, monkeypatch, settings) as (fake, _):
            unsure = await fake.forum_post(MEMBER, FORUM, "help", UNSURE)
            sure = await fake.forum_post(MEMBER, FORUM, "Milestones", CONFIDENT)
            body, = await fake.wait_for(lambda: posted(fake, sure["id"]))
            assert "The client sets the milestones" in body["content"]
            await fake.guild_message(MEMBER, CONFIDENT, HELP_CHANNEL)
            await fake.wait_for(lambda: posted(fake, HELP_CHANNEL))
            assert posted(fake, unsure["id"]) == []
        identify = next(op for op in fake.gateway_ops if op["op"] == 2)
        assert identify["d"]["intents"] & (1 << 15)  # message content, asked for here only
    run(scenario)


def test_mentions_and_dms_need_no_message_content_intent(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            pass
        identify = next(op for op in fake.gateway_ops if op["op"] == 2)
        assert not identify["d"]["intents"] & (1 << 15)
    run(scenario)


def test_a_rate_limited_post_is_sent_after_the_wait_discord_asks_for(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            fake.rate_limit_next(f"/channels/{GENERAL}/messages", retry_after=0.05)
            await fake.mention(MEMBER, CONFIDENT, GENERAL)
            await fake.wait_for(lambda: len(posted(fake, GENERAL)) == 2)
            first, second = posted(fake, GENERAL)
            assert first == second
    run(scenario)


def test_after_a_dropped_connection_the_client_resumes_and_answers(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.drop_connections(code=4000)
            await fake.wait_for(lambda: any(op["op"] == 6 for op in fake.gateway_ops)
                                and fake.connections and fake.connections[0].resumed)
            await fake.mention(MEMBER, CONFIDENT, GENERAL)
            await fake.wait_for(lambda: posted(fake, GENERAL))
        resume = next(op for op in fake.gateway_ops if op["op"] == 6)
        assert resume["d"]["session_id"] == fake.session_id
        assert [op["op"] for op in fake.gateway_ops].count(2) == 1  # identified once
    run(scenario)


def test_a_button_clicked_after_a_restart_still_works(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with faked(monkeypatch) as fake:
            async with client_for(app, fake, config()):
                await fake.mention(MEMBER, CONFIDENT, GENERAL)
                await fake.wait_for(lambda: posted(fake, GENERAL))
                sent = fake.messages[next(reversed(fake.messages))]
            async with client_for(app, fake, config()):
                entry = app.assistant.decide(CONFIDENT).entry_id
                clicked = await fake.interaction(3, click(f"forumbot:rate:{entry}:n"), MEMBER,
                                                 GENERAL, message=sent)
                update, = await fake.wait_for(lambda: fake.callbacks(clicked))
                assert update["type"] == 7
    run(scenario)


def test_unknown_buttons_and_expired_interactions_get_no_traceback(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            old = await fake.interaction(3, click("forumbot:vote:v1:x"), MEMBER, GENERAL,
                                         message=fake.message(GENERAL, "old", fake.bot_user()))
            told, = await fake.wait_for(lambda: fake.callbacks(old))
            assert told["data"]["flags"] == 64 and "older message" in content_of(told)
            late = await fake.interaction(2, slash("faq", question=CONFIDENT), MEMBER, GENERAL,
                                          expired=True)
            await fake.wait_for(lambda: fake.callbacks(late))
    with caplog.at_level(logging.INFO):
        run(scenario)
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert any("gone (code 10062)" in r.getMessage() for r in caplog.records)


def test_a_member_flooding_the_bot_is_answered_only_up_to_the_limit(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, client):
            limit = client.desk.limit.per_window
            for _ in range(limit + 3):
                await fake.mention(MEMBER, CONFIDENT, GENERAL)
            await fake.wait_for(lambda: len(posted(fake, GENERAL)) == limit)
            asked = await fake.interaction(2, slash("faq", question=CONFIDENT), MEMBER, GENERAL)
            told, = await fake.wait_for(lambda: fake.callbacks(asked))
            assert "faster than I can keep up" in content_of(told)
            await fake.mention(OTHER, CONFIDENT, GENERAL)  # others are not held back
            await fake.wait_for(lambda: len(posted(fake, GENERAL)) == limit + 1)
    run(scenario)


def test_edits_are_left_alone_and_a_very_long_post_gets_one_message(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            edited = fake.message(GENERAL, f"<@{BOT_ID}> {CONFIDENT}", fake.user(MEMBER),
                                  guild_id="910000000000000001", mentions=[fake.bot_user()])
            await fake.dispatch("MESSAGE_UPDATE", edited)
            story = "My client and I agreed on a plan last week. " * 90 + CONFIDENT
            await fake.mention(MEMBER, story[:3900], GENERAL)
            body, = await fake.wait_for(lambda: posted(fake, GENERAL))
            assert 0 < len(body["content"]) <= 2000
    run(scenario)


def test_link_codes_and_contract_data_never_reach_the_log(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    code = link(app)

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            linking = await fake.interaction(2, slash("link", code=code), MEMBER, GENERAL)
            await fake.wait_for(lambda: fake.callbacks(linking))
            asked = await fake.interaction(2, slash("contract"), MEMBER, GENERAL)
            await fake.wait_for(lambda: fake.callbacks(asked))
    with caplog.at_level(logging.DEBUG):
        run(scenario)
    # The bot's log, not the fake Discord's access lines (their snowflakes may hold "150").
    text = "\n".join(r.getMessage() for r in caplog.records if r.name != "aiohttp.access")
    assert code not in text and "Final files" not in text and "150" not in text


def test_commands_are_synced_globally_without_development_guilds(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch, config(guilds=())) as (fake, _):
            synced, = fake.posts("PUT", r"/applications/\d+/commands")
            names = {c["name"] for c in synced.body}
            assert {"faq", "contract", "link", "faq-admin", "Add to FAQ"} <= names
            assert fake.posts("PUT", r"/applications/\d+/guilds/\d+/commands") == []
    run(scenario)


def test_the_sharded_client_identifies_as_the_configured_shards_only(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch, config(shards=4, shard_ids=(2,))) as (fake, _):
            await fake.mention(MEMBER, CONFIDENT, GENERAL)
            await fake.wait_for(lambda: posted(fake, GENERAL))
        shards = [op["d"]["shard"] for op in fake.gateway_ops if op["op"] == 2]
        assert shards == [[2, 4]]
    run(scenario)


def test_a_slow_answer_is_deferred_then_sent_as_a_follow_up(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.discord_app.commands as commands_module

    monkeypatch.setattr(commands_module, "DEFER_AFTER", 0.0)

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, slash("faq", question=CONFIDENT), MEMBER, GENERAL)
            deferred, = await fake.wait_for(lambda: fake.callbacks(asked))
            assert deferred["type"] == 5 and deferred["data"]["flags"] == 64
            follow, = await fake.wait_for(lambda: fake.followups(asked))
            assert "The client sets the milestones" in follow.body["content"]
            assert follow.body["flags"] & 64
    run(scenario)


def test_moderator_typed_after_a_decline_posts_the_question_for_the_moderators_too(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.direct_message(MEMBER, OFF_TOPIC)
            dm = fake.dm_channel_of(MEMBER)
            await fake.wait_for(lambda: posted(fake, dm))
            await fake.direct_message(MEMBER, "moderator")
            await fake.wait_for(lambda: len(posted(fake, dm)) == 2)
            question, = await fake.wait_for(lambda: posted(fake, MODERATORS))
            assert OFF_TOPIC in question["content"]
            await fake.wait_for(lambda: fake.posts("POST", r".*/threads"))
    run(scenario)


def test_ask_a_moderator_without_a_recent_question_posts_nothing(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, OFF_TOPIC, GENERAL)  # declined for MEMBER, not OTHER
            await fake.wait_for(lambda: posted(fake, GENERAL))
            sent = fake.messages[next(reversed(fake.messages))]
            clicked = await fake.interaction(3, click("forumbot:ask-moderator"), OTHER, GENERAL,
                                             message=sent)
            told, = await fake.wait_for(lambda: fake.callbacks(clicked))
            assert "no recent unanswered question" in content_of(told)
            assert told["data"]["flags"] == 64
            assert posted(fake, MODERATORS) == []
    run(scenario)


def test_ask_a_moderator_under_another_members_answer_passes_on_only_the_clickers_question(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.direct_message(OTHER, "can you sing me a song")  # OTHER's own decline
            await fake.wait_for(lambda: posted(fake, fake.dm_channel_of(OTHER)))
            await fake.mention(MEMBER, OFF_TOPIC, GENERAL)
            await fake.wait_for(lambda: posted(fake, GENERAL))
            sent = fake.messages[next(reversed(fake.messages))]
            clicked = await fake.interaction(3, click("forumbot:ask-moderator"), OTHER, GENERAL,
                                             message=sent)
            await fake.wait_for(lambda: fake.callbacks(clicked))
            question, = await fake.wait_for(lambda: posted(fake, MODERATORS))
            assert "sing me a song" in question["content"] and OFF_TOPIC not in question[
                "content"]
            assert "/channels/" not in question["content"]  # no link to MEMBER's message
    run(scenario)


def test_a_moderators_reply_to_a_member_with_closed_dms_is_reported_in_the_thread(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        fake_ = fake_discord()
        fake_.closed_dms.add(MEMBER)
        async with running(app, monkeypatch, fake=fake_) as (fake, _):
            await fake.mention(MEMBER, OFF_TOPIC, GENERAL)
            await fake.wait_for(lambda: posted(fake, GENERAL))
            sent = fake.messages[next(reversed(fake.messages))]
            await fake.interaction(3, click("forumbot:ask-moderator"), MEMBER, GENERAL,
                                   message=sent)
            thread = (await fake.wait_for(lambda: fake.posts("POST", r".*/threads")))[0]
            thread_id = thread.path.split("/")[4]
            await fake.mention(MODERATOR, "Please write to support.", thread_id,
                               roles=(MOD_ROLE,))
            told, = await fake.wait_for(lambda: posted(fake, thread_id))
            assert "direct messages are closed" in told["content"]
            assert fake.posts("PUT", r".*/reactions/.*") == []
    run(scenario)
