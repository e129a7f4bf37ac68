"""Moderators work the inbox in chat and at the command line; the FAQ learns from it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cli.main import run
from adapters.console import ConsoleSession
from bot.app import App, utc_now
from bot.messages import Incoming, Reply
from bot.settings import sqlite_url

MOD = "console:mod"
MEMBER = "console:ana"
CURRENCY = ["can I change the milestone currency", "Can I change the currency of a milestone?",
            "change milestone currency"]
DARK_MODE = ["is there a dark mode", "dark mode?", "is there a dark mode in the app"]


def say(app: App, text: str, user: str = MOD, *, moderator: bool = False) -> Reply:
    return app.assistant.handle(Incoming(text, user, moderator=moderator))


def shown(app: App, reply: Reply, flavor: str = "text") -> str:
    return app.renderer.render(reply, flavor)


def with_moderator(app: App) -> App:
    app.moderators.add(MOD, "test", utc_now())
    return app


def group_of(app: App, text: str) -> int:
    """The number the inbox listing shows for the group worded `text`."""
    listing = shown(app, say(app, "inbox"))
    found = re.search(rf'#(\d+): "{re.escape(text)}"', listing)
    assert found, listing
    return int(found.group(1))


def test_attaching_a_group_makes_every_process_answer_its_questions(
    make_app: Callable[..., App], database_url: str,
) -> None:
    ours, theirs = with_moderator(make_app(database_url)), make_app(database_url)
    for question in CURRENCY:
        assert say(theirs, question, MEMBER).template == "suggest"
    number = group_of(ours, CURRENCY[0])

    done = say(ours, f"inbox attach #{number} milestone-add-edit")
    assert done.template == "inbox_done", shown(ours, done)
    assert (done.context["added"], done.context["closed"], done.context["unanswered"]) == (
        3, 3, [])
    for question in CURRENCY:
        answered = say(ours, question, MEMBER)
        assert answered.context["entry"]["id"] == "milestone-add-edit"
    theirs.assistant.faq.refresh()
    assert say(theirs, CURRENCY[1], MEMBER).context["entry"]["id"] == "milestone-add-edit"

    newest = ours.editor.history("milestone-add-edit")[-1]
    assert (newest.author, newest.version) == (MOD, done.context["version"])
    assert set(CURRENCY) <= set(newest.entry.alternates)
    assert {r.action for r in ours.audit.recent(5)} >= {"faq alias", "inbox attach"}
    assert CURRENCY[0] not in shown(ours, say(ours, "inbox"))


def test_a_new_entry_created_from_a_group_answers_its_questions(app: App) -> None:
    with_moderator(app)
    for question in DARK_MODE:
        assert say(app, question, MEMBER).template == "decline"
    number = group_of(app, DARK_MODE[0])
    done = say(app, f'inbox create {number} dark-mode --title "Dark mode" '
                    f'--answer "There is no dark mode yet." --tag app')
    assert shown(app, done).startswith(f"Created `dark-mode` (version 1) from group #{number} "
                                       "with 3 phrasings; 3 questions left the inbox.")
    for question in DARK_MODE:
        assert say(app, question, MEMBER).context["entry"]["id"] == "dark-mode"


def test_questions_on_a_subject_the_pack_leaves_out_are_answered_once_a_moderator_attaches_them(
    app: App,
) -> None:
    with_moderator(app)
    payoneer = ["how do I withdraw to payoneer", "How do I withdraw to Payoneer?"]
    assert not app.assistant.faq.current().matcher.rank(payoneer[0])[0].in_scope
    for question in payoneer:
        assert say(app, question, MEMBER).template == "decline"
    number = group_of(app, payoneer[0])

    done = say(app, f"inbox attach {number} payment-stages")
    assert (done.context["added"], done.context["unanswered"]) == (1, []), shown(app, done)
    assert "Members asking them get that answer now." in shown(app, done)
    for question in [*payoneer, "how do i withdraw to payoneer!!"]:
        assert say(app, question, MEMBER).context["entry"]["id"] == "payment-stages"
    assert say(app, "how do I withdraw to my bank", MEMBER).template == "decline"


def test_a_group_too_long_to_be_a_phrasing_is_not_attached_and_stays_in_the_inbox(
    app: App,
) -> None:
    with_moderator(app)
    story = "Is there a dark mode? " + "My eyes hurt at night. " * 30
    say(app, story, MEMBER)
    number = group_of(app, story[:159] + "…")
    refused = say(app, f"inbox attach {number} bot-help")
    assert refused.template == "error"
    assert "longer than a phrasing may be (500 characters)" in refused.context["message"]
    assert f"then `inbox dismiss {number}`" in refused.context["message"]
    assert len(app.questions.open_questions(10)) == 1
    assert len(app.editor.history("bot-help")) == 1


def test_wordings_another_entry_already_has_are_left_out_and_named(app: App) -> None:
    with_moderator(app)
    for question in DARK_MODE:
        say(app, question, MEMBER)
    say(app, f'faq alias profile-photo "{DARK_MODE[1]}"')
    number = group_of(app, DARK_MODE[0])
    done = say(app, f"inbox attach {number} bot-help")
    assert (done.context["added"], done.context["taken"]) == (
        2, [{"text": DARK_MODE[1], "entry_id": "profile-photo"}])
    assert (f'Not added, already phrasings of other entries: "{DARK_MODE[1]}" '
            "(`profile-photo`).") in shown(app, done)


def test_a_reason_given_for_dismissing_or_rejecting_goes_to_the_audit_log(app: App) -> None:
    with_moderator(app)
    say(app, "tell me a joke", MEMBER)
    number = group_of(app, "tell me a joke")
    assert say(app, f'inbox dismiss {number} --reason "   "').template == "error"
    say(app, f'inbox dismiss {number} --reason "small talk, not ours"')
    assert app.audit.recent(1)[0].detail == (
        "1 question dismissed; reason: small talk, not ours")


def test_accepting_a_pick_closes_questions_worded_like_it_whatever_the_case(app: App) -> None:
    with_moderator(app)
    member = ConsoleSession(app, MEMBER)
    question = "client ended the contract, what about the milestones"
    member.reply_to(question)
    member.reply_to("1")
    say(app, question.upper() + "??", MEMBER)
    candidate, = app.questions.open_candidates()
    say(app, f"inbox accept {candidate.id}")
    assert app.questions.open_questions(10) == []


def test_a_dismissed_group_leaves_the_inbox_until_members_ask_it_again(app: App) -> None:
    with_moderator(app)
    say(app, "tell me a joke", MEMBER)
    number = group_of(app, "tell me a joke")
    assert shown(app, say(app, f"inbox dismiss {number}")) == (
        f"Dismissed group #{number}: 1 question left the inbox.")
    assert "joke" not in shown(app, say(app, "inbox"))
    assert say(app, f"inbox dismiss {number}").template == "error"
    say(app, "tell me a joke!", MEMBER)
    assert "tell me a joke!" in shown(app, say(app, "inbox"))


def test_a_picked_choice_waits_as_a_candidate_until_a_moderator_accepts_it(app: App) -> None:
    with_moderator(app)
    member = ConsoleSession(app, MEMBER)
    question = "client ended the contract, what about the milestones"
    assert "Reply with a number" in member.reply_to(question)
    member.reply_to("1")
    assert "client ended the contract" in shown(app, say(app, "inbox"))
    candidate, = app.questions.open_candidates()
    entry_id = candidate.entry_id
    assert question not in app.faq.get(entry_id).alternates  # type: ignore[union-attr]

    done = say(app, f"inbox accept {candidate.id}")
    assert done.context["version"] == 2, shown(app, done)
    assert question in app.faq.get(entry_id).alternates  # type: ignore[union-attr]
    assert say(app, question, MEMBER).context["entry"]["id"] == entry_id
    assert app.questions.open_candidates() == []
    assert app.questions.open_questions(10) == []  # the same question's inbox item went too

    member.reply_to(CURRENCY[0])
    member.reply_to("2")
    rejected, = app.questions.open_candidates()
    assert say(app, f"inbox reject {rejected.id}").context["closed"] == 1
    assert app.questions.open_candidates() == []


def test_a_member_who_is_not_a_moderator_cannot_use_the_inbox(app: App) -> None:
    say(app, "tell me a joke", MEMBER)
    for command in ("inbox", "inbox dismiss 1", "/inbox --limit 3"):
        reply = say(app, command, MEMBER)
        assert reply.template == "error"
        assert "Only moderators can do that" in reply.context["message"]
    assert len(app.questions.open_questions(10)) == 1
    granted = say(app, "inbox", "slack:T1/U9", moderator=True)  # a platform's moderator role
    assert granted.template == "inbox"
    assert say(app, "inbox full, what now?", MEMBER).template != "error"  # only a question


def test_hostile_question_text_is_stored_whole_and_shown_escaped_on_every_platform(
    app: App,
) -> None:
    with_moderator(app)
    hostile = "<!channel> @everyone {{ 7*7 }} {% raw %} \x1b[2J is *dark mode* here? "
    say(app, hostile + "x" * 100_000, MEMBER)
    listing = say(app, "inbox")
    assert "{{ 7*7 }} {% raw %}" in shown(app, listing)
    assert "\x1b" not in shown(app, listing)
    assert "&lt;!channel&gt;" in shown(app, listing, "slack")
    assert "@everyone" not in shown(app, listing, "discord")
    stored, = app.questions.open_questions(10)
    assert len(stored.text) == 2000 and "\x1b" not in stored.text


def test_the_operator_lists_and_works_the_inbox_at_the_command_line(
    make_app: Callable[..., App], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    app = make_app(sqlite_url(tmp_path / "data" / "forumbot.db"))
    for question in [*DARK_MODE, "tell me a joke"]:
        say(app, question, MEMBER)
    environ = {"FORUMBOT_DATA_DIR": str(tmp_path / "data")}
    assert run(["inbox", "--limit", "1"], environ) == 0
    listing = capsys.readouterr().out
    assert "4 in 2 groups, most asked first (the first 1)" in listing
    assert '"is there a dark mode" (3 times' in listing and "joke" not in listing
    number = group_of(with_moderator(app), DARK_MODE[0])
    with pytest.raises(SystemExit):
        run(["inbox", "dismiss", str(number)], environ)
    assert "the following arguments are required: --as" in capsys.readouterr().err
    assert run(["inbox", "dismiss", str(number), "--as", "ana", "--reason", "not ours"],
               environ) == 0
    assert capsys.readouterr().out.startswith(f"Dismissed group #{number}: 3 questions")
    record = app.audit.recent(1)[0]
    assert (record.actor, record.action, record.target) == ("ana", "inbox dismiss",
                                                            f"group #{number}")
