"""Links, link codes and wrong-code lockouts on SQLAlchemy; also forgetting a member."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, bindparam, delete, select, text
from sqlalchemy.orm import Session

from bot.contracts.linking import (
    CODE_LIFETIME,
    LOCKOUT,
    MAX_WRONG_CODES,
    Link,
    LinkOutcome,
    Redemption,
    code_hash,
    locked_until,
    new_code,
)
from bot.errors import NotFound
from bot.storage.database import one_statement
from bot.storage.models import (
    AccountRow,
    HandoffRow,
    LinkCodeRow,
    LinkFailureRow,
    LinkRow,
    NotificationRow,
)


def store_code(session: Session, account_id: str, code: str, expires_at: datetime) -> None:
    """Keep a code's hash inside the caller's transaction (the CLI and the webhook use it)."""
    session.merge(LinkCodeRow(code_hash=code_hash(code), account_id=account_id,
                              expires_at=expires_at, used_at=None))


# Any fixed number: every redemption on one PostgreSQL takes this lock, so that wrong codes are
# counted one at a time (SQLite's BEGIN IMMEDIATE serialises them already).
_PG_REDEEM_LOCK = 7_361_042_216


def _serialised(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_REDEEM_LOCK})


_LINK_OF = select(LinkRow.account_id, LinkRow.platform, LinkRow.notify, LinkRow.linked_at).where(
    LinkRow.identity == bindparam("identity"))


class SqlLinkStore:
    """Implements `bot.contracts.linking.LinkStore`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._one = one_statement(engine)

    def link_of(self, identity: str) -> Link | None:
        # Asked for every question a member sends: one Core statement, without an ORM session.
        with self._one.connect() as conn:
            row = conn.execute(_LINK_OF, {"identity": identity}).first()
        if row is None:
            return None
        return Link(identity, row.account_id, row.platform, row.notify, row.linked_at)

    def issue_code(self, account_id: str, now: datetime) -> str:
        code = new_code()
        with Session(self._engine) as session, session.begin():
            if session.get(AccountRow, account_id) is None:
                raise NotFound(f"there is no account {account_id[:64]!r}")
            store_code(session, account_id, code, now + CODE_LIFETIME)
        return code

    def redeem(self, identity: str, platform: str, code: str, now: datetime) -> Redemption:
        """Check a code, one redemption at a time on the whole database (they are rare)."""
        with Session(self._engine) as session, session.begin():
            _serialised(session)
            session.execute(delete(LinkFailureRow).where(LinkFailureRow.at <= now - LOCKOUT))
            recent = [(who, at) for who, at in session.execute(
                select(LinkFailureRow.identity, LinkFailureRow.at)
                .where(LinkFailureRow.at > now - LOCKOUT))]
            until = locked_until(identity, recent)
            if until is not None:
                return Redemption(LinkOutcome.LOCKED, locked_until=until)
            row = session.scalars(
                select(LinkCodeRow)
                .where(LinkCodeRow.code_hash == code_hash(code))
                .with_for_update()
            ).first()
            if row is None or row.used_at is not None or row.expires_at <= now:
                session.add(LinkFailureRow(identity=identity, at=now))
                recent.append((identity, now))
                until = locked_until(identity, recent)
                if until is not None:
                    return Redemption(LinkOutcome.LOCKED, locked_until=until)
                mine = sum(1 for who, _ in recent if who == identity)
                return Redemption(LinkOutcome.WRONG, attempts_left=MAX_WRONG_CODES - mine)
            row.used_at = now
            link = session.get(LinkRow, identity)
            if link is None:
                session.add(LinkRow(identity=identity, account_id=row.account_id,
                                    platform=platform, notify=True, linked_at=now))
            else:
                link.account_id, link.linked_at = row.account_id, now
            return Redemption(LinkOutcome.LINKED, account_id=row.account_id)

    def unlink(self, identity: str) -> bool:
        with Session(self._engine) as session, session.begin():
            row = session.get(LinkRow, identity)
            if row is None:
                return False
            session.delete(row)
            return True

    def set_notify(self, identity: str, on: bool) -> bool:
        with Session(self._engine) as session, session.begin():
            row = session.get(LinkRow, identity)
            if row is None:
                return False
            row.notify = on
            return True

    def forget(self, identity: str) -> None:
        with Session(self._engine) as session, session.begin():
            for table, column in (
                (LinkRow, LinkRow.identity),
                (LinkFailureRow, LinkFailureRow.identity),
                (HandoffRow, HandoffRow.user),
                (NotificationRow, NotificationRow.identity),
            ):
                session.execute(delete(table).where(column == identity))
