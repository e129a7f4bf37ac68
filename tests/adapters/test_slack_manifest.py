"""The shipped Slack manifest and the code agree: every command, shortcut and event the code
listens for is in the manifest, and Slack's requests for each one in it are answered."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from adapters.slack.slack_app import COMMANDS, EVENTS, MANIFEST, PATH, SHORTCUTS
from bot.app import App
from tests.adapters.slack_fake import TEAM, FakeSlack, Serve, event_callback


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture
def serve(app: App) -> Iterator[Serve]:
    fake = FakeSlack()
    stop = fake.start()
    server = Serve(app, fake)
    yield server
    server.stop()
    stop()


def test_the_manifest_lists_exactly_the_commands_shortcuts_and_events_of_the_code(
        manifest: dict[str, Any]) -> None:
    features, settings = manifest["features"], manifest["settings"]
    assert sorted(c["command"] for c in features["slash_commands"]) == sorted(COMMANDS)
    assert sorted(s["callback_id"] for s in features["shortcuts"]) == sorted(SHORTCUTS)
    assert sorted(settings["event_subscriptions"]["bot_events"]) == sorted(EVENTS)
    assert settings["interactivity"]["is_enabled"] is True


def test_every_url_in_the_manifest_is_the_one_endpoint(manifest: dict[str, Any]) -> None:
    urls = [c["url"] for c in manifest["features"]["slash_commands"]] + [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"]]
    assert {url.removeprefix("https://forumbot.example.com") for url in urls} == {PATH}


def test_slack_requests_for_everything_in_the_manifest_are_handled(
        manifest: dict[str, Any], serve: Serve) -> None:
    assert serve.command("/not-ours", "").status_code == 404  # what "not handled" looks like
    for command in manifest["features"]["slash_commands"]:
        assert serve.command(command["command"], "").status_code == 200, command["command"]
    for shortcut in manifest["features"]["shortcuts"]:
        response = serve.interact({"type": "message_action",
                                   "callback_id": shortcut["callback_id"],
                                   "user": {"id": "UMEMBER", "team_id": TEAM},
                                   "channel": {"id": "CGENERAL"}, "trigger_id": "t",
                                   "response_url": serve.fake.response_url("m"),
                                   "message": {"type": "message", "text": "hi", "ts": "1.1"}})
        assert response.status_code == 200, shortcut["callback_id"]
    channel_types = {"message.channels": ("CGENERAL", "channel"),
                     "message.groups": ("GPRIVATE", "group"), "message.im": ("DMEMBER", "im")}
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        kind = name.partition(".")[0]
        channel, channel_type = channel_types.get(name, ("CGENERAL", "channel"))
        event = {"type": kind, "user": "UMEMBER", "text": "hello", "channel": channel,
                 "channel_type": channel_type, "ts": "1700000000.000100"}
        assert serve.event(event_callback(event)).status_code == 200, name
