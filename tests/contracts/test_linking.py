"""Linking chat identities with one-time codes, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bot.app import App
from bot.contracts.linking import (
    MAX_WRONG_CODES_GLOBAL,
    MAX_WRONG_CODES_PER_ACCOUNT,
    LinkOutcome,
    code_hash,
    locked_until,
    new_code,
    normalize_code,
)
from bot.errors import NotFound
from bot.messages import Incoming
from bot.redaction import CODE_ALPHABET
from bot.storage.models import AccountRow, HandoffRow, LinkCodeRow, LinkFailureRow

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def linked_app(make_app: Callable[..., App], database_url: str) -> App:
    app = make_app(database_url)
    with Session(app.engine) as session, session.begin():
        session.add_all([AccountRow(id="acc-alice", name="Alice", role="freelancer"),
                         AccountRow(id="acc-bram", name="Bram", role="client")])
    return app


def test_codes_carry_fifty_random_bits_and_are_typed_forgivingly() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        raw = normalize_code(code)
        assert len(raw) == 10 and set(raw) <= set(CODE_ALPHABET)
    code = next(iter(codes))
    assert code_hash(code.lower().replace("-", " ")) == code_hash(code)


def test_a_code_links_once_and_is_stored_only_as_a_hash(linked_app: App) -> None:
    links = linked_app.links
    code = links.issue_code("acc-alice", NOW)
    with Session(linked_app.engine) as session:
        stored = session.scalars(select(LinkCodeRow)).all()
    assert [r.code_hash for r in stored] == [code_hash(code)]
    dump = "".join(str(v) for r in stored for v in vars(r).values())
    assert normalize_code(code) not in dump and code not in dump

    first = links.redeem("slack:T1/U1", "slack", code, NOW + timedelta(minutes=1))
    assert (first.outcome, first.account_id) == (LinkOutcome.LINKED, "acc-alice")
    again = links.redeem("discord:99", "discord", code, NOW + timedelta(minutes=2))
    assert again.outcome is LinkOutcome.WRONG
    assert links.link_of("discord:99") is None
    link = links.link_of("slack:T1/U1")
    assert link is not None and (link.account_id, link.platform, link.notify) == (
        "acc-alice", "slack", True)


def test_a_code_older_than_fifteen_minutes_is_refused(linked_app: App) -> None:
    code = linked_app.links.issue_code("acc-alice", NOW)
    late = linked_app.links.redeem("console:a", "console", code, NOW + timedelta(minutes=15))
    assert late.outcome is LinkOutcome.WRONG
    assert linked_app.links.link_of("console:a") is None


def test_five_wrong_codes_lock_an_identity_out_for_an_hour(linked_app: App) -> None:
    links = linked_app.links
    for n in range(4):
        result = links.redeem("console:mallory", "console", "AAAAA-AAAAA", NOW)
        assert (result.outcome, result.attempts_left) == (LinkOutcome.WRONG, 4 - n)
    assert links.redeem("console:mallory", "console", "AAAAA-AAAAA",
                        NOW).outcome is LinkOutcome.LOCKED
    good = links.issue_code("acc-alice", NOW)
    locked = links.redeem("console:mallory", "console", good, NOW + timedelta(minutes=10))
    assert locked.outcome is LinkOutcome.LOCKED and locked.locked_until == NOW + timedelta(hours=1)
    assert links.link_of("console:mallory") is None
    other = links.redeem("console:alice", "console", good, NOW + timedelta(minutes=10))
    assert other.outcome is LinkOutcome.LINKED, "the lockout is per identity"
    fresh = links.issue_code("acc-alice", NOW + timedelta(hours=1))
    after = links.redeem("console:mallory", "console", fresh, NOW + timedelta(hours=1, seconds=1))
    assert after.outcome is LinkOutcome.LINKED


def test_a_code_for_an_unknown_account_is_not_issued(linked_app: App) -> None:
    with pytest.raises(NotFound, match="acc-nobody"):
        linked_app.links.issue_code("acc-nobody", NOW)


def test_forget_me_deletes_the_link_and_every_trace_of_the_members_questions(
    linked_app: App,
) -> None:
    assistant = linked_app.assistant
    me = "console:alice"
    assistant.handle(Incoming("link WRONG-CODE1", me))
    code = linked_app.links.issue_code("acc-alice", datetime.now(UTC))
    assert assistant.handle(Incoming(f"link {code}", me)).template == "linked"
    assistant.handle(Incoming("what is the weather like on mars today", me))
    assistant.handle(Incoming("what is the weather like on mars", "console:bob"))
    assert assistant.handle(Incoming("forget me", me)).template == "forget_confirm"
    assert linked_app.links.link_of(me) is not None
    assert assistant.handle(Incoming("forget me confirm", me)).template == "forgotten"

    assert linked_app.links.link_of(me) is None
    with linked_app.engine.connect() as conn:
        for table, column in (("handoffs", "user"), ("link_failures", "identity"),
                              ("links", "identity"), ("notifications", "identity")):
            count = conn.execute(text(f'SELECT count(*) FROM {table} WHERE "{column}" = :me'),
                                 {"me": me}).scalar()
            assert count == 0, table
    with Session(linked_app.engine) as session:
        assert [h.user for h in session.scalars(select(HandoffRow))] == ["console:bob"]
        assert session.scalars(select(LinkFailureRow)).all() == []


def test_forty_wrong_codes_sent_at_once_by_one_identity_get_only_five_checked(
    linked_app: App,
) -> None:
    start = threading.Barrier(40)
    outcomes: list[LinkOutcome] = []

    def guess(n: int) -> None:
        start.wait()
        outcomes.append(linked_app.links.redeem("console:mallory", "console",
                                                "AAAAA-AAAAA", NOW).outcome)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with Session(linked_app.engine) as session:
        checked = len(session.scalars(select(LinkFailureRow)).all())
    assert checked == 5
    assert sorted(outcomes).count(LinkOutcome.WRONG) == 4


def test_many_identities_of_one_workspace_get_thirty_wrong_codes_an_hour_between_them(
    linked_app: App,
) -> None:
    links = linked_app.links
    outcomes = [links.redeem(f"slack:T1/U{n}", "slack", "AAAAA-AAAAA", NOW).outcome
                for n in range(MAX_WRONG_CODES_PER_ACCOUNT)]
    assert outcomes[-2:] == [LinkOutcome.WRONG, LinkOutcome.LOCKED]
    good = links.issue_code("acc-alice", NOW)
    refused = links.redeem("slack:T1/UNEW", "slack", good, NOW + timedelta(minutes=1))
    assert refused.outcome is LinkOutcome.LOCKED
    assert refused.locked_until == NOW + timedelta(hours=1)
    assert links.redeem("console:50names", "console", "AAAAA-AAAAA", NOW).outcome is \
        LinkOutcome.WRONG, "another workspace is not held back"
    assert links.redeem("slack:T2/U1", "slack", good, NOW).outcome is LinkOutcome.LINKED
    later = links.issue_code("acc-bram", NOW + timedelta(hours=1))
    assert links.redeem("slack:T1/UNEW", "slack", later,
                        NOW + timedelta(hours=1)).outcome is LinkOutcome.LINKED


def test_fifty_console_names_share_one_limit() -> None:
    failures = [(f"console:name{n}", NOW) for n in range(MAX_WRONG_CODES_PER_ACCOUNT)]
    assert locked_until("console:name99", failures) == NOW + timedelta(hours=1)
    assert locked_until("discord:99", failures) is None


def test_wrong_codes_from_everywhere_stop_all_checks_at_a_hundred_an_hour(
    linked_app: App,
) -> None:
    links = linked_app.links
    outcomes = [links.redeem(f"slack:T{n % 10}/U{n}", "slack", "AAAAA-AAAAA", NOW).outcome
                for n in range(MAX_WRONG_CODES_GLOBAL)]
    assert outcomes[-2:] == [LinkOutcome.WRONG, LinkOutcome.LOCKED]
    good = links.issue_code("acc-alice", NOW)
    assert links.redeem("discord:7", "discord", good, NOW).outcome is LinkOutcome.LOCKED
    later = NOW + timedelta(hours=1)
    assert links.redeem("discord:7", "discord", links.issue_code("acc-alice", later),
                        later).outcome is LinkOutcome.LINKED
