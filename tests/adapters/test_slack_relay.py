"""How long a question passed to the moderators relays their replies: as long as the inbox
keeps the question's words (FORUMBOT_INBOX_RETENTION_DAYS), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.app import App
from bot.storage.models import RelayThreadRow
from tests.adapters.slack_fake import (
    BOT_USER,
    FakeSlack,
    Serve,
    buttons,
    mention_event,
    message_event,
    texts,
)

RETENTION_DAYS = 30


class Clock:
    """A clock the test moves forward."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def _ask_moderators(serve: Serve, fake: FakeSlack, question: str, ts: str) -> dict[str, Any]:
    """A member's declined question passed to the moderators: their channel's post."""
    before, told = len(fake.of("chat.postMessage")), len(fake.of("response_url"))
    serve.event(mention_event(f"<@{BOT_USER}> {question}", ts=ts))
    decline = fake.wait_for("chat.postMessage", before + 1)[before]
    ask = next(b for b in buttons(decline["blocks"]) if b["text"]["text"] == "Ask a moderator")
    serve.click(ask, message=decline | {"ts": f"{ts}1", "thread_ts": ts})
    posted = fake.wait_for("chat.postMessage", before + 2)[before + 1]
    assert posted["channel"] == "CMODS"
    fake.wait_for("response_url", told + 1)  # the member is told once the thread relays
    return posted


def _relayed(fake: FakeSlack, words: str) -> list[dict[str, Any]]:
    return [m for m in fake.of("chat.postMessage")
            if m["channel"] == "CGENERAL" and words in texts(m["blocks"])]


def _relay_threads(app: App) -> int:
    with Session(app.engine) as session:
        return int(session.scalar(select(func.count()).select_from(RelayThreadRow)) or 0)


def test_a_moderators_reply_is_relayed_until_the_inbox_forgets_the_question(
        make_app: Callable[..., App], database_url: str, fake: FakeSlack) -> None:
    app = make_app(database_url, inbox_retention_days=RETENTION_DAYS)
    clock = Clock()
    serve = Serve(app, fake, clock=clock)
    try:
        first = _ask_moderators(serve, fake, "what is the weather on mars", "1700001000.000100")
        clock.now += timedelta(days=RETENTION_DAYS - 1)
        serve.event(message_event("Cold, take a coat.", user="UMOD", channel="CMODS",
                                  ts="1700001100.000100", thread_ts=first["_ts"]))
        relayed = fake.wait_for("chat.postMessage", 3)[2]
        assert relayed["thread_ts"] == "1700001000.000100" and "take a coat" in texts(
            relayed["blocks"])

        clock.now += timedelta(days=2)  # the question is older than the inbox keeps words
        serve.event(message_event("Also bring gloves.", user="UMOD", channel="CMODS",
                                  ts="1700001200.000100", thread_ts=first["_ts"]))
        _ask_moderators(serve, fake, "is there wifi on the moon", "1700001300.000100")
        assert not _relayed(fake, "gloves")
        assert _relay_threads(app) == 1  # the old thread was forgotten as the new one came
    finally:
        serve.stop()
