"""Replies render per flavor; user text is escaped, never evaluated."""

from __future__ import annotations

from typing import Any

import pytest

from bot.messages import Reply
from bot.rendering import FLAVORS, Renderer
from bot.resources import templates_dir

SAMPLE_CONTEXTS: dict[str, dict[str, Any]] = {
    "answer": {"entry": {"id": "x", "title": "T", "answer": "**Bold** lead\n\n- a point",
                         "kind": "faq"}},
    "suggest": {"choices": [{"number": 1, "id": "a", "title": "First"},
                            {"number": 2, "id": "b", "title": "Second"}]},
    "decline": {},
    "empty": {},
    "courtesy": {"kind": "greeting"},
    "error": {"message": "There is no answer with the id 'nope'."},
    "oops": {},
    "help": {"answer": "I answer questions.", "commands": [{"usage": "help", "summary": "this"}]},
    "handoff": {"queued": False, "answer": "A moderator follows up."},
    "faq_list": {"entries": [{"id": "a", "title": "First", "kind": "faq"}]},
    "contract_status": {"contract": {
        "id": "C-1", "title": "Logo", "type": "fixed", "status": "active", "role": "freelancer",
        "currency": "USD", "hourly_rate": None, "invoice": None, "other": "Northwind <!here>",
        "recent_invoices": [],
        "milestones": [{"seq": s, "title": "Files", "amount": "150.00", "currency": "USD",
                        "status": s_name, "stage": stage, "due": None,
                        "funded_at": "2026-11-01T00:00:00+00:00", "submitted_at": None,
                        "approved_at": None, "available_at": "2026-11-20T00:00:00+00:00"}
                       for s, (s_name, stage) in enumerate([
                           ("not_funded", None), ("funded", None), ("submitted", None),
                           ("changes_requested", None), ("approved", None),
                           ("paid", "pending"), ("paid", "available"), ("refunded", None),
                           ("cancelled", None)], 1)]},
        "follow_up": {"id": "escrow-basics", "title": "What escrow is"}},
    "milestone_status": {"items": [
        {"contract": {"id": "C-1", "title": "Logo", "role": role},
         "milestone": {"seq": 2, "title": "Files", "amount": "150.00", "currency": "EUR",
                       "status": "submitted", "stage": None, "due": None,
                       "funded_at": "2026-11-01T00:00:00+00:00",
                       "submitted_at": "2026-11-03T00:00:00+00:00", "approved_at": None,
                       "available_at": None}} for role in ("freelancer", "client")]},
    "forget_confirm": {"demo": True},
    "handoff_list": {"total": 3, "handoffs": [
        {"number": 7, "at": "2026-11-25T10:00:00+00:00", "user": "slack:T1/U1",
         "platform": "slack", "question": "my client <!here> vanished"}]},
    "handoff_done": {"action": "reply", "number": 7, "kept": ["added the question to",
                                                           "refund-request"]},
    "handoff_reply": {"question": "my client vanished", "answer": "Open a *dispute* <@U1>."},
    "contract_list": {"account": "acc-a", "ambiguous": True, "contracts": [
        {"id": "C-1", "title": "Logo", "type": "fixed", "status": "active", "role": "client",
         "invoice": None, "highlights": [
             {"seq": 1, "title": "Files", "amount": "150.00", "currency": "USD",
              "status": "funded", "stage": None, "due": None, "funded_at": None,
              "submitted_at": None, "approved_at": None, "available_at": None}]},
        {"id": "C-2", "title": "Books", "type": "hourly", "status": "active", "role": "client",
         "highlights": [], "invoice": {
             "week_start": "2026-11-02T00:00:00+00:00", "hours": "7.5", "amount": "225.00",
             "currency": "USD", "status": "in_review",
             "available_at": "2026-11-18T00:00:00+00:00"}}]},
    "contract_unknown": {"named": "C-404"},
    "not_linked": {"answer": "Open **My Jobs**."},
    "sent_privately": {},
    "linked": {"account": "acc-a"},
    "link_refused": {"locked_until": None, "attempts_left": 3},
    "whoami": {"identity": "slack:T1/U1", "account": "acc-a", "notify": True},
    "share_failed": {},
    "try_again": {},
    "relay_refused": {},
    "inbox_group": {"key": 12, "text": "can I get a refund", "count": 3,
                    "others": ["refund please"], "more": 2},
    "inbox_pick": {"id": 4, "text": "money back?", "entry_id": "refund-request", "count": 2},
    "unlinked": {"was_linked": True},
    "forgotten": {"demo": False},
    "notifications_setting": {"linked": True, "on": False},
    "faq_saved": {"action": "revert", "entry_id": "refund-request", "version": 4,
                  "versions": [2]},
    "faq_history": {"entry_id": "refund-request", "versions": [
        {"version": 2, "at": "2026-11-25T10:00:00+00:00", "author": "slack:T1/U1",
         "reason": "typo", "removed": True},
        {"version": 1, "at": "2026-11-20T10:00:00+00:00", "author": "knowledge sync",
         "reason": "seeded from the knowledge pack", "removed": False}]},
    "faq_diff": {"entry_id": "refund-request", "old": 1, "new": 2,
                 "lines": ["--- refund-request version 1", "+++ refund-request version 2",
                           "@@ -1 +1 @@", "-title: Old", "+title: New"]},
    "faq_search": {"query": "refund", "entries": [
        {"id": "refund-request", "title": "Refunds", "kind": "faq", "version": 3,
         "removed": False}]},
    "notification": {"event": "milestone_funded", "role": "freelancer",
                     "contract": {"id": "C-1", "title": "Logo and brand kit"},
                     "milestone": {"seq": 2, "title": "Final files", "amount": "150.00",
                                   "currency": "USD", "status": "funded", "stage": None,
                                   "due": None, "funded_at": "2026-11-25T10:00:00+00:00",
                                   "submitted_at": None, "approved_at": None,
                                   "available_at": None},
                     "invoice": None},
    "inbox": {"total_groups": 3, "total_questions": 9, "total_candidates": 2, "window": 5000,
              "groups": [
        {"key": 12, "text": "how do I withdraw to {{ paypal }}?", "count": 6,
         "last_at": "2026-11-25T10:00:00+00:00", "others": ["withdraw to paypal <!here>"],
         "more": 2, "suggested": ["payment-pending"]},
        {"key": 40, "text": "tell me a joke", "count": 1, "last_at": "2026-11-24T10:00:00+00:00",
         "others": [], "more": 0, "suggested": []}],
        "candidates": [{"id": 3, "text": "where is my money @everyone",
                        "entry_id": "payment-pending", "count": 2}]},
    "inbox_done": {"action": "attach", "number": 12, "entry_id": "payment-pending",
                   "version": 5, "added": 3, "too_long": 1, "less_asked": 2, "max_new": 12,
                   "taken": [{"text": "paypal {{ x }}", "entry_id": "payment-stages"}],
                   "closed": 6, "unanswered": ["pay in {% bitcoin %}"]},
    "rated": {"helpful": False},
    "dm_closed": {},
    # Slack's and Discord's own versions of these read different values: the samples hold both.
    "shared": {"user": "U1", "name": "ana @everyone",
               "entry": {"id": "x", "title": "T", "answer": "**B**", "kind": "faq"}},
    "moderator_question": {"asker": "U1", "link": "https://test.slack.com/archives/C1/p1",
                           "mention": "<@1>", "name": "ana", "jump": "https://x/1",
                           "question": "my client left\n@here help"},
    "moderator_reply": {"text": "Write to support @everyone",
                        "files": ["https://cdn.discordapp.com/attachments/1/2/a_b.png"]},
    "relay_unreadable": {},
    "relay_failed": {},
    "relay_withdrawn": {},
    "handoff_withdrawn": {},
    "button_expired": {},
    "form_expired": {"typed": ["Late fees", "**No** late fee @here"]},
    "slow_down": {},
    "form_refused": {"message": "the id `x` is taken", "typed": [
        {"label": "Answer", "value": "**Bold** @everyone"}]},
    "stats": {"days": 30, "totals": {"questions": 9, "answered": 5, "suggested": 2,
                                     "declined": 2},
              "rows": [{"id": "escrow", "asked": 4, "answered": 3, "helpful": 50},
                       {"id": "x", "asked": 1, "answered": 1, "helpful": None}],
              "review": [{"id": "escrow", "title": "Escrow", "ratings": 6, "helpful": 33}]},
}


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(templates_dir())


def test_every_template_of_every_flavor_has_a_sample_and_renders(renderer: Renderer) -> None:
    for flavor in FLAVORS:
        names = renderer.template_names(flavor)
        assert set(names) == set(SAMPLE_CONTEXTS), flavor
        for name in names:
            text = renderer.render(Reply(name, SAMPLE_CONTEXTS[name]), flavor)
            assert text.strip(), f"{flavor}/{name} rendered nothing"


def test_a_template_missing_a_value_fails_loudly(renderer: Renderer) -> None:
    with pytest.raises(Exception, match="choices"):
        renderer.render(Reply("suggest", {}), "text")


def test_faq_markdown_becomes_each_platforms_markup(renderer: Renderer) -> None:
    reply = Reply("answer", SAMPLE_CONTEXTS["answer"])
    assert renderer.render(reply, "text").startswith("Bold lead")
    assert renderer.render(reply, "slack").startswith("*Bold* lead")
    assert renderer.render(reply, "discord").startswith("**Bold** lead")


def test_template_syntax_in_user_text_is_printed_not_run(renderer: Renderer) -> None:
    reply = Reply("error", {"message": "{{ 7*7 }} {% for x in y %}"})
    assert renderer.render(reply, "text") == "{{ 7*7 }} {% for x in y %}"


def test_user_text_is_escaped_for_slack_and_discord(renderer: Renderer) -> None:
    reply = Reply("error", {"message": "<!channel> & *bold* @everyone"})
    assert renderer.render(reply, "slack") == "&lt;!channel&gt; &amp; *bold* @everyone"
    discord = renderer.render(reply, "discord")
    assert "@everyone" not in discord and r"\*bold\*" in discord


def test_terminal_escape_sequences_in_user_text_do_not_reach_the_console(
    renderer: Renderer,
) -> None:
    reply = Reply("error", {"message": "red\x1b[31m text\x07"})
    assert renderer.render(reply, "text") == "red[31m text"


def test_a_moderator_who_acted_second_is_told_another_had_already_done_it(
    renderer: Renderer,
) -> None:
    done = dict(SAMPLE_CONTEXTS["inbox_done"], closed=0, version=None, added=0)
    assert "Another moderator had already taken these questions out of the inbox." in (
        renderer.render(Reply("inbox_done", done), "text"))
    pick = dict(done, action="reject", text="where is my money")
    assert "Another moderator had already handled this pick." in (
        renderer.render(Reply("inbox_done", pick), "text"))
