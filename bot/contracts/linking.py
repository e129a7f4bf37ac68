"""Linking a chat identity to a marketplace account with a one-time code.

Codes are 10 characters from a 32-letter alphabet (50 random bits), kept only as a SHA-256,
good once, for 15 minutes. Wrong codes are limited per hour: five per identity, 30 per
platform account (a Slack workspace; the whole platform elsewhere) and 100 for everyone; past
a limit, codes are not checked for that scope until its oldest wrong code is an hour old.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.redaction import CODE_ALPHABET, SHORTEST_CODE

CODE_LENGTH = 10
CODE_LIFETIME = timedelta(minutes=15)
MAX_WRONG_CODES = 5
# However many identities one attacker has, at most this many guesses an hour are checked.
MAX_WRONG_CODES_PER_ACCOUNT = 30
MAX_WRONG_CODES_GLOBAL = 100
LOCKOUT = timedelta(hours=1)
# Codes from the marketplace's webhook must be at least this long (40 bits in this alphabet),
# the shortest that redaction hides.
MIN_CODE_LENGTH = SHORTEST_CODE


def new_code() -> str:
    """A fresh random code, shown as two groups of five (`ABCDE-FGHJK`)."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(code: str) -> str:
    """A code as stored: upper case, without spaces or dashes."""
    return "".join(ch for ch in code.upper() if ch not in " -")


def code_hash(code: str) -> str:
    """The only form a code is kept in."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def capped_expiry(asked: datetime | None, now: datetime) -> datetime:
    """When a code issued at `now` expires: as asked, but never later than `CODE_LIFETIME`
    after the server's clock (an event's own time can be anything)."""
    latest = now + CODE_LIFETIME
    return latest if asked is None else min(asked, latest)


def platform_account(identity: str) -> str:
    """The platform account an identity belongs to: its Slack workspace (`slack:T123` of
    `slack:T123/U456`), else its platform (`discord`, `console`), whose names cost nothing."""
    if "/" in identity:
        return identity.rsplit("/", 1)[0]
    return identity.split(":", 1)[0]


def locked_until(identity: str, recent: Iterable[tuple[str, datetime]]) -> datetime | None:
    """When `identity` may send a code again, if a wrong-code limit holds it back.

    `recent` is every wrong code of the last `LOCKOUT` (identity, time). The identity's own
    limit, its platform account's, and everyone's count; the latest end wins.
    """
    recent = list(recent)
    limits = ((lambda who: who == identity, MAX_WRONG_CODES),
              (lambda who: platform_account(who) == platform_account(identity),
               MAX_WRONG_CODES_PER_ACCOUNT),
              (lambda who: True, MAX_WRONG_CODES_GLOBAL))
    ends = []
    for counts, most in limits:
        times = sorted(at for who, at in recent if counts(who))
        if len(times) >= most:
            ends.append(times[-most] + LOCKOUT)
    return max(ends, default=None)


class LinkOutcome(StrEnum):
    LINKED = "linked"
    WRONG = "wrong"  # unknown, used, or expired: the member is not told which
    LOCKED = "locked"


@dataclass(frozen=True)
class Redemption:
    """What sending a code did; `account_id` when linked, `locked_until` when locked out."""

    outcome: LinkOutcome
    account_id: str | None = None
    locked_until: datetime | None = None
    attempts_left: int = 0


@dataclass(frozen=True)
class Link:
    """A chat identity linked to an account."""

    identity: str
    account_id: str
    platform: str
    notify: bool
    linked_at: datetime


class LinkStore(Protocol):
    """The port for links, codes and forgetting a member."""

    def link_of(self, identity: str) -> Link | None:
        """The identity's link, if any."""
        ...

    def issue_code(self, account_id: str, now: datetime) -> str:
        """A new code for an account (raises NotFound for an unknown account)."""
        ...

    def redeem(self, identity: str, platform: str, code: str, now: datetime) -> Redemption:
        """Link the identity if the code is good, else count a wrong attempt."""
        ...

    def unlink(self, identity: str) -> bool:
        """Remove the identity's link; False when there was none."""
        ...

    def set_notify(self, identity: str, on: bool) -> bool:
        """Turn the linked identity's notifications on or off; False when not linked."""
        ...

    def forget(self, identity: str) -> None:
        """Delete the link and every stored trace of the identity's questions."""
        ...
