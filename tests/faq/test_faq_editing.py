"""Moderators edit the FAQ: permissions, versions, validation and conflicts, on in-memory ports."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.errors import EditConflict, InvalidEntry, NotAllowed, NotFound
from bot.faq.editing import EntryChanges, FaqEditor
from bot.faq.entries import FaqEntry
from bot.faq.history import FaqVersions
from bot.faq.knowledge_pack import KnowledgePack
from bot.faq.validation import check_renders
from bot.rendering import Renderer
from tests.fakes import FakeFaqVersions, fake_editor

ANA = "console:ana"


@pytest.fixture
def editor(pack: KnowledgePack) -> FaqEditor:
    return fake_editor(pack.entries, moderators=[ANA])


def versions_of(editor: FaqEditor) -> FakeFaqVersions:
    versions: FaqVersions = editor.versions
    assert isinstance(versions, FakeFaqVersions)
    return versions


NEW = FaqEntry("late-fees", "Late payment fees", "faq", "There are **no** late fees.",
               ("is there a fee for paying late",), ("fees",))


def test_a_non_moderator_is_refused_every_change_and_nothing_changes(editor: FaqEditor) -> None:
    before = versions_of(editor).all_latest()
    attempts: list[Callable[[], int]] = [
        lambda: editor.add("console:bob", NEW, "new"),
        lambda: editor.edit("console:bob", "refund-request", EntryChanges(title="Hacked"), "x"),
        lambda: editor.add_phrasings("console:bob", "refund-request", ["free money"], "x"),
        lambda: editor.remove_phrasing("console:bob", "refund-request", "escrow refund?", "x"),
        lambda: editor.remove("console:bob", "refund-request", "x"),
        lambda: editor.restore("console:bob", "refund-request", "x"),
        lambda: editor.revert("console:bob", "refund-request", 1, "x"),
    ]
    for attempt in attempts:
        with pytest.raises(NotAllowed, match="console:bob is not one"):
            attempt()
    assert versions_of(editor).all_latest() == before
    assert versions_of(editor).audit == []


def test_a_platform_role_grants_what_the_table_does_not(editor: FaqEditor) -> None:
    assert editor.add("slack:T1/U9", NEW, "from the moderators' user group", granted=True) == 1


def test_every_change_is_a_new_version_and_the_old_ones_stay(editor: FaqEditor) -> None:
    assert editor.add(ANA, NEW, "asked twice this week") == 1
    assert editor.edit(ANA, "late-fees", EntryChanges(answer="None at all."), "shorter") == 2
    assert editor.add_phrasings(ANA, "late-fees", ["penalty for paying late"], "inbox") == 3
    assert editor.remove_phrasing(ANA, "late-fees", "Is there a fee for paying late?",
                                  "too close to another") == 4
    assert editor.remove(ANA, "late-fees", "policy changed") == 5
    assert editor.restore(ANA, "late-fees", "policy back") == 6

    history = editor.history("late-fees")
    assert [v.version for v in history] == [1, 2, 3, 4, 5, 6]
    assert history[0].entry == NEW and history[0].author == ANA
    assert history[1].entry.answer == "None at all."
    assert history[2].entry.alternates == ("is there a fee for paying late",
                                           "penalty for paying late")
    assert history[3].entry.alternates == ("penalty for paying late",)
    assert [v.removed for v in history] == [False, False, False, False, True, False]
    assert [r.action for r in versions_of(editor).audit] == [
        "faq add", "faq edit", "faq alias", "faq unalias", "faq remove", "faq restore"]
    assert versions_of(editor).audit[1].detail == "version 2: changed answer; reason: shorter"


def test_a_revert_is_a_new_version_with_the_old_content(editor: FaqEditor) -> None:
    editor.edit(ANA, "refund-request", EntryChanges(title="Refunds"), "shorter title")
    assert editor.revert(ANA, "refund-request", 1, "the old title was clearer") == 3
    history = editor.history("refund-request")
    assert history[2].entry == history[0].entry
    assert history[1].entry.title == "Refunds"


def test_a_diff_shows_the_changed_lines_of_the_pack_yaml(editor: FaqEditor) -> None:
    editor.edit(ANA, "refund-request", EntryChanges(title="Refunds"), "shorter title")
    diff = editor.diff("refund-request", 1, 2)
    assert diff[:2] == ["--- refund-request version 1", "+++ refund-request version 2"]
    assert "-title: The client asked for escrow (or a payment) back" in diff
    assert "+title: Refunds" in diff
    assert not [line for line in diff[2:] if line.startswith(("+a", "-a"))]


def test_an_edit_based_on_an_old_version_is_refused_naming_who_changed_it(
    editor: FaqEditor,
) -> None:
    editor.edit(ANA, "refund-request", EntryChanges(title="Refunds"), "shorter", base=1)
    with pytest.raises(EditConflict, match="version 2 is by console:ana") as refused:
        editor.edit("console:bob", "refund-request", EntryChanges(title="Escrow back"),
                    "mine", base=1, granted=True)
    assert refused.value.author == ANA and refused.value.version == 2
    assert editor.current("refund-request").entry.title == "Refunds"


@pytest.mark.parametrize(("changes", "message"), [
    (EntryChanges(answer="   "), "answer must be non-empty"),
    (EntryChanges(answer="word " * 390), "the limit is 1800"),
    (EntryChanges(kind="news"), "kind 'news' is not one of"),
    (EntryChanges(title=""), "title must be"),
])
def test_a_broken_entry_is_not_saved(editor: FaqEditor, changes: EntryChanges,
                                     message: str) -> None:
    with pytest.raises(InvalidEntry, match=message):
        editor.edit(ANA, "refund-request", changes, "break it")
    assert editor.current("refund-request").version == 1


def test_an_answer_rendered_longer_than_a_discord_message_is_refused(tmp_path: Path) -> None:
    # The shipped template adds nothing to an answer the pack holds to 1,800 characters; a
    # template with a frame as long as the answer shows the rendered limit at work.
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "answer.j2").write_text("{{ entry.answer | markdown }}\n" * 2,
                                                 encoding="utf-8")
    renderer = Renderer(tmp_path)
    check_renders(FaqEntry("long-answer", "Long", "faq", "x" * 990), renderer)
    with pytest.raises(InvalidEntry, match="2401 characters as a discord message; the limit"):
        check_renders(FaqEntry("long-answer", "Long", "faq", "x" * 1200), renderer)


def test_a_bad_id_is_refused(editor: FaqEditor) -> None:
    with pytest.raises(InvalidEntry, match="id 'Late Fees!' must be"):
        editor.add(ANA, FaqEntry("Late Fees!", "T", "faq", "A"), "new")


def test_a_taken_id_is_refused_even_when_removed(editor: FaqEditor) -> None:
    editor.remove(ANA, "refund-request", "gone")
    with pytest.raises(InvalidEntry, match=r"taken \(removed: `faq restore`"):
        editor.add(ANA, FaqEntry("refund-request", "T", "faq", "A"), "again")


def test_a_phrasing_of_another_entry_is_flagged_and_not_saved(editor: FaqEditor) -> None:
    with pytest.raises(InvalidEntry, match="already belongs to `refund-request`"):
        editor.add_phrasings(ANA, "escrow-basics", ["Escrow refund"], "looks related")
    with pytest.raises(InvalidEntry, match="already belongs to `refund-request`"):
        editor.add(ANA, dataclasses.replace(NEW, alternates=("escrow refund?",)), "new")
    assert editor.current("escrow-basics").version == 1


def test_phrasings_an_entry_already_has_are_skipped_and_none_new_is_no_change(
    editor: FaqEditor,
) -> None:
    assert editor.add_phrasings(ANA, "refund-request", ["escrow refund", "refund please"],
                                "inbox") == 2
    assert editor.current("refund-request").entry.alternates[-1] == "refund please"
    with pytest.raises(InvalidEntry, match="Nothing to change"):
        editor.add_phrasings(ANA, "refund-request", ["Refund please!"], "inbox")


def test_a_change_that_changes_nothing_makes_no_version(editor: FaqEditor) -> None:
    title = editor.current("refund-request").entry.title
    with pytest.raises(InvalidEntry, match="already says that"):
        editor.edit(ANA, "refund-request", EntryChanges(title=title), "same")
    with pytest.raises(InvalidEntry, match="not removed"):
        editor.restore(ANA, "refund-request", "back")


def test_a_removed_entry_must_be_restored_before_it_is_edited(editor: FaqEditor) -> None:
    editor.remove(ANA, "refund-request", "gone")
    with pytest.raises(InvalidEntry, match="faq restore refund-request"):
        editor.add_phrasings(ANA, "refund-request", ["money back"], "x")


def test_unknown_entries_and_versions_are_named(editor: FaqEditor) -> None:
    with pytest.raises(NotFound, match="no entry `nope`"):
        editor.history("nope")
    with pytest.raises(NotFound, match="no version 9"):
        editor.revert(ANA, "refund-request", 9, "x")
    with pytest.raises(NotFound, match="no phrasing 'never said'"):
        editor.remove_phrasing(ANA, "refund-request", "never said", "x")


def test_a_reason_is_one_line_and_required(editor: FaqEditor) -> None:
    with pytest.raises(InvalidEntry, match="Give a reason"):
        editor.remove(ANA, "refund-request", "  ")
    editor.remove(ANA, "refund-request", "outdated\nsince the new policy")
    assert editor.current("refund-request").reason == "outdated since the new policy"


def test_search_finds_entries_holding_every_word_removed_ones_too(editor: FaqEditor) -> None:
    editor.remove(ANA, "refund-request", "gone")
    found = {v.entry.id: v.removed for v in editor.search("escrow REFUND request")}
    assert found.get("refund-request") is True


def test_control_characters_are_dropped_from_saved_text(editor: FaqEditor) -> None:
    editor.edit(ANA, "refund-request", EntryChanges(answer="Red\x1b[31m text\r\nnext"), "x")
    assert editor.current("refund-request").entry.answer == "Red[31m text\nnext"


def test_titles_phrasings_and_tags_are_saved_as_single_lines_of_visible_text(
    editor: FaqEditor,
) -> None:
    messy = dataclasses.replace(NEW, title="Late\u200b fees\nFAKE-ID  faq  Injected",
                                alternates=("late\u200bfee?", "late\x1b[31m fee\npenalty"),
                                tags=("fees", "fees", "money"),
                                answer="None.\n\n- really\u200b none\udce9")
    editor.add(ANA, messy, "new")
    saved = editor.current("late-fees").entry
    assert saved.title == "Late fees FAKE-ID faq Injected"
    assert saved.alternates == ("latefee?", "late[31m fee penalty")
    assert saved.tags == ("fees", "money")
    assert saved.answer == "None.\n\n- really none"


def test_an_answer_that_would_notify_a_whole_channel_is_refused(editor: FaqEditor) -> None:
    for mention in ("@everyone", "@here", "<!channel>", "<@U123>", "<@&42>"):
        with pytest.raises(InvalidEntry, match="would notify people"):
            editor.add(ANA, dataclasses.replace(NEW, answer=f"Ask {mention} first."), "new")
    assert editor.add(ANA, dataclasses.replace(NEW, answer="Mail help@example.com."), "new") == 1


def test_a_blank_or_invisible_phrasing_is_refused_with_how_to_give_one(editor: FaqEditor) -> None:
    for blank in ("   ", "\u200b", "\x1b"):
        with pytest.raises(InvalidEntry, match="Give the words members ask it with"):
            editor.add_phrasings(ANA, "refund-request", [blank], "x")
    assert len(versions_of(editor).history("refund-request")) == 1


def test_searching_for_nothing_or_diffing_an_unknown_entry_says_what_is_wrong(
    editor: FaqEditor,
) -> None:
    with pytest.raises(InvalidEntry, match="Give the words to search for"):
        editor.search("   ")
    with pytest.raises(NotFound, match="There is no entry `nope`"):
        editor.diff("nope", 1, 2)


def test_a_user_group_mention_is_refused_with_the_other_mentions(editor: FaqEditor) -> None:
    with pytest.raises(InvalidEntry, match="would notify people"):
        editor.add(ANA, dataclasses.replace(NEW, answer="Ask <!subteam^S0123|@mods> first."),
                   "new")


def test_direction_changing_and_invisible_characters_never_reach_a_saved_answer(
    editor: FaqEditor,
) -> None:
    tricky = dataclasses.replace(NEW, title="Late \u202efees", answer=(
        "Pay \u202eyadot\u202c on time.\u2066\u200b\n- a family 👨\u200d👩\u200d👧 pays too"))
    editor.add(ANA, tricky, "new")
    saved = editor.current("late-fees").entry
    assert saved.title == "Late fees"
    assert saved.answer == "Pay yadot on time.\n- a family 👨\u200d👩\u200d👧 pays too"
