"""The shipped pack: every required topic, well-formed entries, phrasings that are its own."""

from __future__ import annotations

import re

import pytest

from bot.errors import KnowledgeError
from bot.faq.entries import KINDS
from bot.faq.knowledge_pack import KnowledgePack, dump_entry, entry_from_mapping, load_entries
from bot.resources import knowledge_dir

# The topics the pack must answer (copied from the project brief's topic list).
REQUIRED = {
    "milestones-basics": "faq", "milestones-who-sets": "faq", "milestones-propose": "faq",
    "milestone-due-dates": "faq", "milestone-funded-check": "faq", "work-before-funding": "faq",
    "submit-unfunded": "faq", "submit-work": "faq", "review-auto-release": "faq",
    "payment-stages": "faq", "hourly-payment-schedule": "faq", "escrow-basics": "faq",
    "fixed-vs-hourly": "faq", "contract-ended-unfunded": "faq", "contract-ended-funded": "faq",
    "refund-request": "faq", "dispute-process": "faq", "finished-early": "faq",
    "feedback-after-close": "faq", "contract-expiry": "faq", "contract-paused": "faq",
    "separate-contracts": "faq", "milestone-add-edit": "faq", "where-are-contracts": "faq",
    "profile-photo": "faq", "identity-verification": "faq", "my-milestone-status": "personal",
    "my-contracts": "personal", "link-account": "meta", "bot-help": "meta",
    "talk-to-human": "meta",
}


def test_every_required_topic_has_an_entry_of_the_right_kind(pack: KnowledgePack) -> None:
    assert {e.id: e.kind for e in pack.entries} == REQUIRED
    assert all(e.kind in KINDS for e in pack.entries)


def test_every_entry_has_at_least_eight_distinct_phrasings_and_tags(pack: KnowledgePack) -> None:
    for entry in pack.entries:
        lowered = {a.lower() for a in entry.alternates}
        assert len(lowered) >= 8, entry.id
        assert len(lowered) == len(entry.alternates), f"{entry.id} repeats a phrasing"
        assert entry.tags, entry.id


def test_no_phrasing_belongs_to_two_entries(pack: KnowledgePack) -> None:
    owner: dict[str, str] = {}
    for entry in pack.entries:
        for phrase in entry.alternates:
            key = phrase.lower()
            assert key not in owner, f"{phrase!r} is in {owner.get(key)} and {entry.id}"
            owner[key] = entry.id


def test_answers_are_short_skimmable_and_free_of_template_syntax(pack: KnowledgePack) -> None:
    for entry in pack.entries:
        assert 200 <= len(entry.answer) <= 1200, entry.id
        assert "{{" not in entry.answer and "{%" not in entry.answer, entry.id
        assert re.search(r"^- ", entry.answer, re.MULTILINE), f"{entry.id} has no bullet points"
        assert "Next step" in entry.answer, f"{entry.id} gives no next step"


def test_personal_entries_explain_checking_by_hand_and_linking(pack: KnowledgePack) -> None:
    for entry in pack.entries:
        if entry.kind == "personal":
            assert "My Jobs" in entry.answer, entry.id
            assert "link" in entry.answer.lower(), entry.id


def test_pack_files_are_in_the_canonical_export_format() -> None:
    folder = knowledge_dir() / "entries"
    for entry in load_entries(knowledge_dir()):
        assert (folder / f"{entry.id}.yaml").read_text(encoding="utf-8") == dump_entry(entry)


def test_out_of_scope_subjects_are_never_answerable_entries(pack: KnowledgePack) -> None:
    ids = {e.id for e in pack.entries}
    assert pack.out_of_scope
    assert all(not s.in_scope and s.entry_id not in ids for s in pack.out_of_scope)


def test_a_pack_entry_with_a_direction_changing_character_is_refused_naming_it() -> None:
    data = {"id": "late-fees", "title": "Late fees", "kind": "faq", "tags": ["fees"],
            "alternates": ["is there a late fee"], "answer": "Pay \u202eyadot\u202c on time."}
    with pytest.raises(KnowledgeError, match="U\\+202E"):
        entry_from_mapping(data, "entries/late-fees.yaml")
