"""The matcher and the policy on any text: a decision every time, about entries that exist."""

from __future__ import annotations

import pytest
from hostile_input import messages
from hypothesis import given

from bot.app import build_matcher
from bot.faq.knowledge_pack import KnowledgePack, load_pack
from bot.faq.live import Snapshot
from bot.faq.policy import Outcome, Thresholds
from bot.resources import knowledge_dir
from bot.text import clean


@pytest.fixture(scope="module")
def snapshot(pack: KnowledgePack) -> Snapshot:
    return Snapshot({e.id: e for e in pack.entries}, build_matcher(pack.entries, pack))


PACK_WORDS = tuple(sorted({w for e in load_pack(knowledge_dir()).entries
                           for a in e.alternates for w in a.split()}))


@given(text=messages(PACK_WORDS, max_pieces=60))
def test_any_text_gets_an_answer_choices_or_a_decline_naming_only_real_entries(
    snapshot: Snapshot, text: str,
) -> None:
    thresholds = Thresholds()
    for asked in (text, clean(text)):
        decision = snapshot.decide(asked, thresholds)
        assert decision.outcome in set(Outcome)
        assert 0.0 <= decision.score <= 1.0
        if decision.outcome is Outcome.ANSWER:
            assert decision.entry_id in snapshot.entries
        assert set(decision.suggestions) <= set(snapshot.entries)
        assert len(decision.suggestions) <= thresholds.max_suggestions
