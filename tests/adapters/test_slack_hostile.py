"""A hostile review of `POST /slack/events`: what a stranger or a buggy Slack can send is
refused with a clear status or ignored, nothing crashes, and the log holds no traceback and
no member's words."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.app import App
from bot.contracts.demo import demo_dataset
from bot.settings import sqlite_url
from tests.adapters.slack_fake import (
    BOT_USER,
    FakeSlack,
    Serve,
    buttons,
    event_callback,
    link_member,
    mention_event,
    message_event,
    signed_headers,
    texts,
)
from tests.tcp_proxy import TcpProxy

MENTION = f"<@{BOT_USER}>"


def _quiet(caplog: pytest.LogCaptureFixture, settle: float = 0.5) -> None:
    """No record with a traceback (and no ASGI crash) reached the log."""
    time.sleep(settle)  # what runs after the ack has its turn
    crashes = [r for r in caplog.records if r.exc_info or "Exception in ASGI" in r.getMessage()]
    assert not crashes, [r.getMessage() for r in crashes]


def _failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Log records with a traceback, of errors Bolt handled, or of its ack race (an error
    right after `ack()` made Bolt wait three seconds and answer 404)."""
    return [r.getMessage()[:200] for r in caplog.records
            if r.exc_info or r.name.startswith(("slack_bolt", "forumbot.slack.library"))]


def _sent(fake: FakeSlack) -> list[str]:
    return [c.method for c in fake.calls if c.method not in ("auth.test",
                                                             "usergroups.users.list")]


def test_a_signature_header_with_a_non_ascii_character_is_refused_with_401(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    body = json.dumps(mention_event(f"{MENTION} who sets the milestones?"))
    headers = signed_headers(body) | {"X-Slack-Signature": "v0=\u00e9"}
    response = serve._http.post("/slack/events", content=body.encode(), headers={
        k: v.encode("latin-1") for k, v in headers.items()} | {
        "Content-Type": b"application/json"})
    assert response.status_code == 401
    assert not _sent(fake)
    _quiet(caplog)


def test_a_body_cut_off_by_the_client_leaves_no_traceback_in_the_log(
        serve: Serve, caplog: pytest.LogCaptureFixture) -> None:
    host, port = serve.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 1000\r\n\r\n{\"type\": ")
        time.sleep(0.3)
    _quiet(caplog, settle=1.0)


def test_a_slack_body_that_does_not_arrive_in_time_gets_408(
        app: App, fake: FakeSlack, caplog: pytest.LogCaptureFixture,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import adapters.slack.slack_app

    monkeypatch.setattr(adapters.slack.slack_app, "BODY_TIMEOUT", 0.5)
    serve = Serve(app, fake)
    try:
        host, port = serve.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as sock:
            sock.settimeout(10)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         b"application/json\r\nContent-Length: 1000\r\n\r\n{\"type\": ")
            answer = sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    finally:
        serve.stop()
    _quiet(caplog, settle=0)


def test_deeply_nested_json_in_a_signed_body_is_refused_with_400(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    body = '{"type": "event_callback", "event": ' + "[" * 50_000 + "]" * 50_000 + "}"
    assert serve.post(body, "application/json").status_code == 400
    form = "payload=" + "%5B" * 60_000
    assert serve.post(form, "application/x-www-form-urlencoded").status_code == 400
    assert not _sent(fake)
    _quiet(caplog)


def _click(**payload: Any) -> dict[str, Any]:
    return {"type": "block_actions", "user": {"id": "UMEMBER"}, "channel": {"id": "CGENERAL"},
            "container": {"type": "message", "channel_id": "CGENERAL"},
            "trigger_id": "trigger-1", "response_url": "https://hooks.slack.invalid/r",
            "actions": [{"type": "button", "action_id": "rate_helpful",
                         "value": "escrow-basics"}]} | payload


MALFORMED = {
    "an event that is a string": event_callback("app_mention"),  # type: ignore[arg-type]
    "an event that is a list": event_callback([1, 2]),  # type: ignore[arg-type]
    "a button's user as a string": _click(user="UMEMBER"),
    "a button's channel as a string": _click(channel="CGENERAL"),
    "a button's container as a string": _click(container="message"),
    "a button's message as a string": _click(message="hello"),
    "no actions": _click(actions=[]),
    "actions as a string": _click(actions="rate_helpful"),
    "an action that is a number": _click(actions=[7]),
    "a view submission whose view has no type": {
        "type": "view_submission", "user": {"id": "UMOD"},
        "view": {"callback_id": "faq_add", "state": {"values": {}}}},
    "a view submission whose view is a string": {
        "type": "view_submission", "user": {"id": "UMOD"}, "view": "faq_add"},
    "a shortcut without a trigger": {
        "type": "message_action", "callback_id": "add_to_faq", "user": {"id": "UMOD"},
        "response_url": "https://hooks.slack.invalid/r",
        "channel": {"id": "CGENERAL"}, "message": {"text": "hi"}},
    "a button under a message without a response URL": _click(response_url=None),
    "a response URL that is not a URL": _click(response_url="not a url"),
    "a response URL without a host": _click(response_url="https:///commands/1"),
    "a response URL of another scheme": _click(response_url="javascript:alert(1)"),
    "a response URL with a broken address": _click(response_url="https://[::1/r"),
    "a button in a modal with a response URL that is not a URL": _click(
        view={"id": "V1", "type": "modal"}, response_url="hooks.slack.com"),
    "a member's message shortcut without a response URL": {
        "type": "message_action", "callback_id": "add_to_faq", "user": {"id": "UMEMBER"},
        "trigger_id": "trigger-1", "channel": {"id": "CGENERAL"}, "message": {"text": "hi"}},
    "an inbox button without a trigger": _click(user={"id": "UMOD"}, trigger_id=None, actions=[
        {"type": "button", "action_id": "inbox_attach_open", "value": "1"}]),
}


@pytest.mark.parametrize("payload", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_signed_payload_of_the_wrong_shape_is_refused_with_400_and_nothing_is_sent(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture,
        payload: dict[str, Any]) -> None:
    if "event" in payload:
        response = serve.event(payload)
    else:
        response = serve.interact({k: v for k, v in payload.items() if v is not None})
    assert response.status_code == 400
    assert "not a Slack payload" in response.text
    assert not _sent(fake)
    _quiet(caplog)


def test_an_inbox_button_carrying_thousands_of_digits_does_nothing_and_logs_no_traceback(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    response = serve.interact(_click(user={"id": "UMOD"}, response_url=fake.response_url("r"),
                                     actions=[
        {"type": "button", "action_id": "inbox_dismiss", "value": "9" * 5000}]))
    assert response.status_code == 200
    assert not _sent(fake)
    _quiet(caplog)


def test_a_rating_under_a_message_whose_section_text_is_not_an_object_is_still_counted(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    for blocks in ([{"type": "section", "text": "plain"}], 7):
        response = serve.interact(_click(message={"ts": "1.1", "blocks": blocks},
                                         response_url=fake.response_url("r")))
        assert response.status_code == 200
    thanks = fake.wait_for("response_url", 2)
    assert len(thanks) == 2 and all("Thanks" in texts(t["blocks"]) for t in thanks)
    _quiet(caplog)


@pytest.mark.parametrize("question", ["my code {code} doesn't work, help", "{code} ??? zzqx"])
def test_a_link_code_in_a_public_question_is_not_carried_by_the_buttons_posted_in_the_channel(
        app: App, serve: Serve, fake: FakeSlack, question: str) -> None:
    now = datetime.now(UTC)
    app.contracts.import_dataset(demo_dataset(now.date()))
    code = app.links.issue_code("acc-demo", now)
    serve.event(mention_event(f"{MENTION} " + question.format(code=code)))
    public, = fake.wait_for("chat.postMessage")
    assert public["channel"] == "CGENERAL" and buttons(public["blocks"])
    assert code not in json.dumps(public)
    assert code.replace("-", "") not in json.dumps(public).replace("-", "")


def test_a_member_flooding_the_bot_gets_eight_answers_in_half_a_minute_and_others_still_get_theirs(
        serve: Serve, fake: FakeSlack) -> None:
    for n in range(12):
        serve.event(message_event("who sets the milestones?", user="UFLOOD", channel="DFLOOD",
                                  ts=f"1700000200.{n:06d}"))
        serve.event(mention_event(f"{MENTION} escrow", user="UFLOOD", ts=f"1700000300.{n:06d}"))
    serve.event(message_event("who sets the milestones?"))
    answered = fake.wait_for("chat.postMessage", 9)
    time.sleep(1.0)  # anything past the limit would have come by now
    answered = fake.of("chat.postMessage")
    assert [a["channel"] for a in answered].count("DMEMBER") == 1
    assert len(answered) == 9, [a["channel"] for a in answered]


def test_a_ninth_slash_command_within_half_a_minute_is_told_privately_to_slow_down(
        serve: Serve, fake: FakeSlack) -> None:
    for _ in range(9):
        serve.command("/faq", "who sets the milestones?")
    replies = fake.wait_for("response_url", 9)
    assert all(r["response_type"] == "ephemeral" for r in replies)
    assert sum("faster than I can keep up" in r["text"] for r in replies) == 1
    assert not fake.of("chat.postMessage")


def test_a_ninth_button_click_within_half_a_minute_is_told_privately_to_slow_down(
        serve: Serve, fake: FakeSlack) -> None:
    for _ in range(9):
        serve.interact(_click(response_url=fake.response_url("r")))
    replies = fake.wait_for("response_url", 9)
    slowed = [r for r in replies if "faster than I can keep up" in r.get("text", "")]
    assert len(slowed) == 1 and slowed[0]["response_type"] == "ephemeral"


def test_a_private_answer_sent_to_slack_leaves_no_contract_data_or_member_words_in_a_debug_log(
        app: App, serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")  # as `forumbot serve --log-level DEBUG` sets the root logger
    link_member(app)
    serve.command("/contract", "logo")
    serve.command("/faq", "which milestones zebraquokka")
    replies = fake.wait_for("response_url", 2)
    assert "Logo and brand kit" in texts(replies[0]["blocks"])
    assert "zebraquokka" in json.dumps(replies[1])
    time.sleep(0.3)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Logo and brand kit" not in logged and "zebraquokka" not in logged


def test_stats_for_a_number_of_days_thousands_of_digits_long_is_refused_with_the_usage(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    serve.command("/faq-admin", "stats " + "9" * 5000, user="UMOD")
    refusal, = fake.wait_for("response_url")
    assert refusal["response_type"] == "ephemeral"
    assert "The days are a number from 1 to 36,500" in refusal["text"]
    assert len(refusal["text"]) < 200
    _quiet(caplog)



def test_a_button_or_form_carrying_json_nested_a_thousand_deep_is_ignored_without_a_traceback(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    deep = "[" * 1500 + "]" * 1500
    serve.interact(_click(response_url=fake.response_url("r"), actions=[
        {"type": "button", "action_id": "pick_1", "value": deep}]))
    response = serve.interact({
        "type": "view_submission", "user": {"id": "UMOD"}, "trigger_id": "trigger-1",
        "view": {"id": "V1", "type": "modal", "callback_id": "faq_edit",
                 "private_metadata": deep, "state": {"values": {}}}})
    assert response.status_code == 200
    assert response.json()["response_action"] == "errors"
    assert not _sent(fake)
    _quiet(caplog)


def test_slacks_periodic_ssl_check_is_answered_200_and_nothing_is_sent(
        serve: Serve, fake: FakeSlack) -> None:
    response = serve.post("ssl_check=1&token=unused", "application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert not _sent(fake)


def test_a_form_slack_refuses_to_open_is_one_log_line_and_the_moderator_is_told_to_try_again(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    """A trigger is good for three seconds: past them Slack answers `expired_trigger_id`."""
    fake.refuse["views.open"] = "expired_trigger_id"
    serve.command("/faq-admin", "add", user="UMOD")
    fake.refuse["views.open"] = "expired_trigger_id"
    serve.interact({"type": "message_action", "callback_id": "add_to_faq",
                    "user": {"id": "UMOD"}, "channel": {"id": "CGENERAL"},
                    "trigger_id": "trigger-1", "response_url": fake.response_url("r"),
                    "message": {"ts": "1.1", "text": "is there a zebraquokka fee"}})
    told = fake.wait_for("response_url", 2)
    assert [t["response_type"] for t in told] == ["ephemeral", "ephemeral"]
    assert all("try again" in t["text"] for t in told)
    assert len(fake.of("views.open")) == 2
    _quiet(caplog)
    refused = [r.getMessage() for r in caplog.records if "expired_trigger_id" in r.getMessage()]
    assert len(refused) == 2 and all("views.open" in line and "UMOD" in line
                                      for line in refused), refused
    assert "zebraquokka" not in caplog.text and "xoxb" not in caplog.text


def test_a_slash_command_whose_response_url_is_not_a_url_is_refused_and_changes_nothing(
        app: App, serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    now = datetime.now(UTC)
    app.contracts.import_dataset(demo_dataset(now.date()))
    code = app.links.issue_code("acc-demo", now)
    form = {"command": "/link", "text": code, "user_id": "UMEMBER", "team_id": "T1",
            "channel_id": "CGENERAL", "response_url": "not a url", "trigger_id": "trigger-1"}
    response = serve.post(urlencode(form), "application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert app.links.link_of("slack:T1/UMEMBER") is None  # the code was not used up
    assert not _sent(fake)
    _quiet(caplog)


@contextmanager
def _database_folder_away(make_app: Callable[..., App], tmp_path: Path,
                          fake: FakeSlack) -> Iterator[Serve]:
    """A served app whose database folder moved away once it started (an unmounted disk):
    every new connection fails, as in an outage."""
    folder = tmp_path / "data"
    app = make_app(sqlite_url(folder / "forumbot.db"))
    serve = Serve(app, fake)
    try:
        app.engine.dispose()
        folder.rename(tmp_path / "away")
        yield serve
    finally:
        serve.stop()


def test_a_moderators_command_or_click_while_the_database_is_away_is_told_without_a_traceback(
        make_app: Callable[..., App], tmp_path: Path, fake: FakeSlack,
        caplog: pytest.LogCaptureFixture) -> None:
    """The database's folder moved away: every new connection fails, as in an outage. A
    moderator is told privately to try again, in at most one log line each, no traceback."""
    with _database_folder_away(make_app, tmp_path, fake) as serve:
        responses = [
            serve.command("/faq-admin", "inbox", user="UMOD"),
            serve.command("/faq-admin", "stats", user="UMOD"),
            serve.interact(_click(user={"id": "UMOD"}, response_url=fake.response_url("r"),
                                  actions=[{"type": "button", "action_id": "inbox_dismiss",
                                            "value": "1"}]))]
        told = fake.wait_for("response_url", 3)
        _quiet(caplog)
    assert [r.status_code for r in responses] == [200] * 3
    assert [t["response_type"] for t in told] == ["ephemeral"] * 3
    assert all("try this again" in t["text"] for t in told), told
    assert not _failures(caplog), _failures(caplog)
    # Each at most one line: the core tells what it refuses as it does in a PostgreSQL outage.
    away = [r for r in caplog.records if "database is not answering" in r.getMessage()]
    assert len(away) <= 3 and all("\n" not in r.getMessage() for r in away), away


@pytest.mark.postgres
def test_while_postgresql_is_away_a_mention_is_answered_from_memory_without_its_claim(
        make_app: Callable[..., App], proxy: tuple[TcpProxy, str], fake: FakeSlack,
        caplog: pytest.LogCaptureFixture) -> None:
    """As the README promises for an outage: FAQ questions are still answered. The event's
    once-only claim cannot be written, so it is answered without it (one log line)."""
    tcp, url = proxy
    app = make_app(url)
    serve = Serve(app, fake)
    try:
        tcp.stop()
        response = serve.event(mention_event(f"{MENTION} who sets the zebraquokka milestones?"))
        answer, = fake.wait_for("chat.postMessage")
        _quiet(caplog)
    finally:
        serve.stop()
        tcp.start()
    assert response.status_code == 200
    assert "The client sets the milestones" in answer["text"], answer
    assert answer["thread_ts"] == mention_event("")["event"]["ts"]
    unclaimed = [r.getMessage() for r in caplog.records if "once-only claim" in r.getMessage()]
    assert len(unclaimed) == 1 and "\n" not in unclaimed[0], unclaimed
    assert "zebraquokka" not in caplog.text


def test_while_the_sqlite_file_cannot_be_opened_a_mention_is_answered_from_memory(
        make_app: Callable[..., App], tmp_path: Path, fake: FakeSlack,
        caplog: pytest.LogCaptureFixture) -> None:
    """The database's folder moved away (an unmounted disk): as in a PostgreSQL outage, the
    FAQ answers, without its once-only claim, and no traceback reaches the log."""
    with _database_folder_away(make_app, tmp_path, fake) as serve:
        serve.event(mention_event(f"{MENTION} who sets the zebraquokka milestones?"))
        answer, = fake.wait_for("chat.postMessage")
        _quiet(caplog)
    assert "The client sets the milestones" in answer["text"], answer
    assert 'File "' not in caplog.text and "zebraquokka" not in caplog.text
    unclaimed = [r.getMessage() for r in caplog.records if "once-only claim" in r.getMessage()]
    assert len(unclaimed) == 1, unclaimed


@pytest.mark.postgres
def test_an_answer_slack_refuses_while_postgresql_is_away_is_not_logged_as_released(
        make_app: Callable[..., App], proxy: tuple[TcpProxy, str], fake: FakeSlack,
        caplog: pytest.LogCaptureFixture) -> None:
    """Nothing was claimed, so nothing was released for a retry: the operator's line says
    so, with Slack's refusal."""
    tcp, url = proxy
    app = make_app(url)
    serve = Serve(app, fake)
    try:
        tcp.stop()
        fake.refuse["chat.postMessage"] = "not_in_channel"
        serve.event(mention_event(f"{MENTION} who sets the zebraquokka milestones?"))
        fake.wait_for("chat.postMessage")
        _quiet(caplog)
    finally:
        serve.stop()
        tcp.start()
    failed = [r.getMessage() for r in caplog.records if "not_in_channel" in r.getMessage()]
    assert len(failed) == 1 and "not claimed" in failed[0], failed
    assert "released" not in failed[0] and "zebraquokka" not in caplog.text


def test_an_unexpected_failure_after_a_click_is_logged_once_by_type_and_place_and_told(
        app: App, serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    """Slack's answer to opening the member's DM lacks the channel (a KeyError in our code):
    one log line with the error's type and where it was raised, never the member's words;
    the member is told privately that something went wrong, and nothing stays queued."""
    serve.event(message_event("what is the zebraquokka weather on mars", channel="DMEMBER"))
    decline, = fake.wait_for("chat.postMessage")
    ask = next(b for b in buttons(decline["blocks"]) if b["text"]["text"] == "Ask a moderator")
    fake.answer["conversations.open"] = {"ok": True}
    response = serve.click(ask, channel="DMEMBER", ephemeral=True)
    told, = fake.wait_for("response_url")
    _quiet(caplog)
    assert response.status_code == 200
    assert told["response_type"] == "ephemeral" and "went wrong" in told["text"]
    assert app.handoffs.queued() == []
    assert not _failures(caplog), _failures(caplog)
    failed = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failed) == 1 and "ask_moderator by slack:T1/UMEMBER failed" in failed[0]
    assert "Error\n" in failed[0] and "relay.py" in failed[0], failed  # its type and place
    assert "zebraquokka" not in caplog.text


def test_an_answer_or_a_post_slack_refuses_is_logged_with_the_method_and_slacks_error_code(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    """The bot was removed from the channel: Slack refuses the answer to a mention and the
    post of "Ask a moderator" with `not_in_channel`. Each is one line naming the Web API
    method and Slack's error code, never the question or the token."""
    serve.event(mention_event(f"{MENTION} the zebraquokka weather on mars?"))
    decline, = fake.wait_for("chat.postMessage")
    fake.refuse["chat.postMessage"] = "not_in_channel"
    serve.event(mention_event(f"{MENTION} who sets the zebraquokka milestones?"))
    fake.wait_for("chat.postMessage", 2)
    _quiet(caplog)
    fake.refuse["chat.postMessage"] = "not_in_channel"
    ask = next(b for b in buttons(decline["blocks"]) if b["text"]["text"] == "Ask a moderator")
    serve.click(ask, message=decline)
    fake.wait_for("response_url")
    _quiet(caplog)
    refused = [r.getMessage() for r in caplog.records if "not_in_channel" in r.getMessage()]
    assert len(refused) == 2, refused
    assert all("chat.postMessage refused: not_in_channel" in line and "\n" not in line
               for line in refused), refused
    assert "zebraquokka" not in caplog.text and "xoxb" not in caplog.text


def test_a_private_answer_whose_notice_slack_refuses_is_given_up_naming_the_refusal(
        app: App, serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    """The DM went out, the notice in the channel was refused: not answered again (the DM
    would come twice), and the line says which call Slack refused and why."""
    link_member(app)
    fake.refuse_in["CGENERAL"] = "not_in_channel"
    serve.event(mention_event(f"{MENTION} was my logo milestone funded?"))
    fake.wait_for("chat.postMessage", 2)
    _quiet(caplog)
    given_up = [r.getMessage() for r in caplog.records if "given up" in r.getMessage()]
    assert len(given_up) == 1 and "chat.postMessage refused: not_in_channel" in given_up[0]
    assert [m["channel"] for m in fake.of("chat.postMessage")] == ["DUMEMBER", "CGENERAL"]


ODD_FORMS = {
    "state that is a list": {"state": [1, 2]},
    "values that are a list": {"state": {"values": ["title"]}},
    "a value that is a number": {"state": {"values": {"title": {"t": {"type": "plain_text_input",
                                                                       "value": 7}}}}},
    "a select whose option is a string": {"state": {"values": {"entry": {"e": {
        "type": "static_select", "selected_option": "escrow"}}}}},
    "metadata that is a number": {"private_metadata": 12, "state": {"values": {}}},
    "metadata whose base is text": {"private_metadata": '{"id": "escrow", "base": "x"}',
                                    "state": {"values": {}}},
}


@pytest.mark.parametrize("callback", ["faq_add", "faq_edit", "inbox_attach", "inbox_create"])
@pytest.mark.parametrize("odd", ODD_FORMS.values(), ids=ODD_FORMS.keys())
def test_a_moderators_form_submitted_in_an_odd_shape_gets_an_answer_and_no_traceback(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture, callback: str,
        odd: dict[str, Any]) -> None:
    response = serve.interact({
        "type": "view_submission", "user": {"id": "UMOD"}, "trigger_id": "trigger-1",
        "view": {"id": "V1", "type": "modal", "callback_id": callback, **odd}})
    assert response.status_code in (200, 400)
    assert not _failures(caplog)
    _quiet(caplog)
