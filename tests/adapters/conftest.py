"""Fixtures of the Slack tests: a fake Slack Web API, and the real Bolt app served against it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.app import App
from tests.adapters.slack_fake import FakeSlack, Serve

SLACK_MODERATOR = "UMOD"  # in the moderators' user group of the fake


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
