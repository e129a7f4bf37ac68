"""How members ask about their own work: the shapes of a question, read before any data.

Pure patterns over the lowercased text: ids, milestone numbers, amounts, "my last / next /
current milestone", hours, "the ... job", whether it asks where things stand or how to do
something, and its general clauses. `bot.contracts.recognition` matches what they find
against one member's own contracts.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from bot.redaction import without_ibans

MAX_GENERAL_PARTS = 3  # general clauses looked up after a personal answer
SHORT_WORDS = 3  # "my milestones", "my open jobs": a request to see them
_ID_SHAPE = re.compile(r"(?<![\w-])([a-z]{1,5}-?\d{2,7})(?![\w-])")
_TOKEN = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6,
             "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5, "6th": 6}
_NUMBERED = re.compile(
    r"\b(?:milestone|mil?stone|ms|m)\s*(?:no\.?|number|#)?\s*(\d{1,3})\b"
    r"|(?<!\w)#(\d{1,3})\b"
    rf"|\b({'|'.join(_ORDINALS)})\s+(?:[a-z]+\s+)?(?:milestone|payment|phase)")
_MONEY = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
_AMOUNT = re.compile(
    rf"[$€£]\s?{_MONEY}|{_MONEY}\s?(?:[$€£]|dollars?|usd|eur|euros?|gbp|pounds?|bucks)\b"
    rf"|(?<![\w.,-]){_MONEY}(?![\w%-])")
_RELATIVE = {
    "last": re.compile(r"\b(?:last|latest|previous|most recent|recent)\s+(?:[a-z]+\s+)?"
                       r"(?:milestone|payment|delivery|submission|paycheck)"),
    "next": re.compile(r"\b(?:next|upcoming|following)\s+(?:[a-z]+\s+)?"
                       r"(?:milestone|payment|phase)"),
    "current": re.compile(r"\b(?:current|this|active|ongoing|open)\s+(?:[a-z]+\s+)?"
                          r"(?:milestone|phase)"),
}
_HOURS = re.compile(r"\b(?:hours?|hrs|timesheets?|time sheets?|invoices?|billed|logged|tracked"
                    r"|this week|last week|weekly)\b")
_MINE = re.compile(r"\b(?:my|mine)\b(?:\s+[a-z'-]+){0,3}?\s+(?:milestones?|contracts?|jobs?|"
                   r"projects?|payments?|money|escrow|invoices?|hours|earnings|gigs?|orders?|"
                   r"funds|work|delivery|submission|balance|paycheck)\b")
_NAME_WORD = (r"(?!(?:the|a|an|of|for|in|on|with|to|from|about|is|are|was|and|or|my|your|this"
              r"|that|it|i)\b)[\w$€£.,'-]+\s+")
# "the logo job", "my landing page milestone", or a message that is only "packaging job?"
_NAMING = re.compile(rf"\b(?:the|my)\s+((?:{_NAME_WORD}){{1,4}}?)(?:job|contract|project|gig|"
                     rf"milestone)s?\b|^\s*((?:{_NAME_WORD}){{1,3}}?)(?:job|contract|project|gig)s?"
                     rf"(?:\s+status)?\s*[?!.]*\s*$")
_STATE = re.compile(r"\b(?:fund|paid|pay|status|approv|avail|pend|submit|releas|clear|review|"
                    r"refund|escrow|money|where|stand|done|complet|check|look|when|happen)\w*")
_HOW_TO = re.compile(
    r"\bhow (?:do|can|should|would|to)(?: i| we| you)? (?:fund|submit|add|create|change|edit|"
    r"set|release|approve|request|dispute|end|close|cancel|pause|refund|withdraw|propose|"
    r"split|link|get a refund|ask)\b|\bhow to\b|\bwhat happens\b|\bwhat if\b|\bcan i\b|"
    r"\bshould i\b|\bis it (?:normal|ok|okay|safe|allowed)\b|\bwhat now\b")
_GENERAL = re.compile(r"\b(?:what (?:does|do|is|are)|what's|how (?:does|do|is|are|long)|why|"
                      r"explain|mean|means|meaning|difference)\b")
_CLAUSES = re.compile(r"[?.!;]+|,\s*(?:and|but|also)\b|\s+(?:and|but|also)\s+"
                      r"(?=(?:what|how|why|when|can|does|do|is|are)\b)")


def id_key(identifier: str) -> str:
    """An id as compared: lowercase, without dashes and underscores (`D-102` ~ `d102`)."""
    return identifier.lower().replace("-", "").replace("_", "")


@dataclass(frozen=True)
class Shape:
    """What a question's wording says before any data is looked at.

    `words` is the text left once ids and milestone numbers are taken out, for title words;
    `relative` is `last`, `next` or `current` ("my next milestone"); `called` is what a "the
    ... job" phrase calls the job.
    """

    words: str
    tokens: frozenset[str]
    ids: tuple[str, ...]
    numbers: frozenset[int]
    amounts: frozenset[Decimal]
    relative: str | None
    hourly: bool
    mine: bool
    called: str | None


def shape_of(text: str) -> Shape:
    """Read the shapes of one question."""
    lower = without_ibans(text).lower()
    rest = _ID_SHAPE.sub(" ", lower)
    words = _NUMBERED.sub(" ", rest)
    naming = _NAMING.search(lower)
    return Shape(
        words=words,
        tokens=frozenset(id_key(t) for t in _TOKEN.findall(lower)),
        ids=tuple(_ID_SHAPE.findall(lower)),
        numbers=frozenset(_numbers(rest)),
        amounts=frozenset(_amounts(words)),
        relative=next((name for name, p in _RELATIVE.items() if p.search(lower)), None),
        hourly=bool(_HOURS.search(lower)),
        mine=bool(_MINE.search(lower)),
        called=(naming.group(1) or naming.group(2)).strip() if naming else None,
    )


def _amounts(text: str) -> set[Decimal]:
    found = set()
    for match in _AMOUNT.finditer(text):
        groups = match.groups()
        for whole, cents in (groups[0:2], groups[2:4], groups[4:6]):
            if whole is not None:
                with suppress(InvalidOperation):  # the pattern allows digits only
                    found.add(Decimal(whole.replace(",", "") + "." + (cents or "0")))
    return found


def _numbers(text: str) -> set[int]:
    seqs = set()
    for match in _NUMBERED.finditer(text):
        digits = match.group(1) or match.group(2)
        seqs.add(int(digits) if digits else _ORDINALS[match.group(3)])
    return seqs


def asks_state(text: str, short: bool = False) -> bool:
    """Whether a question about own work asks where it stands (funded, paid, when), not how
    to do something ("how do I fund my milestone?"); with `short`, three words or fewer
    ("my milestones") count as asking too."""
    lower = text.lower()
    if _HOW_TO.search(lower):
        return False
    return bool(_STATE.search(lower)) or (short and len(lower.split()) <= SHORT_WORDS)


def general_parts(text: str) -> list[str]:
    """The clauses of a question that ask something general ("...and what does escrow
    mean?"), to answer from the FAQ after a personal answer."""
    parts = [p.strip(" ,") for p in _CLAUSES.split(text) if p and p.strip(" ,")]
    return [p for p in parts if _GENERAL.search(p.lower()) and not _MINE.search(p.lower())
            and len(parts) > 1][:MAX_GENERAL_PARTS]
