"""The live FAQ snapshot follows the database's revision counter."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from bot.app import App
from bot.faq.live import LiveFaq, Snapshot
from bot.storage.faq_store import bump_revision


def test_a_snapshot_is_rebuilt_only_when_the_revision_moved_and_the_poll_is_due() -> None:
    revision, now, builds = [1], [0.0], []

    def build() -> Snapshot:
        builds.append(revision[0])
        return Snapshot({}, None)  # type: ignore[arg-type]

    live = LiveFaq(build, lambda: revision[0], poll_every=1.0, clock=lambda: now[0])
    now[0] = 5.0
    live.current()
    assert builds == [1], "an unchanged revision does not rebuild"
    revision[0] = 2
    now[0] = 5.5
    live.current()
    assert builds == [1], "not polled again within a second"
    now[0] = 6.0
    live.current()
    assert builds == [1, 2]
    revision[0] = 3
    live.refresh()
    assert builds == [1, 2, 3], "refresh() does not wait for the poll"


def test_a_change_by_another_process_is_answered_after_the_poll(
    make_app: Callable[..., App], database_url: str,
) -> None:
    ours, theirs = make_app(database_url), make_app(database_url)
    before = theirs.assistant.faq.current()
    with Session(ours.engine) as session, session.begin():
        bump_revision(session)
    theirs.assistant.faq.refresh()
    assert theirs.assistant.faq.current() is not before
