"""When Slack's Web API answers late: a call that may be repeated is asked again, and an answer
whose post timed out is given up rather than posted a second time."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from bot.app import App
from bot.messages import Reply
from tests.adapters.conftest import SLACK_MODERATOR
from tests.adapters.slack_fake import (
    BOT_USER,
    FakeSlack,
    Serve,
    logged_within,
    mention_event,
    message_event,
)

TIMEOUT = 0.5  # seconds the adapter waits for a Web API call here
LATE = 2.0  # seconds the fake takes to answer a late call (it did the call at once)


@pytest.fixture
def impatient(app: App, fake: FakeSlack) -> Iterator[Serve]:
    """Serve whose Web API calls time out after half a second."""
    server = Serve(app, fake, {"FORUMBOT_SLACK_API_TIMEOUT": str(TIMEOUT)})
    yield server
    server.stop()


def test_an_answer_whose_post_timed_out_is_not_posted_again(
        impatient: Serve, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="adapters.slack")
    fake.delay["chat.postMessage"] = LATE  # Slack posts it, but answers too late
    event = mention_event(f"<@{BOT_USER}> who sets the milestones?")
    assert impatient.event(event).status_code == 200
    assert logged_within(caplog, "given up"), caplog.text
    impatient.event(event, retry=1)  # Slack's retry of the event changes nothing either
    impatient.event(message_event("escrow"))  # answered after the retry settled
    posts = fake.wait_for("chat.postMessage", 2)
    assert [p["channel"] for p in posts].count("CGENERAL") == 1
    assert "milestones" not in caplog.text  # ids only: the member's words stay out of the log


def test_a_late_answer_about_the_moderators_group_is_asked_again(
        impatient: Serve, fake: FakeSlack) -> None:
    fake.delay["usergroups.users.list"] = LATE
    impatient.command("/faq-admin", "stats 7", user=SLACK_MODERATOR)
    stats, = fake.wait_for("response_url", timeout=20)
    assert "Only moderators" not in stats.get("text", "") and stats.get("blocks")
    assert len(fake.of("usergroups.users.list")) == 2


def test_a_notification_whose_direct_message_opens_late_still_arrives(
        impatient: Serve, fake: FakeSlack) -> None:
    fake.delay["conversations.open"] = LATE  # opening the same DM twice is harmless
    impatient.platform.sender.send("slack:T1/UALICE", Reply("linked", {"account": "acc-1"},
                                                            private=True))
    assert len(fake.of("conversations.open")) == 2
    dm, = fake.of("chat.postMessage")
    assert dm["channel"] == "DUALICE"


def test_a_notification_whose_post_timed_out_is_not_posted_again_at_once(
        impatient: Serve, fake: FakeSlack) -> None:
    fake.delay["chat.postMessage"] = LATE
    with pytest.raises(TimeoutError):  # the outbox decides when to try again
        impatient.platform.sender.send("slack:T1/UALICE", Reply("linked", {"account": "acc-1"},
                                                                private=True))
    assert len(fake.of("chat.postMessage")) == 1


def test_an_event_arriving_while_the_answers_in_hand_are_at_the_limit_is_refused_for_a_retry(
        app: App, fake: FakeSlack) -> None:
    server = Serve(app, fake, {"FORUMBOT_SLACK_MAX_PENDING": "1"})
    try:
        fake.delay["chat.postMessage"] = LATE  # the first answer stays in hand meanwhile
        assert server.event(mention_event(f"<@{BOT_USER}> who sets the milestones?")
                            ).status_code == 200
        second = message_event("what is escrow?")
        assert server.event(second).status_code == 503  # not acked: Slack sends it again
        assert [p["channel"] for p in fake.wait_for("chat.postMessage", 1)] == ["CGENERAL"]
        deadline = time.monotonic() + 15  # Slack retries; one arrives after the first answer
        while server.event(second, retry=1).status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.2)
        posts = fake.wait_for("chat.postMessage", 2)
        assert [p["channel"] for p in posts] == ["CGENERAL", "DMEMBER"]
        assert "escrow" in str(posts[1]).lower()
    finally:
        server.stop()
