"""Socket Mode (SLACK_APP_TOKEN): `forumbot serve` connects to Slack's WebSocket instead of
serving the HTTP endpoint; a local WebSocket server plays Slack."""

from __future__ import annotations

from collections.abc import Iterator

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
