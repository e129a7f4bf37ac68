"""JSON as this project reads it from outside: decimals exact, duplicate keys marked, and
absurd documents (numbers of absurd length, absurd nesting) refused with where they went wrong.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from typing import Any

MAX_DIGITS = 30  # of a whole number in a document: far beyond any count or sequence number


class DuplicateKeys(dict[str, Any]):
    """A JSON object that named one key twice (`key`); reported where it is read."""

    key = ""


class NotJson(ValueError):
    """A document that is not JSON this project reads, and where (1-based line and column)."""

    def __init__(self, reason: str, line: int = 1, column: int = 1) -> None:
        super().__init__(reason)
        self.reason, self.line, self.column = reason, line, column


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise NotJson(f"a number of more than {MAX_DIGITS} digits")
    return int(text)


def load_json(text: str) -> Any:
    """`text` as JSON: decimals exact, objects that name a key twice marked (`DuplicateKeys`).
    Raises `NotJson` for bad syntax, numbers of absurd length and absurd nesting."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=Decimal,
                          parse_int=_whole_number, object_pairs_hook=object_pairs)
    except json.JSONDecodeError as exc:
        raise NotJson(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise NotJson("nested too deeply") from None


def object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """`json.loads`'s object hook: a dict, marked when the object named a key twice."""
    value = dict(pairs)
    if len(value) == len(pairs):
        return value
    duplicate = DuplicateKeys(value)
    duplicate.key = next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
    return duplicate
