"""What a member's question names in their own contracts, found in their data.

Contract ids and titles, milestone titles and numbers, the other party's name, amounts and
"my last / next / current milestone" are looked up only in the member's own contracts (and
the names of the other parties on them): whatever another member's contract is called, a
question naming it finds nothing here, exactly as a made-up name does. Title words match
fuzzily (rapidfuzz: typos, partial words) and through the vocabulary's synonyms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import fuzz

from bot.contracts.asking import Shape, id_key, shape_of
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
TYPO_SCORE = 85  # rapidfuzz ratio (0-100) for one mistyped letter in a word of seven
T = TypeVar("T")
Pair = tuple[Contract, Milestone]


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
    milestones: tuple[Pair, ...] = ()
    hourly: bool = False
    unknown: str | None = None
    about_own_work: bool = False
    clear: bool = True
    distinct: bool = True


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
    """A typo or a shortened word: `landng` for landing, `bookk` for bookkeeping."""
    if len(asked) < 5 or len(word) < 5:
        return False
    return word.startswith(asked) or fuzz.ratio(asked, word) >= TYPO_SCORE


def _matched(name: _Words, asked: _Words) -> list[str]:
    """The name's words (stems) the question has, by stem or as a typo of one."""
    found = sorted(name.stems & asked.stems)
    rest = [w for w in name.typed if stem(w) not in asked.stems]
    spare = [w for w in asked.typed if stem(w) not in name.stems]
    return found + [w for w in rest if any(_same_word(a, w) for a in spare)]


def _without(asked: _Words, name: _Words) -> _Words:
    typed = tuple(w for w in asked.typed
                  if stem(w) not in name.stems and not any(_same_word(w, n) for n in name.typed))
    return _Words(asked.stems - name.stems, typed)


def _best(items: Iterable[T], title: Callable[[T], str], asked: _Words,
          vocabulary: Vocabulary | None) -> tuple[int, list[T], list[_Words]]:
    """The items whose titles share the most words with the question, with that count and
    their titles' words."""
    scored = [(len(_matched(w, asked)), item, w)
              for item in items for w in [_content(title(item), vocabulary)]]
    top = max((score for score, _, _ in scored), default=0)
    best = [(item, w) for score, item, w in scored if score == top and top > 0]
    return top, [item for item, _ in best], [w for _, w in best]


_IN_HAND = (MilestoneStatus.FUNDED, MilestoneStatus.SUBMITTED, MilestoneStatus.CHANGES_REQUESTED,
            MilestoneStatus.APPROVED)
_DONE = (MilestoneStatus.APPROVED, MilestoneStatus.PAID, MilestoneStatus.REFUNDED)


def current_milestone(contract: Contract) -> Milestone | None:
    """The milestone in hand: the first funded, submitted or approved one, else the first
    not funded yet."""
    by_seq = sorted(contract.milestones, key=lambda m: m.seq)
    found = ([m for m in by_seq if m.status in _IN_HAND]
             or [m for m in by_seq if m.status is MilestoneStatus.NOT_FUNDED])
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


RELATIVE: dict[str, Callable[[Contract], Milestone | None]] = {
    "last": last_milestone, "next": next_milestone, "current": current_milestone}


def active_contracts(contracts: Sequence[Contract]) -> list[Contract]:
    """The contracts that have not ended."""
    return [c for c in contracts if c.status is not ContractStatus.ENDED]


def _named_parties(parties: Mapping[str, str], asked: _Words) -> set[str]:
    """The other parties the question names by a distinct word of their name."""
    return {p for p, name in parties.items()
            if any(len(w) >= DISTINCT_LETTERS and w not in COMPANY_WORDS
                   for w in _matched(_content(name, None), asked))}


def _milestones(shape: Shape, named: list[Contract], scope: list[Contract],
                titled: list[Pair] | None, by_id: bool) -> list[Pair]:
    """The milestones the question names: by number, by title (`titled`, when milestone
    titles match better than contract titles), by amount, or "my last / next / current"
    (unless a contract id was given: "status of D-101, my last payment" means the contract)."""
    fixed = [c for c in (named or active_contracts(scope)) if c.type is ContractType.FIXED]
    if shape.numbers:
        return [(c, m) for c in fixed for m in c.milestones if m.seq in shape.numbers]
    if titled is not None:
        return titled
    if shape.amounts:
        return [(c, m) for c in (named or scope) for m in c.milestones
                if m.amount in shape.amounts]
    if shape.relative and not by_id:
        pick = RELATIVE[shape.relative]
        return [(c, m) for c in fixed if (m := pick(c)) is not None]
    return []


def recognize(text: str, contracts: Sequence[Contract], parties: Mapping[str, str],
              vocabulary: Vocabulary | None = None) -> Named:
    """What `text` names among `contracts` (one member's own) and the other parties on them
    (`parties`: account id to name)."""
    shape = shape_of(text)
    asked = _content(shape.words, vocabulary)
    by_id = [c for c in contracts if id_key(c.id) in shape.tokens]
    parties_named = _named_parties(parties, asked)
    if parties_named:  # the party's words name the party, not a title ("Lumen Apps")
        asked = _without(asked, _content(" ".join(parties[p] for p in parties_named), None))
    with_party = [c for c in contracts if {c.client, c.freelancer} & parties_named]
    scope = by_id or with_party or list(contracts)
    title_score, titled, title_words = _best(scope, lambda c: c.title, asked, vocabulary)
    ms_score, ms_titled, ms_words = _best([(c, m) for c in scope for m in c.milestones],
                                          lambda pair: pair[1].title, asked, vocabulary)
    named = by_id or titled or with_party
    milestones = _milestones(shape, named, titled or scope,
                             ms_titled if ms_score > title_score else None, bool(by_id))
    if shape.amounts and not milestones and not named:
        named = [c for c in scope if any(i.amount in shape.amounts for i in c.invoices)]
    if shape.hourly and not milestones and not named:
        named = [c for c in active_contracts(contracts) if c.type is ContractType.HOURLY]

    matched_words = title_words + ms_words
    score = max(title_score, ms_score)
    called = _content(shape.called, vocabulary) if shape.called else None
    clear = bool(by_id or parties_named or shape.numbers or shape.amounts or shape.relative
                 or shape.hourly or score >= 2
                 or any(len(w.stems) <= score for w in matched_words)
                 or (called is not None and any(_matched(w, called) for w in matched_words)))
    distinct = clear or any(len(word) >= DISTINCT_LETTERS for w in matched_words
                            for word in _matched(w, asked))
    unknown = None
    if not named and not milestones:
        own = {id_key(c.id) for c in contracts}
        theirs = [i for i in shape.ids if id_key(i) not in own]
        if theirs:
            unknown = theirs[0].upper()
        elif called is not None and called.typed and shape.called:
            unknown = shape.called
    return Named(tuple(named), tuple(milestones), shape.hourly, unknown, shape.mine, clear,
                 distinct)
