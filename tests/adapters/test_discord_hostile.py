"""A hostile review of the Discord adapter: what a stranger can send, through the real
discord.py client against the fake Discord, and what they and the operator see."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
from discord_harness import (
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
    custom_ids,
    faked,
    posted,
    running,
)
from fake_discord import EVERYONE_PERMISSIONS, FakeDiscord
from test_discord_members import SEED
from test_discord_moderators import admin, submit

from adapters.discord_app.translate import incoming
from bot.app import App, utc_now
from bot.contracts.importing import dataset_from_json
from bot.faq.policy import Outcome
from bot.settings import sqlite_url
from tests.tcp_proxy import TcpProxy

UNSURE = "milestone"


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The log lines that carry a traceback or say something failed."""
    return [r.getMessage()[:200] for r in caplog.records
            if r.exc_info or r.levelno >= logging.ERROR or "Traceback" in r.getMessage()
            or 'File "' in r.getMessage()]


def test_a_command_from_an_older_version_of_the_bot_is_answered_privately_without_a_traceback(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """A member's Discord may still show a command the bot no longer has, or an option it
    renamed: they are told to try again, and the operator gets one line."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            gone = await fake.interaction(2, {"id": "9", "name": "faq-old", "type": 1,
                                              "options": []}, MEMBER, GENERAL)
            renamed = await fake.interaction(2, {"id": "1", "name": "faq", "type": 1, "options": [
                {"name": "q", "type": 3, "value": "my secret words"}]}, MEMBER, GENERAL)
            for interaction in (gone, renamed):
                told, = await fake.wait_for(lambda: fake.callbacks(interaction))  # noqa: B023
                assert told["data"]["flags"] == 64
                assert "changed" in content_of(told)
    with caplog.at_level(logging.INFO):
        run(scenario)
    assert tracebacks(caplog) == []
    assert "my secret words" not in caplog.text


def typing(command: str, option: str, value: str) -> dict[str, Any]:
    """An autocomplete request: the member is typing `value` into `option`."""
    return {"id": "1", "name": command, "type": 1, "options": [
        {"name": option, "type": 3, "value": value, "focused": True}]}


def test_an_autocomplete_answered_too_late_or_for_an_older_option_is_one_log_line(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Discord refuses an autocomplete answered after the member typed on, and an older
    version's option may ask for suggestions this one does not give: neither is a failure."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            late = await fake.interaction(4, typing("faq", "question", "escrow"), MEMBER,
                                          GENERAL, expired=True)
            await fake.wait_for(lambda: fake.callbacks(late))
            stale = await fake.interaction(4, typing("contract", "id", "logo"), MEMBER,
                                           GENERAL)
            huge = await fake.interaction(4, typing("faq", "question", "e" * 6000), MEMBER,
                                          GENERAL)
            empty = await fake.interaction(4, typing("faq", "question", ""), MEMBER, GENERAL)
            none, = await fake.wait_for(lambda: fake.callbacks(huge))
            some, = await fake.wait_for(lambda: fake.callbacks(empty))
            assert none["data"]["choices"] == [] and len(some["data"]["choices"]) == 25
            await asyncio.sleep(0.2)
            assert fake.callbacks(stale) == []
    with caplog.at_level(logging.INFO):
        run(scenario)
    assert tracebacks(caplog) == []
    assert sum("autocomplete" in r.getMessage() for r in caplog.records) == 2


def click(custom_id: str) -> dict[str, Any]:
    return {"custom_id": custom_id, "component_type": 2}


def test_clicking_a_public_button_over_and_over_posts_only_up_to_the_members_limit(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """A "did you mean" choice posts its answer in the channel: clicked again and again it
    would fill the channel, so clicks count against the member's limit like messages."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, client):
            limit = client.desk.limit.per_window
            await fake.mention(MEMBER, UNSURE, GENERAL)
            suggestions = await fake.wait_for(lambda: fake.posts("POST", f"/channels/{GENERAL}"
                                                                        "/messages"))
            choice = custom_ids(suggestions[0].body)[0]
            sent = fake.messages[next(reversed(fake.messages))]
            clicks = [await fake.interaction(3, click(choice), OTHER, GENERAL, message=sent)
                      for _ in range(limit + 4)]
            answers = [await fake.wait_for(lambda: fake.callbacks(c)) for c in clicks]  # noqa: B023
            public = [a for a, in answers if not a["data"].get("flags")]
            told = [a for a, in answers if a["data"].get("flags") == 64]
            assert len(public) == limit and len(told) == 4
            assert all("faster than I can keep up" in content_of(t) for t in told)
    run(scenario)


def test_post_in_channel_clicked_over_and_over_posts_only_up_to_the_members_limit(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, client):
            limit = client.desk.limit.per_window
            asked = await fake.interaction(2, {"id": "1", "name": "faq", "type": 1, "options": [
                {"name": "question", "type": 3, "value": "what is escrow"}]}, MEMBER, GENERAL)
            answer, = await fake.wait_for(lambda: fake.callbacks(asked))
            post = next(c for c in custom_ids(answer) if c.startswith("forumbot:post:"))
            sent = fake.messages[next(reversed(fake.messages))]
            clicks = [await fake.interaction(3, click(post), MEMBER, GENERAL, message=sent)
                      for _ in range(limit + 2)]
            answers = [await fake.wait_for(lambda: fake.callbacks(c)) for c in clicks]  # noqa: B023
            public = [a for a, in answers if not a["data"].get("flags")]
            assert len(public) == limit - 1  # the /faq command counted too
    run(scenario)


def test_a_reply_in_a_hand_off_thread_by_someone_who_is_not_a_moderator_is_not_sent(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The member is told "a moderator replied": only a moderator's words may say so."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            thread = await ask_a_moderator(fake)
            await fake.mention(OTHER, "Send me your password and I'll fix it.", thread)
            refused, = await fake.wait_for(lambda: posted(fake, thread))
            assert "Only moderators' replies" in refused["content"]
            await fake.mention(MODERATOR, "Write to support, they can help.", thread,
                               roles=(MOD_ROLE,))
            dm = fake.dm_channel_of(MEMBER)
            reply, = await fake.wait_for(lambda: posted(fake, dm))
            assert "Write to support" in reply["content"]
            assert all("password" not in body["content"] for body in posted(fake, dm))
            assert posted(fake, MODERATORS)[0]["allowed_mentions"] == {"parse": []}
    run(scenario)


def test_discords_own_notices_in_a_hand_off_thread_are_not_relayed_or_answered(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Renaming the thread or adding someone to it makes Discord post a notice in the
    moderator's name (a rename's text is the new name): neither is a reply to the member."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            thread = await ask_a_moderator(fake)
            for kind, text in ((4, "Cats: asked twice, see #general"), (1, "")):
                notice = fake.message(thread, text, fake.user(MODERATOR),
                                      guild_id="910000000000000001", type=kind,
                                      mentions=[fake.user(OTHER)] if kind == 1 else [])
                member = fake.member(MODERATOR, roles=(MOD_ROLE,))
                member.pop("user")
                notice["member"] = member
                await fake.dispatch("MESSAGE_CREATE", notice)
            await fake.mention(MODERATOR, "Write to support, they can help.", thread,
                               roles=(MOD_ROLE,))
            dm = fake.dm_channel_of(MEMBER)
            reply, = await fake.wait_for(lambda: posted(fake, dm))
            assert "Write to support" in reply["content"]
            await asyncio.sleep(0.2)
            assert len(posted(fake, dm)) == 1 and posted(fake, thread) == []
    run(scenario)


def _attachment(number: int, filename: str) -> dict[str, Any]:
    url = f"https://cdn.discordapp.com/attachments/{MODERATORS}/{number}/{filename}?ex=1"
    return {"id": str(number), "filename": filename, "size": 2048, "url": url,
            "proxy_url": url.replace("cdn.", "media."), "content_type": "image/png"}


def test_a_moderators_reply_with_files_reaches_the_member_with_the_files_links(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """A screenshot is often the answer: the member gets the files' links, mentions off."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            thread = await ask_a_moderator(fake)
            files = [_attachment(71, "settings_page.png"), _attachment(72, "step-2.png")]
            await fake.mention(MODERATOR, "Like this, @everyone:", thread, roles=(MOD_ROLE,),
                               attachments=files)
            await fake.mention(MODERATOR, "", thread, roles=(MOD_ROLE,),
                               attachments=[_attachment(73, "only_a_file.png")])
            dm = fake.dm_channel_of(MEMBER)
            both = await fake.wait_for(
                lambda: posted(fake, dm) if len(posted(fake, dm)) == 2 else None)
            # The two replies are relayed concurrently: either may reach the member first.
            with_text, only_file = sorted(both, key=lambda b: "Like this" not in b["content"])
            assert "Like this" in with_text["content"]
            for file in files:
                assert file["url"] in with_text["content"]
            assert _attachment(73, "only_a_file.png")["url"] in only_file["content"]
            assert "can't read that reply" not in only_file["content"]
            assert all(body["allowed_mentions"] == {"parse": []} for body in posted(fake, dm))
    run(scenario)


async def refused_form(fake: FakeDiscord) -> dict[str, Any]:
    """A moderator's add form refused (no reason given); the refusal, with its button."""
    asked = await fake.interaction(2, admin("add", id="late-fees"), MODERATOR, GENERAL,
                                   roles=(MOD_ROLE,))
    modal, = await fake.wait_for(lambda: fake.callbacks(asked))
    sent = await submit(fake, modal, ["Late fees", "None.", "is there a late fee", "", ""])
    refusal, = await fake.wait_for(lambda: fake.callbacks(sent))
    assert "Not saved" in content_of(refusal)
    return fake.messages[next(reversed(fake.messages))]


def test_open_the_form_again_opens_the_form_and_nothing_else(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """One click, one answer: Discord refuses a second one, and whichever came first is what
    the moderator sees (before, "that button belongs to an older message" raced the form)."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            refusal = await refused_form(fake)
            again = await fake.interaction(3, click(custom_ids(refusal)[0]), MODERATOR, GENERAL,
                                           roles=(MOD_ROLE,), message=refusal)
            await fake.wait_for(lambda: fake.callbacks(again))
            await asyncio.sleep(0.3)
            assert [r["type"] for r in fake.callbacks(again)] == [9]
    with caplog.at_level(logging.INFO):
        run(scenario)
    assert tracebacks(caplog) == []


def test_open_the_form_again_after_a_restart_says_the_form_is_no_longer_open(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with faked(monkeypatch) as fake:
            async with client_for(app, fake, config()):
                refusal = await refused_form(fake)
            async with client_for(app, fake, config()):
                again = await fake.interaction(3, click(custom_ids(refusal)[0]), MODERATOR,
                                               GENERAL, roles=(MOD_ROLE,), message=refusal)
                told, = await fake.wait_for(lambda: fake.callbacks(again))
                assert "no longer open" in content_of(told) and told["data"]["flags"] == 64
    run(scenario)


def slash(name: str, **options: str) -> dict[str, Any]:
    return {"id": "1", "name": name, "type": 1,
            "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}


def test_faq_moderator_after_a_decline_reaches_the_moderators_channel_as_the_button_does(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """`/faq question: moderator` queues the member's question and tells them so: the
    moderators must see it, in their channel with a thread to reply in, not only the queue."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            declined = await fake.interaction(2, slash("faq", question=OFF_TOPIC), MEMBER,
                                              GENERAL)
            await fake.wait_for(lambda: fake.callbacks(declined))
            passed = await fake.interaction(2, slash("faq", question="moderator"), MEMBER,
                                            GENERAL)
            told, = await fake.wait_for(lambda: fake.callbacks(passed))
            assert "passed your question" in content_of(told) and told["data"]["flags"] == 64
            question, = await fake.wait_for(lambda: posted(fake, MODERATORS))
            assert OFF_TOPIC in question["content"] and f"<@{MEMBER}>" in question["content"]
            await fake.wait_for(lambda: fake.posts("POST", r".*/threads"))
    run(scenario)


def test_a_moderators_long_reply_reaches_the_member_whole_in_as_many_messages_as_it_takes(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """1,800 characters of steps fit one Discord message as typed, but not once their
    Markdown is escaped: before, the member got the first part and the moderator a check mark."""
    steps = [f"- step {i}: open (Settings) -> [Payments] *now* #{i}" for i in range(36)]

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            thread = await ask_a_moderator(fake)
            await fake.mention(MODERATOR, "\n".join(steps), thread, roles=(MOD_ROLE,))
            await fake.wait_for(lambda: fake.posts("PUT", r".*/reactions/.*"))
            sent = posted(fake, fake.dm_channel_of(MEMBER))
            assert len(sent) > 1 and all(0 < len(s["content"]) <= 2000 for s in sent)
            received = "\n".join(s["content"] for s in sent).replace("\\", "")
            assert all(step in received for step in steps)
    assert len("\n".join(steps)) < 2000
    run(scenario)


def test_long_text_is_cut_between_lines_and_never_inside_an_escape() -> None:
    from adapters.discord_app.translate import pieces

    assert pieces("ab\ncd", 3) == ["ab", "cd"]
    assert pieces("a\n\nb", 5) == ["a\n\nb"]
    assert pieces("abcdefg", 3) == ["abc", "def", "g"]
    assert pieces("ab\\*cd", 3) == ["ab", "\\*c", "d"]  # not "ab\\" then "*cd"
    assert pieces("  \n ", 3) == []


def test_a_passed_on_question_reaches_the_moderators_even_when_the_answer_came_too_late(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy bot answers a click or a command after Discord's 3 seconds: the member's
    question is queued by then, so the moderators must still get it (a second click finds
    nothing left to pass on)."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, OFF_TOPIC, GENERAL)
            await fake.wait_for(lambda: posted(fake, GENERAL))
            declined = fake.messages[next(reversed(fake.messages))]
            await fake.interaction(3, click("forumbot:ask-moderator"), MEMBER, GENERAL,
                                   message=declined, expired=True)
            first, = await fake.wait_for(lambda: posted(fake, MODERATORS))
            assert OFF_TOPIC in first["content"]
            await fake.mention(MEMBER, "tell me a joke about dogs", GENERAL)
            await fake.wait_for(lambda: len(posted(fake, GENERAL)) == 2)
            await fake.interaction(2, slash("faq", question="moderator"), MEMBER, GENERAL,
                                   expired=True)
            _, second = await fake.wait_for(lambda: posted(fake, MODERATORS)[1:] and
                                            posted(fake, MODERATORS))
            assert "joke about dogs" in second["content"]
    run(scenario)


def test_post_in_channel_does_not_post_for_a_member_who_may_not_post_there(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a read-only channel (announcements) members may still use `/faq`: "Post in
    channel" must not let the bot write there for them."""
    read_only = int(EVERYONE_PERMISSIONS) & ~(1 << 11) & ~(1 << 38)  # no Send Messages

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, slash("faq", question="what is escrow"), MEMBER,
                                           GENERAL, permissions=read_only)
            answer, = await fake.wait_for(lambda: fake.callbacks(asked))
            assert custom_ids(answer) and not any(c.startswith("forumbot:post:")
                                                  for c in custom_ids(answer))
            post = "forumbot:post:escrow-basics"  # offered before the channel became read-only
            sent = fake.message(GENERAL, "", fake.bot_user(), flags=64, components=[
                {"type": 1, "components": [{"type": 2, "style": 2, "custom_id": post,
                                            "label": "Post in channel"}]}])
            shared = await fake.interaction(3, click(post), MEMBER, GENERAL, message=sent,
                                            permissions=read_only)
            told, = await fake.wait_for(lambda: fake.callbacks(shared))
            assert told["data"]["flags"] == 64 and "shared this answer" not in content_of(told)
    run(scenario)


def test_a_form_submitted_with_hostile_values_saves_nothing_and_shows_them_inert(
        app: App, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Discord caps a form's fields, but a submission is only checked by the bot: 4,000
    characters, template syntax, `@everyone`, bidirectional and control characters."""
    hostile = "{{ 7*7 }} @everyone \u202e\u0000 <@&930000000000000001> " + "x" * 4000

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, admin("add", id="late-fees"), MODERATOR, GENERAL,
                                           roles=(MOD_ROLE,))
            modal, = await fake.wait_for(lambda: fake.callbacks(asked))
            sent = await submit(fake, modal, [hostile] * 5)
            refused, = await fake.wait_for(lambda: fake.callbacks(sent))
            text = content_of(refused)
            assert refused["data"]["flags"] == 64 and text.startswith("Not saved")
            assert len(text) <= 2000 and "49" not in text and "{{ 7" in text
            assert "@everyone" not in text and "\u202e" not in text and "\u0000" not in text
            assert refused["data"]["allowed_mentions"] == {"parse": []}
    with caplog.at_level(logging.INFO):
        run(scenario)
    assert "late-fees" not in app.assistant.entries
    assert tracebacks(caplog) == [] and "xxxxxxxx" not in caplog.text


def test_a_long_question_passed_on_keeps_the_moderators_instructions_and_says_it_was_cut(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 1,900-character question fits Discord as typed, not once quoted and escaped: the
    post must still tell the moderators how to reply, and say the rest is in the queue."""
    question = "tell me a joke about (cats) and *dogs* - please; " * 40
    assert app.assistant.decide(question[:1900]).outcome is Outcome.DECLINE

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            await fake.mention(MEMBER, question[:1900], GENERAL)
            await fake.wait_for(lambda: posted(fake, GENERAL))
            declined = fake.messages[next(reversed(fake.messages))]
            await fake.interaction(3, click("forumbot:ask-moderator"), MEMBER, GENERAL,
                                   message=declined)
            post, = await fake.wait_for(lambda: posted(fake, MODERATORS))
            assert len(post["content"]) <= 2000 and f"<@{MEMBER}>" in post["content"]
            assert "Reply in this thread" in post["content"]
            assert "forumbot handoffs" in post["content"]
    run(scenario)


def test_a_member_with_many_contracts_gets_all_of_them_privately_in_several_messages(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fifteen contracts are 3,000 characters: before, the list stopped at Discord's 2,000
    with an ellipsis, and the member never learned of the rest."""
    seed = copy.deepcopy(SEED)
    contract = seed["contracts"][0]
    seed["contracts"] = [{**copy.deepcopy(contract), "id": f"C-{2000 + i}",
                          "title": f"Website redesign part {i}"} for i in range(15)]
    app.contracts.import_dataset(dataset_from_json(json.dumps(seed)))
    app.assistant.handle(incoming(f"link {app.links.issue_code('acc-alice', utc_now())}",
                                  int(MEMBER), 1, private=True))

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, slash("contract"), MEMBER, GENERAL)
            await fake.wait_for(lambda: fake.callbacks(asked))
            await asyncio.sleep(0.3)
            bodies = [b["data"] for b in fake.callbacks(asked)] + [
                r.body for r in fake.followups(asked)]
            await fake.direct_message(MEMBER, "my contracts")
            dm = fake.dm_channel_of(MEMBER)
            await fake.wait_for(lambda: posted(fake, dm))
            await asyncio.sleep(0.3)
            assert len(bodies) > 1 and all(b["flags"] & 64 for b in bodies)
            for sent in (bodies, posted(fake, dm)):
                assert all(len(b["content"]) <= 2000 for b in sent)
                text = "\n".join(b["content"] for b in sent).replace("\\", "")
                assert all(f"C-{2000 + i}:" in text for i in range(15))
                assert "contract status ID" in text
            assert posted(fake, GENERAL) == []
    run(scenario)


def test_a_member_sending_autocomplete_requests_without_end_gets_empty_ones_past_a_limit(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each keystroke in `/faq` asks for suggestions; a script can ask without end. Past a
    generous limit (typing fits well within it) the answer is empty and costs the bot nothing."""
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, client):
            limit = client.desk.suggest_limit.per_window
            typed = [await fake.interaction(4, typing("faq", "question", "escrow"), MEMBER,
                                            GENERAL) for _ in range(limit + 5)]
            answers = [await fake.wait_for(lambda: fake.callbacks(t)) for t in typed]  # noqa: B023
            sizes = [len(a["data"]["choices"]) for a, in answers]
            assert sizes.count(0) == 5 and all(sizes[:limit])
            other = await fake.interaction(4, typing("faq", "question", "escrow"), OTHER,
                                           GENERAL)
            some, = await fake.wait_for(lambda: fake.callbacks(other))
            assert some["data"]["choices"]
    run(scenario)


@pytest.mark.postgres
def test_while_postgresql_is_away_a_mention_is_answered_from_memory_without_its_claim(
        make_app: Callable[..., App], proxy: tuple[TcpProxy, str],
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """As the README promises for an outage: FAQ questions are still answered. The message's
    once-only claim cannot be written, so it is answered without it (one log line)."""
    tcp, url = proxy
    app = make_app(url)

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            tcp.stop()
            try:
                asked = await fake.mention(MEMBER, "who sets the zebraquokka milestones?",
                                           GENERAL)
                body, = await fake.wait_for(lambda: posted(fake, GENERAL))
            finally:
                tcp.start()
            assert "The client sets the milestones" in body["content"], body["content"]
            assert body["message_reference"]["message_id"] == int(asked["id"])
    run(scenario)
    assert not tracebacks(caplog)
    unclaimed = [r.getMessage() for r in caplog.records if "once-only claim" in r.getMessage()]
    assert len(unclaimed) == 1 and "\n" not in unclaimed[0], unclaimed
    assert "zebraquokka" not in caplog.text


def test_a_moderators_command_while_the_database_is_away_is_told_to_try_again_without_a_traceback(
        make_app: Callable[..., App], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """The database's folder moved away: every new connection fails, as in an outage."""
    folder = tmp_path / "data"
    app = make_app(sqlite_url(folder / "forumbot.db"))
    app.assistant.handle(incoming(OFF_TOPIC, int(MEMBER), int(GENERAL), private=False))

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, admin("inbox"), MODERATOR, GENERAL,
                                           roles=(MOD_ROLE,))
            listing, = await fake.wait_for(lambda: fake.callbacks(asked))
            shown = fake.messages[next(reversed(fake.messages))]
            dismiss = next(c for c in custom_ids(listing) if ":dismiss:" in c)
            app.engine.dispose()
            folder.rename(tmp_path / "away")
            attempts = [admin("inbox"), admin("stats"), {"custom_id": dismiss,
                                                         "component_type": 2}]
            for data in attempts:
                sent = await fake.interaction(3 if "custom_id" in data else 2, data, MODERATOR,
                                              GENERAL, roles=(MOD_ROLE,), message=shown)
                told, = await fake.wait_for(lambda sent=sent: fake.callbacks(sent))
                assert "try this again" in content_of(told), content_of(told)
                assert told["data"]["flags"] == 64
    run(scenario)
    assert not tracebacks(caplog)
    failed = [r.getMessage() for r in caplog.records if "database" in r.getMessage()
              and r.name.startswith("adapters.discord_app")]
    # At most one line each: the core tells what it refuses as it does in a PostgreSQL outage.
    assert len(failed) <= 3 and all("\n" not in line for line in failed), failed
    (tmp_path / "away").rename(folder)
    assert len(app.questions.open_questions(10)) == 1  # not dismissed, not half-way
