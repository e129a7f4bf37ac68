"""Hypothesis strategies for what a hostile or careless member, moderator or sender types."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

# Pieces that have broken parsers and renderers elsewhere: template and mention syntax,
# invisible and bidirectional characters, terminal escapes, lone surrogates, full-width and
# look-alike command words, quotes, options, code-shaped and number-shaped words.
TRICKY = (
    "{{ 7*7 }}", "{{ config }}", "{% for x in range(9) %}", "{# #}", "{%", "}}", "<!channel>",
    "<!subteam^S123>", "<@U123>", "<#C1|x>", "@everyone", "@here", "&amp;", "<script>",
    "\u202e", "\u2066", "\u200b", "\u200d", "\ufeff", "\x00", "\x1b[31m", "\x7f", "\r\n",
    "\u2028", "\udc80", "\ud800", "\uff4c\uff49\uff4e\uff4b", "link", "/link", "faq", "/faq",
    "inbox", "help", "moderator", "contracts", "contract status", "forget me", "notifications",
    "--answer", "--answer=-", "-", "--as", '"', "\u201c", "\u201d", "'", "\\", "C-1001",
    "K7PQM-R2XWN", "K7PQMR2XWN", "1e999", "NaN", "-0", "99999999999999999999", "0x10", "\u0663",
    "\U0001d518\U0001d52b\U0001d526", "e\u0301", "\u00df", "\u0130", "\t", " ", "\n", "?", "!",
    "...",
)


def fragments(extra: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """One piece of a message: a tricky piece, a word of `extra`, or any short text."""
    pieces = [st.sampled_from(TRICKY), st.text(max_size=12)]
    if extra:
        pieces.append(st.sampled_from(extra))
    return st.one_of(*pieces)


def messages(extra: tuple[str, ...] = (), max_pieces: int = 30) -> st.SearchStrategy[str]:
    """Any text: arbitrary Unicode, or pieces joined by spaces or by nothing."""
    joined = st.tuples(st.lists(fragments(extra), max_size=max_pieces),
                       st.sampled_from([" ", "", "\n"])).map(lambda p: p[1].join(p[0]))
    return st.one_of(st.text(max_size=400), joined)


def json_values(max_leaves: int = 25) -> st.SearchStrategy[Any]:
    """Any JSON value, with tricky strings and numbers among its leaves."""
    leaves = st.one_of(
        st.none(), st.booleans(), st.integers(), st.integers(min_value=-10**30, max_value=10**30),
        st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=40),
        st.sampled_from(TRICKY))
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.lists(children, max_size=5),
            st.dictionaries(st.one_of(st.text(max_size=12), st.sampled_from(TRICKY)), children,
                            max_size=5)),
        max_leaves=max_leaves)
