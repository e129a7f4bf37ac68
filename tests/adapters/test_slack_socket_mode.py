"""Socket Mode (SLACK_APP_TOKEN): `forumbot serve` connects to Slack's WebSocket instead of
serving the HTTP endpoint; a local WebSocket server plays Slack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.app import App
from tests.adapters.slack_fake import BOT_USER, FakeSlack, Serve, mention_event


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    stop = fake.start()
    yield fake
    stop()


@pytest.fixture
def serve(app: App, fake: FakeSlack) -> Iterator[Serve]:
    server = Serve(app, fake, {"SLACK_APP_TOKEN": "xapp-test", "SLACK_SIGNING_SECRET": ""})
    yield server
    server.stop()


def test_an_event_over_socket_mode_is_acknowledged_and_answered(serve: Serve,
                                                                fake: FakeSlack) -> None:
    opened, = fake.wait_for("apps.connections.open")
    assert opened["_token"] == "Bearer xapp-test"
    event = mention_event(f"<@{BOT_USER}> who sets the milestones?", ts="1700000100.000100")
    fake.send_envelope({"envelope_id": "env-1", "type": "events_api", "payload": event,
                        "accepts_response_payload": False, "retry_attempt": 0})
    answer, = fake.wait_for("chat.postMessage")
    assert answer["thread_ts"] == "1700000100.000100"
    assert fake.acked("env-1")


def test_a_slash_command_over_socket_mode_answers_only_the_asker(serve: Serve,
                                                                 fake: FakeSlack) -> None:
    fake.wait_for("apps.connections.open")
    fake.send_envelope({"envelope_id": "env-2", "type": "slash_commands",
                        "accepts_response_payload": True, "payload": {
                            "command": "/faq", "text": "who sets the milestones?",
                            "user_id": "UMEMBER", "team_id": "T1", "channel_id": "CGENERAL",
                            "response_url": fake.response_url("sm"),
                            "trigger_id": "trigger-sm"}})
    reply, = fake.wait_for("response_url")
    assert reply["response_type"] == "ephemeral" and not fake.of("chat.postMessage")
    assert fake.acked("env-2")


def test_socket_mode_serves_no_http_endpoint(serve: Serve) -> None:
    assert serve.event(mention_event("hello")).status_code == 404


MALFORMED = {
    "an event that is a string": {"type": "events_api", "payload": {
        "type": "event_callback", "event_id": "Ev1", "team_id": "T1", "event": "app_mention"}},
    "a payload that is a string": {"type": "events_api", "payload": "event_callback"},
    "a payload that is a list": {"type": "events_api", "payload": [{"type": "event_callback"}]},
    "an interactive payload that is a number": {"type": "interactive", "payload": 7},
    "no actions": {"type": "interactive", "payload": {
        "type": "block_actions", "user": {"id": "UMEMBER"}, "channel": {"id": "CGENERAL"},
        "actions": [], "trigger_id": "t", "response_url": "https://hooks.slack.invalid/r"}},
    "a button's user as a string": {"type": "interactive", "payload": {
        "type": "block_actions", "user": "UMEMBER", "channel": {"id": "CGENERAL"},
        "actions": [{"action_id": "rate_helpful", "value": "escrow-basics"}],
        "trigger_id": "t", "response_url": "https://hooks.slack.invalid/r"}},
}


@pytest.mark.parametrize("envelope", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_socket_mode_payload_of_the_wrong_shape_is_acknowledged_and_nothing_is_sent(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture,
        envelope: dict[str, Any]) -> None:
    fake.wait_for("apps.connections.open")
    fake.send_envelope({"envelope_id": "env-bad", "accepts_response_payload": False}
                       | envelope)
    assert fake.acked("env-bad")  # else Slack delivers it again
    assert not [c for c in fake.calls if c.method not in ("apps.connections.open",
                                                          "auth.test")]
    assert not [r for r in caplog.records if r.exc_info]


def test_a_socket_mode_message_that_is_a_json_list_is_ignored_and_the_next_event_answered(
        serve: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    fake.wait_for("apps.connections.open")
    fake.send_envelope([{"envelope_id": "env-list", "type": "events_api",  # type: ignore[arg-type]
                         "payload": mention_event(f"<@{BOT_USER}> escrow")}])
    fake.send_envelope({"envelope_id": "env-3", "type": "events_api", "retry_attempt": 0,
                        "accepts_response_payload": False,
                        "payload": mention_event(f"<@{BOT_USER}> who sets the milestones?")})
    answer, = fake.wait_for("chat.postMessage")
    assert "milestone" in json.dumps(answer).lower() and fake.acked("env-3")
    assert not [r for r in caplog.records if r.exc_info]
