"""BERT's uncased WordPiece tokenizer, as the sentence-embedding model was trained with it.

The model package ships only the ONNX graph, so the vocabulary travels with forumbot
(`minilm-vocab.txt`: the 30,522 tokens of all-MiniLM-L6-v2's `tokenizer.json`, Apache-2.0).
The steps are those of Hugging Face's `BertNormalizer` + `BertPreTokenizer` + `WordPiece`:
drop control characters, space out CJK ideographs, strip accents, lowercase, split on white
space and punctuation, then split each word greedily into the longest known pieces. On the
pack, the evaluation sets and the answers it gives the same ids as the `tokenizers` library;
it differs only on characters newer than that library's Unicode tables, and it reads a
literal "[CLS]" typed by a member as text, not as the special token.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

VOCABULARY = Path(__file__).resolve().parent / "minilm-vocab.txt"
CLS, SEP, UNK = "[CLS]", "[SEP]", "[UNK]"
MAX_WORD_CHARS = 100  # a longer "word" is one unknown token, as in BERT
_CJK = ((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
        (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F))


def _is_cjk(code: int) -> bool:
    return any(low <= code <= high for low, high in _CJK)


def _is_punctuation(char: str) -> bool:
    """ASCII symbols count as punctuation for BERT, as do Unicode's P* categories."""
    if char.isascii():
        return not char.isalnum() and 33 <= ord(char) <= 126
    return unicodedata.category(char).startswith("P")


def basic_words(text: str) -> list[str]:
    """`text` cleaned, lowercased without accents, and split into words and punctuation."""
    spaced: list[str] = []
    for char in text:
        code = ord(char)
        if code in (0, 0xFFFD):
            continue
        if char.isspace():
            spaced.append(" ")
        elif unicodedata.category(char).startswith("C"):
            continue
        elif _is_cjk(code):
            spaced.append(f" {char} ")
        else:
            spaced.append(char)
    decomposed = unicodedata.normalize("NFD", "".join(spaced))
    folded = "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()
    words: list[str] = []
    for chunk in folded.split():
        start = 0
        for i, char in enumerate(chunk):
            if _is_punctuation(char):
                if i > start:
                    words.append(chunk[start:i])
                words.append(char)
                start = i + 1
        if start < len(chunk):
            words.append(chunk[start:])
    return words


class WordPiece:
    """Text to the model's token ids: `[CLS]`, the pieces, `[SEP]`, cut to `max_tokens`."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self._ids = vocabulary
        self._cls, self._sep, self._unk = vocabulary[CLS], vocabulary[SEP], vocabulary[UNK]

    @classmethod
    def from_file(cls, path: Path = VOCABULARY) -> WordPiece:
        """One token per line, its id the line number (BERT's `vocab.txt`)."""
        tokens = path.read_text(encoding="utf-8").splitlines()
        return cls({token: number for number, token in enumerate(tokens)})

    def _pieces(self, word: str) -> list[int]:
        if len(word) > MAX_WORD_CHARS:
            return [self._unk]
        pieces: list[int] = []
        start = 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self._ids.get(piece)
                if found is not None:
                    pieces.append(found)
                    start = end
                    break
            else:
                return [self._unk]  # a word with an unknown part is one unknown token
        return pieces

    def encode(self, text: str, max_tokens: int) -> list[int]:
        """The ids of `text` between `[CLS]` and `[SEP]`, at most `max_tokens` in all."""
        ids = [self._cls]
        for word in basic_words(text):
            ids.extend(self._pieces(word))
            if len(ids) >= max_tokens - 1:
                break
        return [*ids[: max_tokens - 1], self._sep]
