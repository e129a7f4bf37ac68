"""Fixtures of the Slack tests: a fake Slack Web API, and the real Bolt app served against it."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import discord.gateway
import pytest

from bot.app import App
from tests.adapters.slack_fake import FakeSlack, Serve

SLACK_MODERATOR = "UMOD"  # in the moderators' user group of the fake


@pytest.fixture(autouse=True)
def no_heartbeat_left_behind() -> Iterator[None]:
    """Stop discord.py's heartbeat threads a test left: one whose client's event loop the test
    closed (a reconnect racing the client's close) fails whichever test runs when it next
    beats, about 41 s on. `forumbot serve` ends its process with its loop."""
    yield
    for thread in threading.enumerate():
        if isinstance(thread, discord.gateway.KeepAliveHandler):
            thread.stop()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack(moderators=[SLACK_MODERATOR])
    stop = fake.start()
    yield fake
    stop()


@pytest.fixture
def serve(app: App, fake: FakeSlack) -> Iterator[Serve]:
    server = Serve(app, fake)
    yield server
    server.stop()
