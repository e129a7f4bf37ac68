"""What is blanked out of a member's words before they are kept: anything shaped like a link
code (the code alphabet lives here, so that every capability can recognise one).
"""

from __future__ import annotations

import re

# No 0/O or 1/I: codes are read off a screen and typed.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# A link code as a member may type it: two groups of five joined by a dash, or ten letters of
# the alphabet together or split by a space holding a digit (English words seldom do).
TYPED_CODE = re.compile(
    rf"(?<![A-Za-z0-9])(?:[{CODE_ALPHABET}]{{5}}-[{CODE_ALPHABET}]{{5}}"
    rf"|(?=[{CODE_ALPHABET} ]{{0,10}}[2-9])[{CODE_ALPHABET}]{{5}} ?[{CODE_ALPHABET}]{{5}})"
    rf"(?![A-Za-z0-9])",
    re.IGNORECASE,
)


def without_codes(text: str) -> str:
    """`text` with anything that may be a link code blanked out, for keeping it."""
    return TYPED_CODE.sub("[code removed]", text)
