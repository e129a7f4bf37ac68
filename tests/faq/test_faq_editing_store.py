"""FAQ editing on a real database (SQLite and PostgreSQL): versions, audit, conflicts, chat."""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.app import App, utc_now
from bot.errors import EditConflict, InvalidEntry
from bot.faq.editing import EntryChanges
from bot.faq.entries import FaqEntry
from bot.faq.history import Change
from bot.messages import Incoming, Reply
from bot.storage.faq_editing_store import SqlFaqVersions
from bot.storage.models import AuditRow, Base, FaqVersionRow

ANA, BOB = "console:ana", "console:bob"
BANANAS = "my bananas are stuck in escrow"


def say(app: App, text: str, user: str = "console:member") -> Reply:
    return app.assistant.handle(Incoming(text, user))


def answered_with(reply: Reply) -> str | None:
    return reply.context["entry"]["id"] if reply.template == "answer" else None


def count(app: App, table: type[Base]) -> int:
    with Session(app.engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.fixture
def app(make_app: Callable[..., App], database_url: str) -> App:
    built = make_app(database_url)
    built.moderators.add(ANA, "test", utc_now())
    return built


def test_a_non_moderator_in_chat_is_refused_and_nothing_changes(app: App) -> None:
    revision, versions = app.faq.revision(), count(app, FaqVersionRow)
    reply = say(app, f"faq alias refund-request {BANANAS}", user=BOB)
    assert reply.template == "error"
    assert "Only moderators can do that, and console:bob is not one" in reply.context["message"]
    assert (app.faq.revision(), count(app, FaqVersionRow)) == (revision, versions)
    assert count(app, AuditRow) == 1, "only the test's own `moderators add`"


def test_a_moderator_aliases_in_chat_and_the_assistant_answers_it_at_once(app: App) -> None:
    assert answered_with(say(app, BANANAS)) != "refund-request"
    reply = say(app, f"faq alias refund-request {BANANAS}", user=ANA)
    assert reply == Reply("faq_saved", {"action": "alias", "entry_id": "refund-request",
                                        "version": 2, "versions": []})
    assert answered_with(say(app, BANANAS)) == "refund-request"


def test_every_change_is_kept_as_a_version_with_its_audit_record(app: App) -> None:
    editor = app.editor
    entry = FaqEntry("late-fees", "Late payment fees", "faq", "There are no late fees.",
                     ("is there a penalty for paying late",), ("fees",))
    editor.add(ANA, entry, "asked twice this week")
    editor.edit(ANA, "late-fees", EntryChanges(answer="None at all."), "shorter")
    editor.add_phrasings(ANA, "late-fees", ["late fee"], "inbox")
    editor.remove_phrasing(ANA, "late-fees", "late fee", "too short")
    editor.remove(ANA, "late-fees", "policy changed")
    assert "late-fees" not in app.assistant.entries and app.faq.get("late-fees") is None
    editor.restore(ANA, "late-fees", "policy back")
    editor.revert(ANA, "late-fees", 1, "first answer was right")

    history = app.editor.history("late-fees")
    assert [(v.version, v.removed, v.author) for v in history] == [
        (n, n == 5, ANA) for n in range(1, 8)]
    assert history[-1].entry == entry and history[1].entry.answer == "None at all."
    assert app.assistant.entries["late-fees"] == entry
    with Session(app.engine) as session:
        actions = session.scalars(select(AuditRow.action).where(AuditRow.target == "late-fees")
                                  .order_by(AuditRow.id)).all()
    assert actions == ["faq add", "faq edit", "faq alias", "faq unalias", "faq remove",
                       "faq restore", "faq revert"]
    assert [r.action for r in app.audit.recent(2)] == ["faq revert", "faq restore"]


def test_two_sessions_on_the_same_version_one_wins_the_other_is_told_who(
    make_app: Callable[..., App], app: App, database_url: str,
) -> None:
    other = make_app(database_url)
    app.editor.edit(ANA, "refund-request", EntryChanges(title="Refunds"), "short", base=1)
    with pytest.raises(EditConflict, match=r"version 2 is by console:ana \(short\)"):
        other.editor.edit(BOB, "refund-request", EntryChanges(title="Money back"), "mine",
                          base=1, granted=True)
    assert other.editor.current("refund-request").entry.title == "Refunds"


def test_two_writes_racing_on_one_version_save_exactly_one(app: App) -> None:
    store = SqlFaqVersions(app.engine)
    base = store.latest("refund-request")
    assert base is not None
    start, outcomes = threading.Barrier(2), dict[str, str]()

    def write(author: str) -> None:
        change = Change(dataclasses.replace(base.entry, title=f"Refunds, by {author}"), False,
                        1, author, "race", "faq edit", "changed title")
        start.wait()
        try:
            store.write([change], utc_now(), lambda _live: None)
            outcomes[author] = "saved"
        except EditConflict as exc:
            outcomes[author] = f"refused: {exc.author} won"

    threads = [threading.Thread(target=write, args=(who,)) for who in (ANA, BOB)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner, loser = sorted(outcomes, key=lambda who: outcomes[who] != "saved")
    assert outcomes == {winner: "saved", loser: f"refused: {winner} won"}
    assert [v.author for v in store.history("refund-request")][1:] == [winner]


def test_one_phrasing_aliased_to_two_entries_at_once_is_saved_to_exactly_one(
    make_app: Callable[..., App], app: App, database_url: str,
) -> None:
    apps = {"escrow-basics": app, "dispute-process": make_app(database_url)}
    start, outcomes = threading.Barrier(2), dict[str, str]()

    def alias(entry_id: str) -> None:
        start.wait()
        try:
            apps[entry_id].editor.add_phrasings(ANA, entry_id, [BANANAS], "race", granted=True)
            outcomes[entry_id] = "saved"
        except InvalidEntry as exc:
            outcomes[entry_id] = exc.message

    threads = [threading.Thread(target=alias, args=(e,)) for e in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winner, loser = sorted(outcomes, key=lambda e: outcomes[e] != "saved")
    assert outcomes[winner] == "saved"
    assert f"already belongs to `{winner}`" in outcomes[loser]
    assert [BANANAS in app.editor.current(e).entry.alternates for e in (winner, loser)] == [
        True, False]


def test_knowledge_sync_reports_a_moderators_edit_as_a_conflict_and_keeps_it(app: App) -> None:
    app.editor.edit(ANA, "refund-request", EntryChanges(title="Refunds"), "short")
    report = app.faq.sync(app.pack.entries)
    assert report.conflicts == ("refund-request",)
    assert app.editor.current("refund-request").entry.title == "Refunds"


def at_once(*actions: Callable[[], object]) -> list[BaseException]:
    """Run the actions in threads released together; what they raised."""
    start, errors = threading.Barrier(len(actions)), list[BaseException]()

    def run(action: Callable[[], object]) -> None:
        start.wait()
        try:
            action()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_a_knowledge_sync_and_an_edit_at_the_same_moment_both_finish(
    make_app: Callable[..., App], app: App, database_url: str,
) -> None:
    operator = make_app(database_url)
    for round_ in range(5):
        pack = [dataclasses.replace(e, answer=f"{e.answer} ({round_})")
                for e in app.pack.entries if e.id != "refund-request"]
        assert at_once(
            functools.partial(operator.faq.sync, pack),
            functools.partial(app.editor.add_phrasings, ANA, "refund-request",
                              [f"money back, round {round_}"], "race"),
        ) == []
    assert app.faq.get("escrow-basics").answer.endswith("(4)")  # type: ignore[union-attr]
    assert "money back, round 4" in app.editor.current("refund-request").entry.alternates


def test_help_lists_the_moderator_commands_only_to_moderators(app: App) -> None:
    def usages(user: str) -> list[str]:
        return [c["usage"] for c in say(app, "help", user).context["commands"]]

    assert "faq alias ID PHRASE" in usages(ANA)
    assert not [u for u in usages(BOB) if u.startswith("faq alias")]
    assert "faq alias ID PHRASE" in [c["usage"] for c in app.assistant.handle(
        Incoming("help", "slack:T1/U1", moderator=True)).context["commands"]]


@pytest.mark.postgres
def test_another_process_answers_a_new_phrasing_within_two_seconds(
    make_app: Callable[..., App], postgres_database: str,
) -> None:
    ours, theirs = make_app(postgres_database), make_app(postgres_database)
    assert answered_with(say(theirs, BANANAS)) != "refund-request"
    ours.editor.add_phrasings("cli", "refund-request", [BANANAS], "inbox", granted=True)
    deadline = time.monotonic() + 2.0
    while answered_with(say(theirs, BANANAS)) != "refund-request":
        assert time.monotonic() < deadline, "not answered by the other process within 2 s"
        time.sleep(0.05)
