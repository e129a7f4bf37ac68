"""What is blanked out of a member's words before they are kept: anything that could be a link
code, in any grouping, and what is clearly personal (emails, phone and card numbers, IBANs, long
digit runs, links carrying tokens). The code alphabet lives here, so that every capability can
recognise a code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import pairwise

# No 0/O or 1/I: codes are read off a screen and typed.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# A link code as the `link` command takes it: two groups of five joined by a dash, or ten
# letters of the alphabet together or split by a space holding a digit (English words seldom do).
TYPED_CODE = re.compile(
    rf"(?<![A-Za-z0-9])(?:[{CODE_ALPHABET}]{{5}}-[{CODE_ALPHABET}]{{5}}"
    rf"|(?=[{CODE_ALPHABET} ]{{0,10}}[2-9])[{CODE_ALPHABET}]{{5}} ?[{CODE_ALPHABET}]{{5}})"
    rf"(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# The shortest code anyone issues (the marketplace's webhook allows 8 characters).
SHORTEST_CODE = 8

CODE_REMOVED = "[code removed]"
_WORD = re.compile(r"[A-Za-z0-9]+")
_CODE_CHARS = frozenset(CODE_ALPHABET + CODE_ALPHABET.lower())

_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`]++", re.IGNORECASE)
_SEGMENT = re.compile(r"[A-Za-z0-9_-]++")
# Every pattern starts at a word's edge and repeats possessively: linear on any input.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]++@[A-Za-z0-9-]++(?:\.[A-Za-z0-9-]++)+")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:(?:[ -]?[A-Z0-9]{4}){3,7}"
                   r"(?:[ -]?[A-Z0-9]{1,3})?|[A-Z0-9]{11,30})(?![A-Za-z0-9])", re.IGNORECASE)
# Seven digits or more, with spaces, dots, dashes, slashes or brackets between them: phone,
# card and account numbers, order and tax ids. Amounts (`9,876.54`) have fewer digits.
_NUMBER = re.compile(r"(?<![A-Za-z0-9])\+?\(?[0-9](?:[ ./()-]{0,2}[0-9]){6,}(?![A-Za-z0-9])")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _code_like(word: str) -> bool:
    return all(ch in _CODE_CHARS for ch in word)


def _mixed(word: str) -> bool:
    """Letters and digits together, as a random code nearly always has and words never do."""
    return any(ch.isdigit() for ch in word) and any(ch.isalpha() for ch in word)


def _runs(text: str) -> Iterator[list[re.Match[str]]]:
    """Runs of words made of the code alphabet, each joined to the next by one space or dash."""
    run: list[re.Match[str]] = []
    for match in _WORD.finditer(text):
        joined = bool(run) and text[run[-1].end():match.start()] in (" ", "-")
        if run and not (joined and _code_like(match.group())):
            yield run
            run = []
        if _code_like(match.group()):
            run.append(match)
    if run:
        yield run


def code_spans(text: str) -> Iterator[tuple[int, int]]:
    """Where `text` holds something that could be a link code, in any grouping.

    A candidate is at least `SHORTEST_CODE` characters of the alphabet, in one word or in
    words joined by dashes or single spaces, with a dash or a word mixing letters and digits
    (`ABCD2EFG`, `K7PQ-MR2X-WN`, `k7pqm r2xwn`). Plain words at its ends are left out when the
    rest is long enough (`the K7PQM R2XWN`); "2 was funded" is no code.
    """
    for run in _runs(text):
        chunks: list[list[re.Match[str]]] = [[run[0]]]
        for before, match in pairwise(run):
            if text[before.end():match.start()] == "-":
                chunks[-1].append(match)
            else:
                chunks.append([match])

        sizes = [sum(len(m.group()) for m in chunk) for chunk in chunks]
        plain = [len(chunk) == 1 and sizes[i] >= 3 and not _mixed(chunk[0].group())
                 for i, chunk in enumerate(chunks)]
        lo, hi, size = 0, len(chunks), sum(sizes)
        while hi - lo > 1 and plain[lo] and size - sizes[lo] >= SHORTEST_CODE:
            size -= sizes[lo]
            lo += 1
        while hi - lo > 1 and plain[hi - 1] and size - sizes[hi - 1] >= SHORTEST_CODE:
            size -= sizes[hi - 1]
            hi -= 1
        kept = chunks[lo:hi]
        if size >= SHORTEST_CODE and any(
                len(chunk) > 1 or _mixed(chunk[0].group()) for chunk in kept):
            yield kept[0][0].start(), kept[-1][-1].end()


def holds_code(text: str) -> bool:
    """Whether `text` holds anything that could be a link code."""
    return next(code_spans(text), None) is not None


def without_codes(text: str) -> str:
    """`text` with anything that could be a link code blanked out, for keeping it."""
    kept: list[str] = []
    last = 0
    for start, end in code_spans(text):
        kept += [text[last:start], CODE_REMOVED]
        last = end
    kept.append(text[last:])
    return "".join(kept)


def _tokenish(segment: str) -> bool:
    """A path segment that looks generated (a token, a session id), not a word or a slug."""
    return len(segment) >= 24 or (len(segment) >= 12 and _mixed(segment))


def _link(match: re.Match[str]) -> str:
    """The link, or a blank when it carries a query, a fragment or a token in its path."""
    url = match.group()
    rest = url.split("//", 1)[-1]
    path = rest.split("/", 1)[1] if "/" in rest else ""
    if any(ch in path for ch in "?#=&") or any(map(_tokenish, _SEGMENT.findall(path))):
        return "[link removed]"
    return url


def _number(match: re.Match[str]) -> str:
    return match.group() if _DATE.fullmatch(match.group()) else "[number removed]"


def without_ibans(text: str) -> str:
    """`text` with its IBANs blanked out: the start of one (`DE89 3704 ...`) is shaped like
    a contract id."""
    return _IBAN.sub(" ", text)


def scrubbed(text: str) -> str:
    """`text` without what is clearly personal or secret, for the moderators' eyes.

    Links with tokens, emails, IBANs, numbers of seven digits or more (phones, cards,
    accounts; ISO dates stay) and anything that could be a link code are blanked out. Names
    and amounts stay: no pattern tells them from the question.
    """
    text = _URL.sub(_link, text)
    text = _EMAIL.sub("[email removed]", text)
    text = _IBAN.sub("[account removed]", text)
    text = _NUMBER.sub(_number, text)
    return without_codes(text)
