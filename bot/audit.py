"""The audit log: one line for every moderator action, read by `forumbot audit`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class AuditRecord:
    """Who did what, when, to which target, with a one-line detail."""

    at: datetime
    actor: str
    action: str
    target: str
    detail: str


class AuditLog(Protocol):
    """The port for reading the audit log; stores add records with the changes they tell."""

    def recent(self, limit: int) -> list[AuditRecord]:
        """The newest records, newest first."""
        ...
