"""Requests that are not Slack's, or not new, change nothing: bad signatures, stale
timestamps, malformed bodies, and retried deliveries (answered once, across replicas)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.app import App
from bot.messages import Reply
from bot.storage.models import PlatformClaimRow
from tests.adapters.slack_fake import (
    BOT_USER,
    FakeSlack,
    Serve,
    link_member,
    logged_within,
    mention_event,
    message_event,
    signed_headers,
)

MENTION = f"<@{BOT_USER}>"


def _claims(app: App) -> int:
    with Session(app.engine) as session:
        return int(session.scalar(select(func.count()).select_from(PlatformClaimRow)) or 0)


def test_a_bad_signature_is_refused_with_401_and_nothing_is_stored(
        app: App, serve: Serve, fake: FakeSlack) -> None:
    body = json.dumps(mention_event(f"{MENTION} who sets the milestones?"))
    forged = signed_headers(body, secret="not-the-secret")
    assert serve.post(body, "application/json", headers=forged).status_code == 401
    assert serve.post(body, "application/json", headers={}).status_code == 401
    assert _claims(app) == 0 and not fake.calls


def test_a_stale_timestamp_is_refused_with_401(app: App, serve: Serve,
                                               fake: FakeSlack) -> None:
    body = json.dumps(mention_event(f"{MENTION} who sets the milestones?"))
    stale = signed_headers(body, at=time.time() - 600)
    assert serve.post(body, "application/json", headers=stale).status_code == 401
    assert _claims(app) == 0 and not fake.calls


@pytest.mark.parametrize("body", ['{"type": "event_callback", "event": ', "[1, 2]", "",
                                  "payload=%7Bnot+json", "payload=%5B1%5D", "\udcff"])
def test_a_malformed_payload_is_refused_with_400(serve: Serve, fake: FakeSlack,
                                                 body: str) -> None:
    raw = body.encode("utf-8", "surrogateescape")
    headers = signed_headers(raw.decode("latin-1"))
    if body == "\udcff":  # not UTF-8: sign the bytes as they are
        import hashlib
        import hmac

        stamp = headers["X-Slack-Request-Timestamp"]
        digest = hmac.new(b"signing-secret-for-tests", f"v0:{stamp}:".encode() + raw,
                          hashlib.sha256).hexdigest()
        headers["X-Slack-Signature"] = f"v0={digest}"
    response = serve._http.post("/slack/events", content=raw,
                                headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 400
    assert not [c for c in fake.calls if c.method != "auth.test"]


def test_an_oversized_body_is_refused_with_413(serve: Serve) -> None:
    body = json.dumps(mention_event(f"{MENTION} " + "why " * 60_000))
    assert serve.event(json.loads(body)).status_code == 413


def test_a_retried_event_is_answered_once(serve: Serve, fake: FakeSlack) -> None:
    event = mention_event(f"{MENTION} who sets the milestones?")
    assert serve.event(event).status_code == 200
    assert serve.event(event, retry=1).status_code == 200
    assert serve.event(event, retry=2).status_code == 200
    serve.event(message_event("who sets the milestones?"))  # answered after the retries
    fake.wait_for("chat.postMessage", 2)
    assert [m["channel"] for m in fake.of("chat.postMessage")].count("CGENERAL") == 1


@pytest.mark.postgres
def test_a_retry_reaching_another_replica_is_answered_once(
        make_app: Callable[..., App], postgres_database: str, fake: FakeSlack) -> None:
    first = Serve(make_app(postgres_database), fake)
    second = Serve(make_app(postgres_database), fake)
    try:
        event = mention_event(f"{MENTION} who sets the milestones?")
        for attempt in range(3):
            assert first.event(event, retry=attempt or None).status_code == 200
            assert second.event(event, retry=attempt + 1).status_code == 200
        second.event(message_event("who sets the milestones?"))
        fake.wait_for("chat.postMessage", 2)
        assert [m["channel"] for m in fake.of("chat.postMessage")].count("CGENERAL") == 1
    finally:
        first.stop()
        second.stop()


def test_a_failed_answer_releases_the_event_so_the_retry_is_answered(
        app: App, serve: Serve, fake: FakeSlack) -> None:
    fake.fail["chat.postMessage"] = 400  # a client error: not retried by the SDK
    event = mention_event(f"{MENTION} who sets the milestones?")
    serve.event(event)
    fake.wait_for("chat.postMessage", 1)
    deadline = time.monotonic() + 10
    while _claims(app) and time.monotonic() < deadline:
        time.sleep(0.01)
    serve.event(event, retry=1)
    answered = fake.wait_for("chat.postMessage", 2)
    assert len(answered) == 2 and answered[1]["thread_ts"] == answered[0]["thread_ts"]


def test_an_answer_whose_second_message_fails_is_not_posted_again_on_the_retry(
        app: App, serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    link_member(app)
    caplog.set_level(logging.ERROR, logger="adapters.slack")
    fake.fail_in["CGENERAL"] = 400  # the DM is posted; the notice in the channel is refused
    event = mention_event(f"{MENTION} was my logo milestone funded?")
    serve.event(event)
    assert logged_within(caplog, "given up")
    serve.event(event, retry=1)  # Slack's retry: the member has their DM already
    serve.event(message_event("escrow"))  # answered after the retry settled
    fake.wait_for("chat.postMessage", 3)
    channels = [m["channel"] for m in fake.of("chat.postMessage")]
    assert channels.count("DUMEMBER") == 1, channels
    assert "logo" not in caplog.text.lower()  # ids only in the log


def test_a_notification_reaches_the_member_as_a_direct_message(serve: Serve,
                                                               fake: FakeSlack) -> None:
    serve.platform.sender.send("slack:T1/UALICE", Reply("linked", {"account": "acc-1"},
                                                        private=True))
    opened, = fake.of("conversations.open")
    assert opened["users"] == "UALICE"
    dm, = fake.of("chat.postMessage")
    assert dm["channel"] == "DUALICE" and "acc-1" in dm["text"]
    with pytest.raises(ValueError):
        serve.platform.sender.send("discord:1234", Reply("linked", {"account": "acc-1"}))


def test_a_slack_server_error_is_retried_and_the_member_is_answered_once(
        serve: Serve, fake: FakeSlack) -> None:
    fake.fail["chat.postMessage"] = 500
    serve.event(mention_event(f"{MENTION} who sets the milestones?"))
    failed, answered = fake.wait_for("chat.postMessage", 2)
    assert failed["thread_ts"] == answered["thread_ts"]
    serve.event(message_event("escrow"))  # answered after the retry settled
    assert len(fake.wait_for("chat.postMessage", 3)) == 3
