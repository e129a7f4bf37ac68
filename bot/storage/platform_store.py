"""What chat platforms keep across replicas: claimed event ids and moderator relay threads.

A platform retries a delivery it thinks was lost, possibly to another replica: the first to
claim the event's id answers it, the others stay quiet, and a failed answer releases the id
so that the next retry is answered.

A relay thread (a member's question in the moderators' channel) relays the moderators'
replies for `relay_lifetime` after the question was posted there: by default as long as the
inbox keeps the words of a hand-off (FORUMBOT_INBOX_RETENTION_DAYS). Older ones are deleted
as new ones are made.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.storage.database import one_statement
from bot.storage.models import PlatformClaimRow, RelayThreadRow

# Platforms retry for minutes, not days: older claims are deleted now and then.
CLAIM_LIFETIME = timedelta(days=1)
PURGE_EVERY = 500  # claims per process between two purges
RELAY_LIFETIME = timedelta(days=90)
# A plain INSERT built once (compiled once): the ORM's unit of work would cost more than it.
_CLAIM = insert(PlatformClaimRow)


@dataclass(frozen=True)
class RelayTarget:
    """Where a moderator's reply goes: the member's channel and thread (None: no thread)."""

    channel: str
    thread: str | None


class SqlPlatformStore:
    """Event-id claims and relay threads on SQLAlchemy, shared by every replica."""

    def __init__(self, engine: Engine, relay_lifetime: timedelta = RELAY_LIFETIME) -> None:
        self._engine = engine
        self._one = one_statement(engine)
        self._claims = 0
        self._relay_lifetime = relay_lifetime

    def claim(self, key: str, now: datetime) -> bool:
        """Record `key` as being answered; False when it was claimed already (a retry)."""
        self._claims += 1
        if self._claims % PURGE_EVERY == 1:
            self.forget_claims(now - CLAIM_LIFETIME)
        try:
            with self._one.begin() as conn:
                conn.execute(_CLAIM, {"key": key[:200], "claimed_at": now})
        except IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        """Forget a claim whose answer failed, so that a retry is answered."""
        with self._engine.begin() as conn:
            conn.execute(delete(PlatformClaimRow).where(PlatformClaimRow.key == key[:200]))

    def forget_claims(self, before: datetime) -> int:
        """Delete the claims made before `before`; returns how many."""
        with Session(self._engine) as session, session.begin():
            result = session.execute(
                delete(PlatformClaimRow).where(PlatformClaimRow.claimed_at < before))
            return int(getattr(result, "rowcount", 0) or 0)

    def link_thread(self, key: str, target: RelayTarget, now: datetime) -> None:
        """Remember that replies in the moderators' thread `key` go to `target`; threads past
        their lifetime are forgotten meanwhile."""
        with Session(self._engine) as session, session.begin():
            session.execute(delete(RelayThreadRow).where(
                RelayThreadRow.created_at < now - self._relay_lifetime))
            session.merge(RelayThreadRow(key=key[:200], channel=target.channel,
                                         thread=target.thread, created_at=now))

    def thread_target(self, key: str, now: datetime) -> RelayTarget | None:
        """Where replies in the moderators' thread `key` go, if it holds a relayed question
        that is not past its lifetime."""
        with Session(self._engine) as session:
            row = session.get(RelayThreadRow, key[:200])
            if row is None or row.created_at < now - self._relay_lifetime:
                return None
            return RelayTarget(row.channel, row.thread)
