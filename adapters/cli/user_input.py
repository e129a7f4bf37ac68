"""What the command line reads from the user: its arguments and standard input, as UTF-8.

Python hands bytes that are not UTF-8 over as lone surrogates, which fail much later, when
they are saved or printed; these checks refuse them at once, naming what was wrong.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from bot.errors import UserError
from bot.text import is_utf8


def shown(text: str) -> str:
    """The text as the user typed it, bytes that are not UTF-8 written as `\\xNN`."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate that was not a byte
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def check_arguments(argv: Sequence[str]) -> None:
    """Refuse the first argument that is not valid UTF-8, naming it and the option it follows."""
    for number, arg in enumerate(argv, 1):
        if is_utf8(arg):
            continue
        option = argv[number - 2] if number > 1 else ""
        after = f" (the value of {option})" if option.startswith("-") else ""
        raise UserError(f"argument {number} '{shown(arg)[:80]}'{after} is not valid UTF-8; "
                        "type it again in UTF-8")


def read_standard_input() -> str:
    """All of standard input, for `--answer -`; refused unless it is valid UTF-8."""
    refused = UserError("standard input (--answer -) is not valid UTF-8; nothing was saved")
    try:
        text = sys.stdin.read()
    except UnicodeDecodeError:
        raise refused from None
    if not is_utf8(text):
        raise refused
    return text
