"""One object of an import document being read: its keys checked, its fields typed.

Every error names the field's record path (`contracts[3].milestones[1].status`) and the reason.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeVar

from bot.errors import ImportProblem
from bot.strict_json import DuplicateKeys
from bot.text import hidden_character, is_utf8

AMOUNT_LIMIT = 32  # characters, as the column holds them
_WHEN = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?)?",
                   re.ASCII)
_AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")  # line breaks of every kind too
_INVISIBLE = " \t\u200b\u200c\u200d\u2060\ufeff"

E = TypeVar("E", bound=StrEnum)


def show(value: object) -> str:
    """A value as an error message quotes it (JSON values, and dates already read)."""
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return value.isoformat() if isinstance(value, datetime) else str(value)


@lru_cache(maxsize=65_536)
def _parse_when(text: str) -> datetime | None:
    """An ISO 8601 date or date-time in UTC (no offset means UTC), or None if it is not one."""
    if not _WHEN.fullmatch(text):
        return None
    try:
        value = datetime.fromisoformat(text)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):  # not a day, or out of range once in UTC
        return None


class ImportRecord:
    """One JSON object being read: its allowed keys checked, its fields typed, its path kept."""

    def __init__(self, value: object, path: str, keys: tuple[str, ...], kind: str) -> None:
        if not isinstance(value, dict):
            raise ImportProblem(path or "document",
                                f"expected {kind} (an object), got {show(value)}")
        if isinstance(value, DuplicateKeys):
            raise ImportProblem(path or "document", f"the key {value.key!r} appears twice")
        unknown = [k for k in value if k not in keys]
        if unknown:
            raise ImportProblem(self._at(path, unknown[0]),
                                f"unknown key; {kind} has {', '.join(keys)}")
        self.value: dict[str, Any] = value
        self.path = path

    @staticmethod
    def _at(path: str, key: str) -> str:
        return f"{path}.{key}" if path else key

    def at(self, key: str) -> str:
        """The path of one field."""
        return self._at(self.path, key)

    def has(self, key: str) -> bool:
        """Whether the field is given (null counts as not given)."""
        return self.value.get(key) is not None

    def get(self, key: str) -> Any:
        """A required field's raw value."""
        value = self.value.get(key)
        if value is None:
            raise ImportProblem(self.at(key), "missing" if key not in self.value else "is null")
        return value

    def text(self, key: str, limit: int) -> str:
        """A non-blank, one-line string of at most `limit` characters."""
        value = self.get(key)
        if not isinstance(value, str):
            raise ImportProblem(self.at(key), f"expected a string, got {show(value)}")
        if not value.strip(_INVISIBLE):
            raise ImportProblem(self.at(key), "is blank")
        if len(value) > limit:
            raise ImportProblem(self.at(key), f"is {len(value)} characters long; at most {limit}")
        if not value.isascii() and not is_utf8(value):
            raise ImportProblem(self.at(key), "holds an escape (\\uD800-\\uDFFF) that is no "
                                "character")
        control = _CONTROL.search(value)
        if control:
            raise ImportProblem(self.at(key), f"contains a control character "
                                f"(U+{ord(control.group()):04X}); write it on one line")
        hidden = hidden_character(value)
        if hidden is not None:
            raise ImportProblem(self.at(key), f"contains an invisible or direction-changing "
                                f"character (U+{ord(hidden):04X})")
        return value

    def enum(self, key: str, kind: type[E]) -> E:
        """One of an enum's values."""
        value = self.get(key)
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(m.value for m in kind)
            raise ImportProblem(self.at(key), f"{show(value)} is not one of {choices}") from None

    def amount(self, key: str) -> Decimal:
        """An exact, non-negative decimal written as a string (`"50.00"`)."""
        value = self.get(key)
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            raise ImportProblem(self.at(key), f"{value} is a number; write amounts as decimal "
                                f'strings ("{value}") so they stay exact')
        if not isinstance(value, str) or not _AMOUNT.fullmatch(value):
            why = "is negative" if isinstance(value, str) and value.startswith("-") else (
                'is not a decimal amount such as "50.00"')
            raise ImportProblem(self.at(key), f"{show(value)} {why}")
        if len(value) > AMOUNT_LIMIT:
            raise ImportProblem(self.at(key), f"has more than {AMOUNT_LIMIT} characters")
        return Decimal(value)

    def whole(self, key: str, low: int, high: int) -> int:
        """A whole number from `low` to `high`."""
        value = self.get(key)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ImportProblem(self.at(key), f"expected a whole number, got {show(value)}")
        if not low <= value <= high:
            raise ImportProblem(self.at(key), f"{value} is not between {low} and {high}")
        return value

    def when(self, key: str) -> datetime:
        """An ISO 8601 date (`2026-11-03`) or date-time (`2026-11-03T14:05:00Z`), in UTC."""
        value = self.get(key)
        parsed = _parse_when(value) if isinstance(value, str) else None
        if parsed is None:
            raise ImportProblem(self.at(key), f"{show(value)} is not a date such as "
                                "2026-11-03 or 2026-11-03T14:05:00Z")
        return parsed

    def maybe_when(self, key: str) -> datetime | None:
        """An optional date: absent and null both mean none."""
        return self.when(key) if self.has(key) else None

    def items(self, key: str) -> list[Any]:
        """A list field."""
        value = self.get(key)
        if not isinstance(value, list):
            raise ImportProblem(self.at(key), f"expected a list, got {show(value)}")
        return value
