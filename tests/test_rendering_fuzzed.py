"""Rendering any text a member or moderator typed: printed as text, escaped, never run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hostile_input import messages
from hypothesis import given
from hypothesis import strategies as st

from bot.messages import Reply
from bot.rendering import ESCAPES, FLAVORS, Renderer
from bot.resources import templates_dir

RENDERER = Renderer(templates_dir())
PLACEHOLDER = "Placeholder"
INBOX_GROUP = {"key": 12, "count": 2, "last_at": "2026-11-25T10:00:00+00:00", "others": [],
               "more": 0, "suggested": []}

# Replies that print text someone typed, with that text put in by `typed`.
PRINTING: dict[str, Callable[[str], dict[str, Any]]] = {
    "error": lambda typed: {"message": typed},
    "contract_unknown": lambda typed: {"named": typed},
    "suggest": lambda typed: {"choices": [{"number": 1, "id": "a", "title": typed}]},
    "faq_list": lambda typed: {"entries": [{"id": "a", "title": typed, "kind": "faq"}]},
    "faq_search": lambda typed: {"query": typed, "entries": []},
    "whoami": lambda typed: {"identity": typed, "account": None, "notify": False},
    "inbox": lambda typed: {"total_groups": 1, "total_questions": 2, "total_candidates": 0,
                            "window": 0, "groups": [{**INBOX_GROUP, "text": typed}],
                            "candidates": []},
}


@given(template=st.sampled_from(sorted(PRINTING)), flavor=st.sampled_from(FLAVORS),
       typed=messages())
def test_typed_text_is_printed_escaped_for_its_flavor_and_never_run_as_a_template(
    template: str, flavor: str, typed: str,
) -> None:
    context = PRINTING[template]
    rendered = RENDERER.render(Reply(template, context(typed)), flavor)
    blank = RENDERER.render(Reply(template, context(PLACEHOLDER)), flavor)
    escape = ESCAPES[flavor]
    # The text is inert: the reply is the same reply with the text put in its place, escaped.
    assert rendered == blank.replace(escape(PLACEHOLDER), escape(typed)).strip()
    if flavor == "slack":
        assert "<" not in escape(typed) and ">" not in escape(typed)  # no <!channel>, no links
    if flavor == "discord":
        assert "@everyone" not in rendered and "@here" not in rendered
    if "\u202e" in typed or "\x1b" in typed:
        assert "\u202e" not in rendered and "\x1b" not in rendered
