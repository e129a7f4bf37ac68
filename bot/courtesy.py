"""Messages that are only courtesy: a greeting, thanks, an "ok" or a goodbye.

They are not questions: the assistant answers them in kind, without offering to pass them to
a moderator, and keeps them out of the question log (and so out of the moderators' inbox).
A message with anything else in it ("thanks, and who sets the milestones?", "not helpful",
"hi, my payment is pending") is a question as any other.
"""

from __future__ import annotations

from enum import StrEnum

from bot.text import tokens


class Courtesy(StrEnum):
    """What a courtesy message says (the reply's `kind`)."""

    THANKS = "thanks"
    GREETING = "greeting"
    OK = "ok"  # an acknowledgement or a goodbye


MAX_WORDS = 8  # longer messages say more than a courtesy
MAX_CHARS = 200  # longer is never eight words of courtesy: a 100 KB paste is not tokenized here

# The words that make a message a courtesy, by what it says; thanks outrank a greeting
# ("hi, thanks!"), and both an acknowledgement.
_SAYS = {
    Courtesy.THANKS: """thanks thank thx ty tysm tyvm cheers appreciate appreciated helpful
                        helped""",
    Courtesy.GREETING: "hi hello hey hiya howdy greetings morning afternoon evening",
    Courtesy.OK: """ok okay k kk alright gotcha understood noted perfect great awesome cool
                    nice bye goodbye cya night""",
}
_KIND = {word: kind for kind, words in _SAYS.items() for word in words.split()}
# Words that may come with them ("thank you so much", "got it, bye for now", "hi everyone").
_ALONG = frozenset("""you u so much very a lot lots all for the that this it again there
    everyone guys folks bot forumbot man bro mate buddy good and really just got was is that's
    it's now day too ya see later oh well have""".split())


def courtesy(text: str) -> Courtesy | None:
    """What `text` says when it is only courtesy, else None (a question, or nothing)."""
    if len(text) > MAX_CHARS:
        return None
    words = tokens(text)  # a number is a word no courtesy has
    if not words or len(words) > MAX_WORDS:
        return None
    kinds: set[Courtesy] = set()
    for word in words:
        kind = _KIND.get(word)
        if kind is not None:
            kinds.add(kind)
        elif word not in _ALONG:
            return None
    return next((k for k in Courtesy if k in kinds), None)
