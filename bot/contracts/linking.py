"""Linking a chat identity to a marketplace account with a one-time code.

Codes are 10 characters from a 32-letter alphabet (50 random bits), kept only as a SHA-256,
good once, for 15 minutes. Five wrong codes within an hour lock the identity out for an hour.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from bot.redaction import CODE_ALPHABET

CODE_LENGTH = 10
CODE_LIFETIME = timedelta(minutes=15)
MAX_WRONG_CODES = 5
LOCKOUT = timedelta(hours=1)
# Codes from the marketplace's webhook must be at least this long (40 bits in this alphabet).
MIN_CODE_LENGTH = 8


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
