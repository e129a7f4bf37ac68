"""Reading what a question names in one member's own contracts (pure, no assistant)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot.contracts.asking import asks_state, general_parts
from bot.contracts.model import Contract, ContractStatus, ContractType, Milestone, MilestoneStatus
from bot.contracts.recognition import Named, recognize
from bot.faq.vocabulary import vocabulary_from_mapping

NOW = datetime(2026, 11, 25, tzinfo=UTC)
ME, CLIENT = "acc-me", "acc-kite"
PARTIES = {CLIENT: "Kite Travel", "acc-lumen": "Lumen Apps"}


def fixed(cid: str, title: str, *milestones: tuple[str, str, MilestoneStatus],
          client: str = CLIENT) -> Contract:
    return Contract(cid, title, ContractType.FIXED, client, ME, ContractStatus.ACTIVE, NOW,
                    "USD", milestones=tuple(Milestone(n, t, Decimal(a), s) for n, (t, a, s)
                                            in enumerate(milestones, 1)))


MOCKUPS = fixed("C-1", "High-fidelity mockups", ("Wireframes", "100", MilestoneStatus.PAID),
                ("Final screens", "300", MilestoneStatus.FUNDED),
                ("Style guide", "150", MilestoneStatus.NOT_FUNDED))
BLOG = fixed("C-2", "Travel blog articles", ("Five articles", "500", MilestoneStatus.SUBMITTED),
             ("Five more articles", "500", MilestoneStatus.NOT_FUNDED), client="acc-lumen")
MINE = [MOCKUPS, BLOG]
VOCABULARY = vocabulary_from_mapping({"synonyms": {"hifi": ["hi fi", "high fidelity"]}})


def read(text: str) -> Named:
    return recognize(text, MINE, PARTIES, VOCABULARY)


def titles(named: Named) -> list[str]:
    return [m.title for _, m in named.milestones] or [c.title for c in named.contracts]


@pytest.mark.parametrize(("question", "expected"), [
    ("the hi-fi mockups job", ["High-fidelity mockups"]),
    ("status of the mokups", ["High-fidelity mockups"]),
    ("c2 status", ["Travel blog articles"]),
    ("is the final screns milestone funded", ["Final screens"]),
    ("milestone 3 of the mockups", ["Style guide"]),
    ("is the second milestone of the blog funded", ["Five more articles"]),
    ("is the $500 milestone paid", ["Five articles", "Five more articles"]),
    ("the 150 dollar one", ["Style guide"]),
    ("my next milestone", ["Style guide", "Five more articles"]),
    ("my current milestone", ["Final screens", "Five articles"]),
    ("my last payment", ["Wireframes"]),
    ("anything from lumen?", ["Travel blog articles"]),
])
def test_a_question_names_the_members_own_jobs_and_milestones(question: str,
                                                              expected: list[str]) -> None:
    assert titles(read(question)) == expected


def test_what_names_nothing_of_theirs_is_told_back_as_their_own_words() -> None:
    assert read("status of X-9009").unknown == "X-9009"
    assert read("the zebra quilt job").unknown == "zebra quilt"
    nothing = read("how does escrow work?")
    assert (nothing.contracts, nothing.milestones, nothing.unknown) == ((), (), None)


@pytest.mark.parametrize("question", [
    "my iban is DE89 3704 0044 0532 0130 00, how do I withdraw?",
    "paid from GB33 BUKB 2020 1555 5555 55 but c2 shows nothing",
])
def test_a_bank_account_number_is_not_taken_for_a_contract_id(question: str) -> None:
    assert read(question).unknown is None


def test_one_common_word_of_a_long_title_is_not_clear_enough_to_beat_a_general_answer() -> None:
    weak = read("can I see the guide for new freelancers")
    assert titles(weak) == ["Style guide"] and not weak.clear and weak.distinct
    assert read("the style guide").clear


@pytest.mark.parametrize(("question", "state"), [
    ("was my milestone funded?", True),
    ("how do i know if my milestone is funded", True),
    ("how do I fund my milestone?", False),
    ("what happens if my client never pays", False),
])
def test_asking_where_things_stand_is_told_from_asking_how_to(question: str,
                                                              state: bool) -> None:
    assert asks_state(question) is state


def test_the_general_part_of_a_mixed_question_is_found() -> None:
    assert general_parts("is my logo milestone in escrow, and what does escrow mean?") == [
        "what does escrow mean"]
    assert general_parts("what does escrow mean?") == []
