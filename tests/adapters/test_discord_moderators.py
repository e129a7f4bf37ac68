"""Moderators on Discord: `/faq-admin`, forms, "Add to FAQ" and the inbox, against the fake."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from discord_harness import (
    GENERAL,
    MEMBER,
    MOD_ROLE,
    MODERATOR,
    client_for,
    config,
    content_of,
    custom_ids,
    faked,
    running,
)
from fake_discord import FakeDiscord

from bot.app import App, utc_now
from bot.faq.editing import EntryChanges
from bot.messages import Incoming

MESSAGES = r"/channels/\d+/messages"


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(scenario())


def admin(sub: str, **options: str) -> dict[str, Any]:
    return {"id": "2", "name": "faq-admin", "type": 1, "options": [
        {"name": sub, "type": 1,
         "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}]}


def fields(modal: dict[str, Any]) -> list[dict[str, Any]]:
    """The text inputs of a modal a callback opened, in order."""
    found = []
    for row in modal["data"]["components"]:
        inner = row.get("components") or [row.get("component")]
        found += [c for c in inner if c and c.get("type") == 4]
    return found


async def submit(fake: FakeDiscord, modal: dict[str, Any], values: list[str],
                 user: str = MODERATOR) -> dict[str, Any]:
    """Fill in a modal's fields in order and submit it; returns the interaction."""
    rows = [{"type": 1, "components": [{"type": 4, "custom_id": f["custom_id"], "value": v}]}
            for f, v in zip(fields(modal), values, strict=True)]
    return await fake.interaction(5, {"custom_id": modal["data"]["custom_id"],
                                      "components": rows}, user, GENERAL, roles=(MOD_ROLE,))


async def answer_to(fake: FakeDiscord, question: str) -> str:
    before = len(fake.posts("POST", f"/channels/{GENERAL}/messages"))
    await fake.mention(MEMBER, question, GENERAL)
    posts = await fake.wait_for(
        lambda: fake.posts("POST", f"/channels/{GENERAL}/messages")[before:])
    return str(posts[0].body["content"])


def test_a_member_who_is_not_a_moderator_is_refused_privately_and_nothing_opens(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            for data in (admin("add", id="late-fees"), admin("inbox"), admin("stats")):
                asked = await fake.interaction(2, data, MEMBER, GENERAL)
                refused, = await fake.wait_for(lambda: fake.callbacks(asked))  # noqa: B023
                assert refused["type"] == 4 and refused["data"]["flags"] == 64
                assert "Only moderators" in content_of(refused)
    run(scenario)
    assert "late-fees" not in app.assistant.entries


def test_a_moderator_adds_an_entry_with_the_form_and_members_get_it_at_once(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, admin("add", id="late-fees"), MODERATOR, GENERAL,
                                           roles=(MOD_ROLE,))
            modal, = await fake.wait_for(lambda: fake.callbacks(asked))
            assert modal["type"] == 9 and len(fields(modal)) == 5
            sent = await submit(fake, modal, [
                "Late fees", "There is **no late fee** on the marketplace.",
                "is there a late fee\nwhat is the penalty for paying late", "fees",
                "asked twice this week"])
            saved, = await fake.wait_for(lambda: fake.callbacks(sent))
            assert saved["data"]["flags"] == 64 and "Added" in content_of(saved)
            assert "no late fee" in await answer_to(fake, "is there a late fee")
    run(scenario)
    assert app.editor.current("late-fees").author == f"discord:{MODERATOR}"


def test_an_edit_changed_meanwhile_is_refused_keeping_what_was_typed(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, admin("edit", entry="escrow-basics"), MODERATOR,
                                           GENERAL, permissions=1 << 13)  # Manage Messages
            modal, = await fake.wait_for(lambda: fake.callbacks(asked))
            shown = [f.get("value", "") for f in fields(modal)]
            assert shown[0] == app.assistant.entries["escrow-basics"].title
            await asyncio.to_thread(
                app.editor.edit, "console:ana", "escrow-basics",
                EntryChanges(title="Escrow, in short"), "shorter", granted=True)
            typed = ["Escrow explained", shown[1] + "\nMy new line.", shown[2], shown[3],
                     "clearer"]
            sent = await submit(fake, modal, typed)
            refused, = await fake.wait_for(lambda: fake.callbacks(sent))
            text = content_of(refused)
            assert "changed since version" in text and "My new line." in text
            assert refused["data"]["flags"] == 64
            button, = [c for row in refused["data"]["components"] for c in row["components"]]
            again = await fake.interaction(
                3, {"custom_id": button["custom_id"], "component_type": 2}, MODERATOR, GENERAL,
                roles=(MOD_ROLE,), message=fake.messages[next(reversed(fake.messages))])
            reopened, = await fake.wait_for(lambda: fake.callbacks(again))
            assert reopened["type"] == 9
            assert next(f.get("value") for f in fields(reopened)) == "Escrow explained"
    run(scenario)
    assert app.assistant.entries["escrow-basics"].title == "Escrow, in short"


def test_add_to_faq_opens_the_form_with_the_message_as_a_phrasing(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            message = await fake.guild_message(MEMBER, "can I pay in two parts?", GENERAL)
            data = {"id": "3", "name": "Add to FAQ", "type": 3, "target_id": message["id"],
                    "resolved": {"messages": {message["id"]: message}}}
            asked = await fake.interaction(2, data, MODERATOR, GENERAL, roles=(MOD_ROLE,))
            modal, = await fake.wait_for(lambda: fake.callbacks(asked))
            assert modal["type"] == 9
            values = [f.get("value") for f in fields(modal)]
            assert "can I pay in two parts?" in values
    run(scenario)


def test_the_inbox_lists_questions_with_buttons_that_act_on_a_group(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        app.assistant.handle(Incoming("tell me a joke about cats", "discord:1",
                                      platform="discord"))

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, admin("inbox"), MODERATOR, GENERAL,
                                           roles=(MOD_ROLE,))
            listing, = await fake.wait_for(lambda: fake.callbacks(asked))
            assert "joke about cats" in content_of(listing)
            dismiss = next(c for c in custom_ids(listing) if ":dismiss:" in c)
            assert any(":attach:" in c for c in custom_ids(listing))
            clicked = await fake.interaction(
                3, {"custom_id": dismiss, "component_type": 2}, MODERATOR, GENERAL,
                roles=(MOD_ROLE,), message=fake.messages[next(reversed(fake.messages))])
            done, = await fake.wait_for(lambda: fake.callbacks(clicked))
            assert "Dismissed group" in content_of(done) and done["data"]["flags"] == 64
            stats = await fake.interaction(2, admin("stats"), MODERATOR, GENERAL,
                                           roles=(MOD_ROLE,))
            table, = await fake.wait_for(lambda: fake.callbacks(stats))
            assert "questions" in content_of(table) and table["data"]["flags"] == 64
    run(scenario)
    assert app.questions.open_questions(10) == []


def test_a_form_opened_before_a_restart_is_answered_not_lost_silently(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    async def scenario() -> None:
        async with faked(monkeypatch) as fake:
            async with client_for(app, fake, config()):
                asked = await fake.interaction(2, admin("add", id="late-fees"), MODERATOR,
                                               GENERAL, roles=(MOD_ROLE,))
                modal, = await fake.wait_for(lambda: fake.callbacks(asked))
            async with client_for(app, fake, config()):
                sent = await submit(fake, modal, ["T", "A", "", "", "r"])
                told, = await fake.wait_for(lambda: fake.callbacks(sent))
                assert "no longer open" in content_of(told)
    run(scenario)
    assert utc_now() and "late-fees" not in app.assistant.entries


def test_a_form_submitted_after_its_timeout_is_answered_not_lost_silently(
        app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.discord_app.forms as forms

    monkeypatch.setattr(forms, "FORM_TIMEOUT", 0.1)

    async def scenario() -> None:
        async with running(app, monkeypatch) as (fake, _):
            asked = await fake.interaction(2, admin("add", id="late-fees"), MODERATOR,
                                           GENERAL, roles=(MOD_ROLE,))
            modal, = await fake.wait_for(lambda: fake.callbacks(asked))
            await asyncio.sleep(0.5)
            sent = await submit(fake, modal, ["T", "A long answer typed", "", "", "r"])
            told, = await fake.wait_for(lambda: fake.callbacks(sent))
            assert "no longer open" in content_of(told)
            assert "A long answer typed" in content_of(told)
    run(scenario)
    assert "late-fees" not in app.assistant.entries
