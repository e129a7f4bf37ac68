"""Text normalization for matching: cleaning, sentence units, tokens and stems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from itertools import chain

import snowballstemmer

# Matching looks at no more than this much of a message; the rest of a 100 KB paste is story.
MATCH_CHAR_LIMIT = 2000
# A long post is scored as a whole and sentence by sentence; beyond this many units, the rest
# adds latency and little signal.
MAX_UNITS = 6

_TOKEN = re.compile(r"[a-z0-9]++(?:'[a-z]++)?")  # possessive: no backtracking, same tokens
BREAK = "\x00"  # ends each text in a `token_stream`; no token holds it
_TOKEN_OR_BREAK = re.compile(f"{_TOKEN.pattern}|{BREAK}")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+|\s+-\s+|(?<=[;:])\s+")
_CONTRACTIONS = {
    "can't": "can not", "cannot": "can not", "won't": "will not", "don't": "do not",
    "doesn't": "does not", "didn't": "did not", "isn't": "is not", "aren't": "are not",
    "wasn't": "was not", "weren't": "were not", "haven't": "have not", "hasn't": "has not",
    "hadn't": "had not", "shouldn't": "should not", "wouldn't": "would not",
    "couldn't": "could not", "i'm": "i am", "i've": "i have", "i'd": "i would",
    "i'll": "i will", "it's": "it is", "what's": "what is", "who's": "who is",
    "there's": "there is", "he's": "he is", "she's": "she is", "they're": "they are",
    "you're": "you are", "we're": "we are", "let's": "let us",
    # the same, as members type them without the apostrophe
    "cant": "can not", "wont": "will not", "dont": "do not", "doesnt": "does not",
    "didnt": "did not", "isnt": "is not", "arent": "are not", "wasnt": "was not",
    "havent": "have not", "hasnt": "has not", "shouldnt": "should not", "wouldnt": "would not",
    "couldnt": "could not", "im": "i am", "ive": "i have", "whats": "what is",
}

# Words that carry no topic: articles, auxiliaries, fillers and pleasantries. Question words,
# negations and the possessive "my" stay: they separate "how to check a milestone" from "was my
# milestone funded".
STOPWORDS = frozenset(
    """a an the and or but so if then than of to in on at by for from with about as into onto
    is are was were be been being am do does did done doing have has had having will would
    shall should can could may might must it its this that these those there here i me we us
    you your yours he him his she her they them their our ours very really just also still
    already even please pls plz thanks thank thx hi hello hey guys folks everyone anyone
    someone somebody quick want wanted
    any some much many lot lots bit kind sort like well okay ok oh yes yeah
    something anything everything appreciate appreciated""".split()
)

_stemmer = snowballstemmer.stemmer("english")
# Unicode categories `clean` drops: control, format (zero-width), surrogate, private, unassigned.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
ZERO_WIDTH_JOINER = "\u200d"
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # ASCII's Cc, less \t and \n


def clean(text: str) -> str:
    """Unicode-normalize, drop control and zero-width characters, collapse white space."""
    text = _printable(unicodedata.normalize("NFKC", text))
    text = re.sub(r"[ \t\r\f\v]+", " ", text)
    text = re.sub(r"\n\s*", "\n", text)
    return text.strip()


def hidden_character(text: str) -> str | None:
    """The first character of `text` that is invisible or turns the text around (a Unicode
    format character: U+202E and the other direction controls, zero-width spaces, the soft
    hyphen), if any. The zero-width joiner of emoji is not one."""
    if text.isascii():
        return None
    return next((ch for ch in text if ch != ZERO_WIDTH_JOINER
                 and unicodedata.category(ch) == "Cf"), None)


def is_utf8(text: str) -> bool:
    """Whether the text encodes to UTF-8: it holds no lone surrogate (what Python makes of
    bytes that were not UTF-8, or of a JSON escape that is no character)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def one_line(text: str) -> str:
    """`text` cleaned, on one line: line breaks become spaces."""
    return " ".join(clean(text).split())


def _printable(text: str) -> str:
    """`text` without the characters of `_DROPPED` categories, except newline and tab.

    Messages are nearly always ASCII, where only the control characters can go: one regex
    instead of a category look-up per character.
    """
    if text.isascii():
        return _ASCII_CONTROL.sub("", text)
    return "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in _DROPPED
    )


def sentences(text: str) -> tuple[str, list[str]]:
    """The part of a message that is matched (cleaned, cut at `MATCH_CHAR_LIMIT`) and its
    sentences, in order. Sentences split at white space and dashes, so the text's words are
    its sentences' words, end to end."""
    text = clean(text)[:MATCH_CHAR_LIMIT]
    return text, [p.strip() for p in _SENTENCE_END.split(text) if p and p.strip()]


def units(text: str, pieces: list[str]) -> list[str]:
    """The pieces of a message that are scored: the whole `text`, then its sentences
    `pieces` (both from `sentences`), up to `MAX_UNITS`.

    Members bury the question in a story; scoring each sentence lets the question win.
    """
    # Questions first: when a post is long, its question sentences are the ones to keep.
    questions = [p for p in pieces if p.endswith("?")]
    others = [p for p in pieces if not p.endswith("?")]
    result = [text] if text else []
    for piece in questions + others:
        if piece != text and piece not in result:
            result.append(piece)
    return result[:MAX_UNITS]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The snowball stem of one lowercase word."""
    return str(_stemmer.stemWord(word))


def tokens(text: str) -> list[str]:
    """Lowercase tokens as typed: `expand` turns each into the words it stands for."""
    return _TOKEN.findall(_lowered(text))


def token_stream(texts: Iterable[str]) -> list[str]:
    """The tokens of many texts, each text's followed by `BREAK`: one regex pass for a whole
    pack. (A `BREAK` inside a text is no token character; a space does as well there.)"""
    joined = "".join(text.replace(BREAK, " ") + BREAK for text in texts)
    return _TOKEN_OR_BREAK.findall(_lowered(joined))


def phrasing_key(phrase: str) -> str:
    """A wording as compared for sameness: case, spacing and end punctuation ignored."""
    return " ".join(phrase.casefold().split()).strip(" ?!.")


def _lowered(text: str) -> str:
    """Lowercase, typographic and backtick apostrophes made plain."""
    return text.lower().replace("\u2019", "'").replace("`", "'")


@lru_cache(maxsize=65536)
def expand(token: str) -> tuple[str, ...]:
    """The words one token stands for: contractions expanded, none for a number. Cached, as
    the same few tokens come up in message after message."""
    if token.isdigit():  # "milestone 2", "7 years ago": numbers name things, not topics
        return ()
    expanded = _CONTRACTIONS.get(token)
    if expanded:
        return tuple(expanded.split())
    if token.endswith("'s"):
        return (token[:-2],)
    return (token.replace("'", ""),)


def words(text: str) -> list[str]:
    """Lowercase words with contractions expanded; no stopword removal, no stemming."""
    return list(chain.from_iterable(map(expand, tokens(text))))


def stems(text: str) -> list[str]:
    """Content stems of `text`, in order: lowercase, contractions expanded, stopwords dropped."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
