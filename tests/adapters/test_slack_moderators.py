"""Moderators work in Slack: `/faq-admin` modals that add and edit entries through the
editing service, the inbox's buttons, the stats, the "Add to FAQ" shortcut; everyone else is
refused, privately, and nothing changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from bot.app import App
from bot.faq.editing import EntryChanges
from tests.adapters.slack_fake import (
    BOT_USER,
    TEAM,
    FakeSlack,
    Serve,
    buttons,
    mention_event,
    texts,
)

MODERATOR = "UMOD"


def submit(serve: Serve, view: dict[str, Any], typed: dict[str, str],
           user: str = MODERATOR) -> dict[str, Any]:
    """Submit a modal as it was opened, with `typed` in its fields; the ack's JSON."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        value = typed.get(block["block_id"], element.get("initial_value", ""))
        if element["type"] == "static_select":
            field = {"type": "static_select", "selected_option": {"value": value}}
        else:
            field = {"type": "plain_text_input", "value": value}
        state[block["block_id"]] = {element["action_id"]: field}
    response = serve.interact({
        "type": "view_submission", "user": {"id": user, "team_id": TEAM},
        "trigger_id": "trigger-submit",
        "view": {"id": "V1", "type": "modal", "callback_id": view["callback_id"],
                 "private_metadata": view.get("private_metadata", ""),
                 "state": {"values": state}}})
    assert response.status_code == 200
    return response.json() if response.content else {}


def opened_view(fake: FakeSlack, count: int = 1) -> dict[str, Any]:
    return fake.wait_for("views.open", count)[count - 1]["view"]


def test_a_member_who_is_not_a_moderator_is_refused_privately(serve: Serve,
                                                              fake: FakeSlack) -> None:
    serve.command("/faq-admin", user="UMEMBER")
    serve.command("/faq-admin", "inbox", user="UMEMBER")
    refusals = fake.wait_for("response_url", 2)
    assert all("Only moderators" in r["text"] for r in refusals)
    assert all(r["response_type"] == "ephemeral" for r in refusals)
    assert not fake.of("views.open")


def test_an_added_entry_answers_members_at_once(serve: Serve, fake: FakeSlack) -> None:
    serve.command("/faq-admin", "add", user=MODERATOR)
    form = opened_view(fake)
    ack = submit(serve, form, {"id": "late-fees", "title": "Late fees",
                               "answer": "There is **no** late fee on the marketplace.",
                               "phrasings": "is there a late fee\npenalty for paying late",
                               "tags": "fees", "reason": "asked twice this week"})
    assert ack["response_action"] == "update"
    assert "late-fees" in texts(ack["view"]["blocks"])
    serve.event(mention_event(f"<@{BOT_USER}> is there a late fee"))
    answer, = fake.wait_for("chat.postMessage")
    assert "no* late fee" in texts(answer["blocks"])


def test_the_picker_opens_the_add_form_or_an_entrys_edit_form(serve: Serve,
                                                              fake: FakeSlack) -> None:
    serve.command("/faq-admin", user=MODERATOR)
    picker = opened_view(fake)
    select = picker["blocks"][0]["element"]
    assert select["options"][0]["value"] == "__new__"
    payload = {"type": "block_actions", "user": {"id": MODERATOR, "team_id": TEAM},
               "view": {"id": "V9", "hash": "h9", "type": "modal",
                        "callback_id": picker["callback_id"]},
               "trigger_id": "t", "actions": [{"type": "static_select",
                                               "action_id": select["action_id"],
                                               "block_id": "entry",
                                               "selected_option": {"value": "escrow-basics"}}]}
    serve.interact(payload)
    update, = fake.wait_for("views.update")
    assert update["view_id"] == "V9" and update["view"]["callback_id"] == "faq_edit"
    assert '"id":"escrow-basics"' in update["view"]["private_metadata"]


def test_an_edit_made_meanwhile_is_a_field_error_in_the_modal(app: App, serve: Serve,
                                                              fake: FakeSlack) -> None:
    serve.command("/faq-admin", "edit escrow-basics", user=MODERATOR)
    form = opened_view(fake)
    app.editor.edit("console:ana", "escrow-basics", EntryChanges(title="Escrow, simply"),
                    "clearer", granted=True)
    ack = submit(serve, form, {"title": "Escrow explained", "reason": "shorter"})
    assert ack["response_action"] == "errors"
    assert "changed since version 1" in ack["errors"]["answer"]
    assert app.editor.current("escrow-basics").entry.title == "Escrow, simply"


def test_a_validation_error_appears_under_its_field(serve: Serve, fake: FakeSlack) -> None:
    serve.command("/faq-admin", "add", user=MODERATOR)
    ack = submit(serve, opened_view(fake), {"id": "escrow-basics", "title": "Escrow again",
                                            "answer": "Escrow holds the money.",
                                            "reason": "duplicate"})
    assert ack["response_action"] == "errors"
    assert "taken" in ack["errors"]["id"]


def test_the_add_to_faq_shortcut_prefills_the_message_as_a_phrasing(serve: Serve,
                                                                    fake: FakeSlack) -> None:
    shortcut = {"type": "message_action", "callback_id": "add_to_faq",
                "user": {"id": MODERATOR, "team_id": TEAM}, "channel": {"id": "CGENERAL"},
                "trigger_id": "trigger-shortcut", "response_url": fake.response_url("sc"),
                "message": {"type": "message", "user": "UMEMBER", "ts": "1700000000.1",
                            "text": "can I pay &lt;late&gt; without a fee?"}}
    serve.interact(shortcut)
    form = opened_view(fake)
    phrasings = next(b for b in form["blocks"] if b["block_id"] == "phrasings")
    assert phrasings["element"]["initial_value"] == "can I pay <late> without a fee?"
    serve.interact(shortcut | {"user": {"id": "UMEMBER", "team_id": TEAM}})
    refusal, = fake.wait_for("response_url")
    assert "Only moderators" in refusal["text"] and len(fake.of("views.open")) == 1


def test_the_inbox_lists_declined_questions_and_dismiss_takes_a_group_out(
        serve: Serve, fake: FakeSlack) -> None:
    for n in range(2):
        serve.event(mention_event(f"<@{BOT_USER}> what is the weather on mars",
                                  ts=f"170000100{n}.000100"))
    fake.wait_for("chat.postMessage", 2)
    serve.command("/faq-admin", "inbox", user=MODERATOR)
    inbox, = fake.wait_for("response_url")
    assert "weather on mars" in texts(inbox["blocks"])
    dismiss = next(b for b in buttons(inbox["blocks"]) if b["text"]["text"] == "Dismiss")
    serve.click(dismiss, user=MODERATOR, ephemeral=True)
    done = fake.wait_for("response_url", 2)[1]
    assert "Dismissed group" in done["text"] and "2 questions" in done["text"]


def test_a_moderator_in_the_table_may_see_the_stats(app: App, serve: Serve,
                                                    fake: FakeSlack) -> None:
    app.moderators.add(f"slack:{TEAM}/UTABLE", "console:ana", datetime.now(UTC))
    serve.command("/faq-admin", "stats 7", user="UTABLE")
    stats, = fake.wait_for("response_url")
    assert "```" in texts(stats["blocks"]) and "escrow-basics" in texts(stats["blocks"])


def test_attaching_an_inbox_group_makes_its_question_answered(serve: Serve,
                                                              fake: FakeSlack) -> None:
    serve.event(mention_event(f"<@{BOT_USER}> does escrow gather interest"))
    fake.wait_for("chat.postMessage")
    serve.command("/faq-admin", "inbox", user=MODERATOR)
    inbox, = fake.wait_for("response_url")
    attach = next(b for b in buttons(inbox["blocks"]) if b["text"]["text"] == "Attach to…")
    serve.click(attach, user=MODERATOR, ephemeral=True)
    form = opened_view(fake)
    ack = submit(serve, form, {"entry": "escrow-basics", "reason": "asked in Slack"})
    assert ack["response_action"] == "update"
    assert "attached to `escrow-basics`" in texts(ack["view"]["blocks"])
    serve.event(mention_event(f"<@{BOT_USER}> does escrow gather interest",
                              ts="1700009999.000100"))
    answer = fake.wait_for("chat.postMessage", 2)[1]
    assert [b["text"]["text"] for b in buttons(answer["blocks"])] == ["Helpful", "Not helpful"]


def test_accepting_a_picked_choice_makes_the_question_a_phrasing(app: App, serve: Serve,
                                                                 fake: FakeSlack) -> None:
    serve.event(mention_event(f"<@{BOT_USER}> how do milestones work"))
    choices, = fake.wait_for("chat.postMessage")
    first = buttons(choices["blocks"])[0]
    serve.click(first, message=choices)
    fake.wait_for("response_url")
    serve.command("/faq-admin", "inbox", user=MODERATOR)
    inbox = fake.wait_for("response_url", 2)[1]
    assert "how do milestones work" in texts(inbox["blocks"])
    accept = next(b for b in buttons(inbox["blocks"]) if b["text"]["text"] == "Accept")
    serve.click(accept, user=MODERATOR, ephemeral=True)
    done = fake.wait_for("response_url", 3)[2]
    assert "Accepted pick" in done["text"]
    entry_id = json.loads(first["value"])["e"]
    assert "how do milestones work" in app.editor.current(entry_id).entry.alternates


def test_the_moderators_user_group_is_asked_once_for_many_actions(serve: Serve,
                                                                  fake: FakeSlack) -> None:
    for _ in range(3):
        serve.command("/faq-admin", "stats", user=MODERATOR)
    serve.command("/faq-admin", "stats", user="UMEMBER")
    replies = fake.wait_for("response_url", 4)
    assert sum("Only moderators" in (r.get("text") or "") for r in replies) == 1
    assert len(fake.of("usergroups.users.list")) == 1
    assert fake.of("usergroups.users.list")[0]["usergroup"] == "S1"


def test_a_new_entry_from_an_inbox_group_answers_its_question(serve: Serve,
                                                              fake: FakeSlack) -> None:
    serve.event(mention_event(f"<@{BOT_USER}> does escrow gather interest"))
    fake.wait_for("chat.postMessage")
    serve.command("/faq-admin", "inbox", user=MODERATOR)
    inbox, = fake.wait_for("response_url")
    create = next(b for b in buttons(inbox["blocks"]) if b["text"]["text"] == "New entry")
    serve.click(create, user=MODERATOR, ephemeral=True)
    ack = submit(serve, opened_view(fake), {
        "id": "escrow-interest", "title": "Interest on escrow",
        "answer": "Escrow earns **no** interest for either side.", "tags": "escrow"})
    assert ack["response_action"] == "update"
    assert "Created `escrow-interest`" in texts(ack["view"]["blocks"])
    serve.event(mention_event(f"<@{BOT_USER}> does escrow gather interest",
                              ts="1700009998.000100"))
    answer = fake.wait_for("chat.postMessage", 2)[1]
    assert "no* interest" in texts(answer["blocks"])


def test_rejecting_a_picked_choice_drops_it(app: App, serve: Serve, fake: FakeSlack) -> None:
    serve.event(mention_event(f"<@{BOT_USER}> how do milestones work"))
    choices, = fake.wait_for("chat.postMessage")
    serve.click(buttons(choices["blocks"])[0], message=choices)
    fake.wait_for("response_url")
    serve.command("/faq-admin", "inbox", user=MODERATOR)
    inbox = fake.wait_for("response_url", 2)[1]
    reject = next(b for b in buttons(inbox["blocks"]) if b["text"]["text"] == "Reject")
    serve.click(reject, user="UMEMBER", ephemeral=True)  # not a moderator: refused
    serve.click(reject, user=MODERATOR, ephemeral=True)
    replies = fake.wait_for("response_url", 4)[2:]
    assert sorted("Only moderators" in r["text"] for r in replies) == [False, True]
    assert any("Rejected pick" in r["text"] for r in replies)
