"""What a member's question names in their own contracts, found in their data.

Contract ids and titles, milestone titles and numbers, the other party's name, amounts and
"my last / next / current milestone" are looked up only in the member's own contracts (and
the names of the other parties on them): whatever another member's contract is called, a
question naming it finds nothing here, exactly as a made-up name does. Title words match
fuzzily (rapidfuzz: typos, partial words) and through the vocabulary's synonyms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from rapidfuzz import fuzz

from bot.contracts.model import Contract, ContractStatus, ContractType, Milestone, MilestoneStatus
from bot.faq.vocabulary import Vocabulary
from bot.text import STOPWORDS, stem, words

# Words of every contract question: they say nothing about which contract is meant.
GENERIC = frozenset(stem(w) for w in """
    contract contracts job jobs project projects gig order orders milestone milestones payment
    payments paid pay fund funded funding status check money escrow client freelancer last
    current latest first second third next work one show list see look my mine week weekly
    hour hours today new update happening news thing get got state yet when where what which
    who why how approve approved submit submitted release released available pending refund
    refunded review reviewed done start started dollar dollars usd eur euro euros pound pounds
    bucks amount much many log logged bill billed invoice invoices timesheet tracked know tell
    said says mean means deliver delivered progress anything stand standing
""".split())
DISTINCT_LETTERS = 4  # a title word this long names a job alone; "app", "set", "kit" do not
# Words of company names that say nothing about which company: "Northwind Studio".
COMPANY_WORDS = frozenset(stem(w) for w in """
    studio studios lab labs inc ltd llc gmbh company agency group team media digital solutions
    services consulting global international partners works apps app
""".split())
SHORT_WORDS = 3  # "my milestones", "my open jobs": a request to see them
TYPO_SCORE = 85  # rapidfuzz ratio (0-100) for one mistyped letter in a word of seven
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
_LAST = re.compile(r"\b(?:last|latest|previous|most recent|recent)\s+(?:[a-z]+\s+)?"
                   r"(?:milestone|payment|delivery|submission|paycheck)")
_NEXT = re.compile(r"\b(?:next|upcoming|following)\s+(?:[a-z]+\s+)?(?:milestone|payment|phase)")
_CURRENT = re.compile(r"\b(?:current|this|active|ongoing|open)\s+(?:[a-z]+\s+)?"
                      r"(?:milestone|phase)")
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


@dataclass(frozen=True)
class Named:
    """What a question names in the member's own contracts.

    `milestones` wins over `contracts`; `hourly` asks about hours or invoices; `unknown` is
    the wording of an id or a "the ... job" that names nothing of theirs; `about_own_work`
    says the question speaks of the member's own work in general ("was my milestone funded?");
    `clear` is False when all that names them is one word of a longer title outside a "the
    ... job" phrase ("who *sets* the milestones?" and the "App icon set"), which a general
    answer should win; `distinct` says that word has four letters or more ("logo", not
    "app"), enough when the FAQ has no answer for the question either.
    """

    contracts: tuple[Contract, ...] = ()
    milestones: tuple[tuple[Contract, Milestone], ...] = ()
    hourly: bool = False
    unknown: str | None = None
    about_own_work: bool = False
    clear: bool = True
    distinct: bool = True


    @property
    def anything(self) -> bool:
        """Whether the question names something of the member's (or tried to)."""
        return bool(self.contracts or self.milestones or self.unknown)


@dataclass(frozen=True)
class _Words:
    """A text's content words: stems with synonyms folded, and the words as typed."""

    stems: frozenset[str]
    typed: tuple[str, ...]


def _content(text: str, vocabulary: Vocabulary | None) -> _Words:
    typed = [w for w in words(text) if w not in STOPWORDS]
    stems = [stem(w) for w in typed]
    folded = vocabulary.fold(stems) if vocabulary is not None else stems
    return _Words(frozenset(folded) - GENERIC, tuple(w for w in typed if stem(w) not in GENERIC))


def _same_word(asked: str, word: str) -> bool:
    """A typo or a shortened word: `landng` for landing, `book` for bookkeeping."""
    if len(asked) < 5 or len(word) < 5:
        return False
    return word.startswith(asked) or fuzz.ratio(asked, word) >= TYPO_SCORE


def _matched(name: _Words, asked: _Words) -> list[str]:
    """The name's words (stems) the question has, by stem or as a typo of one."""
    found = sorted(name.stems & asked.stems)
    rest = [w for w in name.typed if stem(w) not in asked.stems]
    spare = [w for w in asked.typed if stem(w) not in name.stems]
    return found + [w for w in rest if any(_same_word(a, w) for a in spare)]


def _overlap(name: _Words, asked: _Words) -> int:
    """How many of a name's words the question has, by stem or as a typo of one."""
    return len(_matched(name, asked))


def _without(asked: _Words, name: _Words) -> _Words:
    typed = tuple(w for w in asked.typed
                  if stem(w) not in name.stems and not any(_same_word(w, n) for n in name.typed))
    return _Words(asked.stems - name.stems, typed)


def _best(scored: Iterable[tuple[int, object]]) -> tuple[int, list[object]]:
    pairs = [(score, item) for score, item in scored if score > 0]
    top = max((score for score, _ in pairs), default=0)
    return top, [item for score, item in pairs if score == top]


def _amounts(text: str) -> set[Decimal]:
    found = set()
    for match in _AMOUNT.finditer(text):
        groups = [g for g in match.groups()]
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


_IN_HAND = (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED, MilestoneStatus.CHANGES_REQUESTED,
            MilestoneStatus.APPROVED)
_DONE = (MilestoneStatus.APPROVED, MilestoneStatus.PAID, MilestoneStatus.REFUNDED)


def current_milestone(contract: Contract) -> Milestone | None:
    """The milestone in hand: the first funded, submitted or approved one, else the first
    not funded yet."""
    by_seq = sorted(contract.milestones, key=lambda m: m.seq)
    in_hand = [m for m in by_seq if m.status in _IN_HAND]
    waiting = [m for m in by_seq if m.status is MilestoneStatus.NOT_FUNDED]
    found = in_hand or waiting
    return found[0] if found else None


def next_milestone(contract: Contract) -> Milestone | None:
    """The first milestone not funded yet after the one in hand."""
    current = current_milestone(contract)
    after = current.seq if current and current.status is not MilestoneStatus.NOT_FUNDED else 0
    return next((m for m in sorted(contract.milestones, key=lambda m: m.seq)
                 if m.seq > after and m.status is MilestoneStatus.NOT_FUNDED), None)


def last_milestone(contract: Contract) -> Milestone | None:
    """The latest milestone approved, paid or refunded."""
    done = [m for m in contract.milestones if m.status in _DONE]
    return max(done, key=lambda m: m.seq, default=None)


def _active(contracts: Sequence[Contract]) -> list[Contract]:
    return [c for c in contracts if c.status is not ContractStatus.ENDED]


def recognize(text: str, contracts: Sequence[Contract], parties: Mapping[str, str],
              vocabulary: Vocabulary | None = None) -> Named:
    """What `text` names among `contracts` (one member's own) and the other parties on them
    (`parties`: account id to name)."""
    lower = text.lower()
    about = bool(_MINE.search(lower))
    ids = {t.replace("-", "").replace("_", "") for t in _TOKEN.findall(lower)}
    by_id = [c for c in contracts if c.id.lower().replace("-", "").replace("_", "") in ids]
    own_ids = {c.id.lower().replace("-", "") for c in contracts}
    unknown_ids = [m for m in _ID_SHAPE.findall(lower) if m.replace("-", "") not in own_ids]
    rest = _ID_SHAPE.sub(" ", lower)
    seqs = _numbers(rest)
    amounts = _amounts(_NUMBERED.sub(" ", rest))
    asked = _content(_NUMBERED.sub(" ", rest), vocabulary)

    named_parties = {p for p, name in parties.items()
                     if any(len(w) >= DISTINCT_LETTERS and w not in COMPANY_WORDS
                            for w in _matched(_content(name, None), asked))}
    if named_parties:  # the party's words name the party, not a title ("Lumen Apps")
        said = " ".join(parties[p] for p in named_parties).lower()
        asked = _without(asked, _content(said, None))
    with_party = [c for c in contracts if {c.client, c.freelancer} & named_parties]
    scope = by_id or with_party or list(contracts)
    title_score, titled = _best((_overlap(_content(c.title, vocabulary), asked), c)
                                for c in scope)
    ms_score, ms_titled = _best((_overlap(_content(m.title, vocabulary), asked), (c, m))
                                for c in scope for m in c.milestones)
    if not by_id and title_score:
        scope = [c for c in scope if c in titled]
    named: list[Contract] = by_id or [c for c in scope if c in titled] or with_party
    hourly = bool(_HOURS.search(lower))

    milestones: list[tuple[Contract, Milestone]] = []
    fixed = [c for c in (named or _active(scope)) if c.type is ContractType.FIXED]
    if seqs:
        milestones = [(c, m) for c in fixed for m in c.milestones if m.seq in seqs]
    elif ms_score > title_score:
        milestones = [pair for pair in ms_titled if isinstance(pair, tuple)]
    elif amounts:
        milestones = [(c, m) for c in (named or scope) for m in c.milestones
                      if m.amount in amounts]
        if not milestones:
            named = named or [c for c in scope if any(i.amount in amounts for i in c.invoices)]
    elif not by_id:
        for pattern, pick in ((_LAST, last_milestone), (_NEXT, next_milestone),
                              (_CURRENT, current_milestone)):
            if pattern.search(lower):
                milestones = [(c, m) for c in fixed if (m := pick(c)) is not None]
                break
    if hourly and not milestones and not named:
        named = [c for c in _active(contracts) if c.type is ContractType.HOURLY]
    naming = _NAMING.search(lower)
    words_of = [_content(c.title, vocabulary) for c in titled if isinstance(c, Contract)] + [
        _content(pair[1].title, vocabulary) for pair in ms_titled if isinstance(pair, tuple)]
    whole = any(len(w.stems) <= max(title_score, ms_score) for w in words_of)
    called = (naming.group(1) or naming.group(2)) if naming else None
    phrase = _content(called, vocabulary) if called else None
    in_phrase = phrase is not None and any(_overlap(w, phrase) > 0 for w in words_of)
    relative = any(p.search(lower) for p in (_LAST, _NEXT, _CURRENT))
    clear = bool(by_id or named_parties or seqs or amounts or in_phrase or whole or relative
                 or max(title_score, ms_score) >= 2 or hourly)
    distinct = clear or any(len(word) >= DISTINCT_LETTERS for w in words_of
                            for word in _matched(w, asked))
    unknown = None
    if not named and not milestones:
        if unknown_ids:
            unknown = unknown_ids[0].upper()
        elif called and _content(called, None).typed:
            unknown = called.strip()
    return Named(tuple(named), tuple(milestones), hourly, unknown, about, clear, distinct)


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
            and len(parts) > 1]
