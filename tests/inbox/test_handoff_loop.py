"""The hand-off loop closes: moderators list, answer and close what members passed on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cli.main import run
from adapters.console import chat
from bot.app import App, build_app, utc_now
from bot.inbox.handoffs import HandoffRequest, parse_chat
from bot.messages import Incoming
from bot.settings import settings_from_environ

MEMBER, MOD = "console:bo", "slack:T1/UMOD"


def environ(tmp_path: Path) -> dict[str, str]:
    return {"FORUMBOT_DATA_DIR": str(tmp_path / "data")}


def pass_on(app: App, question: str, user: str = MEMBER) -> int:
    reply = app.assistant.handle(Incoming(f"moderator {question}", user))
    assert reply.context["queued"]
    return max(h.id for h in app.handoffs.queued())


def chat_transcript(app: App, user: str) -> str:
    """What a `chat` that is left at once shows the member."""
    said: list[str] = []
    chat(app, user, None, read=lambda _prompt: "/quit", write=said.append)
    return "\n".join(said)


def request(words: list[str]) -> HandoffRequest:
    return parse_chat("handoff " + " ".join(f'"{w}"' if " " in w else w for w in words))


def test_the_operator_answers_a_hand_off_and_the_member_sees_it_at_the_next_chat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    env = environ(tmp_path)
    assert run(["ask", "--user", "bo", "moderator my client vanished with my files"], env) == 0
    assert run(["handoffs"], env) == 0
    listing = capsys.readouterr().out
    assert "console:bo (console): my client vanished with my files" in listing
    number = listing.split("#", 1)[1].split()[0]
    assert run(["handoffs", "reply", number, "Open a dispute from the contract page.",
                "--as", "ana"], env) == 0
    assert f"hand-off #{number}" in capsys.readouterr().out
    assert run(["handoffs"], env) == 0
    assert "No questions are waiting" in capsys.readouterr().out
    assert run(["audit"], env) == 0
    audit = capsys.readouterr().out
    assert "handoff reply" in audit and "ana" in audit and "vanished" not in audit

    app = build_app(settings_from_environ(env))
    try:
        shown = chat_transcript(app, MEMBER)
        assert "While you were away:" in shown
        assert ('A moderator answered the question you passed on ("my client vanished with my '
                'files"):\nOpen a dispute from the contract page.') in shown
        assert "A moderator answered" not in chat_transcript(app, MEMBER), "shown once"
    finally:
        app.engine.dispose()


def test_closing_without_an_answer_is_audited_and_sends_nothing(app: App) -> None:
    number = pass_on(app, "my client vanished")
    reply = app.assistant.queue.handle(
        request(["close", str(number), "--reason", "asked twice"]), "ana", granted=True)
    assert reply.template == "handoff_done"
    assert app.handoffs.queued() == []
    newest = app.audit.recent(1)[0]
    assert (newest.action, newest.actor, newest.target, newest.detail) == (
        "handoff close", "ana", f"handoff #{number}", "asked twice")
    assert "While you were away" not in chat_transcript(app, MEMBER)


def test_a_moderator_lists_and_answers_in_chat_and_others_are_refused(
    make_app: Callable[..., App], database_url: str,
) -> None:
    app = make_app(database_url)
    number = pass_on(app, "can I pay the freelancer in crypto")
    app.moderators.add(MOD, "test", utc_now())
    member = app.assistant.handle(Incoming(f"handoff reply {number} no", "console:eve"))
    assert member.template == "error" and "moderator" in member.context["message"]
    listed = app.assistant.handle(Incoming("handoffs", MOD, platform="slack", private=False))
    assert listed.private, "members' questions never go to a public channel"
    listing = app.renderer.render(listed)
    assert f"#{number} " in listing and "crypto" in listing
    done = app.assistant.handle(Incoming(f"handoff reply {number} Only through the site.", MOD))
    assert done.template == "handoff_done"
    again = app.assistant.handle(Incoming(f"handoff close {number}", MOD))
    assert again.template == "error" and "closed already" in again.context["message"]
    assert "Only through the site." in chat_transcript(app, MEMBER)


def test_a_reply_can_become_a_phrasing_or_a_new_entry_in_the_same_step(app: App) -> None:
    first = pass_on(app, "the client never answers my refund request")
    second = pass_on(app, "is there a dark mode", user="console:cy")
    desk = app.assistant.queue
    desk.handle(request(["reply", str(first), "You have 7 days.", "--add-to",
                          "refund-request"]), "ana", granted=True)
    assert "the client never answers my refund request" in \
        app.editor.history("refund-request")[-1].entry.alternates
    desk.handle(request(["reply", str(second), "Not yet.", "--new-entry", "dark-mode",
                          "--title", "Dark mode"]), "ana", granted=True)
    answer = app.assistant.handle(Incoming("is there a dark mode", "console:zed"))
    assert answer.context["entry"]["id"] == "dark-mode"
    assert {r.action for r in app.audit.recent(6)} >= {"handoff reply", "faq alias", "faq add"}


def test_a_refused_faq_change_sends_nothing_and_keeps_the_hand_off_open(app: App) -> None:
    number = pass_on(app, "my client vanished")
    reply = app.assistant.handle(Incoming(
        f"handoff reply {number} Sorry --add-to no-such-entry", MOD, moderator=True))
    assert reply.template == "error"
    assert [h.id for h in app.handoffs.queued()] == [number]
    assert "While you were away" not in chat_transcript(app, MEMBER)


@pytest.mark.parametrize("number", ["99999999999999999999", "0", "x1", "-3"])
def test_a_hand_off_number_that_cannot_be_one_is_refused_by_name(app: App, number: str) -> None:
    reply = app.assistant.handle(Incoming(f"handoff close {number}", MOD, moderator=True))
    assert reply.template == "error" and number[:20] in reply.context["message"]
