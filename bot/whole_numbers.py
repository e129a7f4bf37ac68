"""Whole numbers as people and platforms type them: ASCII digits in a range, or nothing.

Checked by length before `int` reads them, so that a number thousands of digits long (which
Python refuses to read) is simply not a number here.
"""

from __future__ import annotations


def whole_number(text: str, low: int = 1, high: int = 999_999_999) -> int | None:
    """`text` as a whole number from `low` to `high`, or None when it is not one."""
    if not (text.isascii() and text.isdecimal()) or len(text) > len(str(high)):
        return None
    value = int(text)
    return value if low <= value <= high else None
