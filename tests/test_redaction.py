"""What is blanked out of members' words before they are kept."""

from __future__ import annotations

import pytest

from bot.redaction import holds_code, scrubbed, without_codes


@pytest.mark.parametrize("typed", [
    "code ABCD2EFG fails", "ABCD2EFGH", "K7PQMR2XWN2", "K7PQ-MR2X-WN", "k7pqm r2xwn",
    "link XZTEH CGR96 now", "ABCDE-FGHJK", "my K7PQ MR2X WN",
])
def test_anything_that_could_be_a_link_code_is_blanked_out_in_any_grouping(typed: str) -> None:
    assert holds_code(typed)
    kept = without_codes(typed)
    assert "[code removed]" in kept
    assert not any(part in kept.upper() for part in ("2EFG", "R2X", "CGR9", "FGHJK", "MR2X"))


@pytest.mark.parametrize("plain", [
    "when will my payment be available", "my milestone 2 was funded", "send 25 usd back",
    "understand the escrow", "is an mp3 file a deliverable", "due 2026-11-25",
])
def test_ordinary_questions_hold_no_code(plain: str) -> None:
    assert not holds_code(plain)
    assert without_codes(plain) == plain


def test_plain_words_next_to_a_code_stay() -> None:
    assert without_codes("the K7PQM R2XWN thanks") == "the [code removed] thanks"


def test_clearly_personal_details_are_blanked_out_and_the_question_stays() -> None:
    text = ("Bob owes me 9876.54 since 2026-11-02, mail bob.s+x@example.co.uk or call "
            "(555) 123-4567, iban DE89 3704 0044 0532 0130 00 or DE89370400440532013000, "
            "card 4111-1111-1111-1111, order 12345678, see https://example.com/help/escrow "
            "and https://pay.example.com/reset?token=abc123 or https://x.io/s/k8J2mQ9pLx4vN7")
    kept = scrubbed(text)
    for secret in ("bob.s", "example.co.uk", "123-4567", "DE89", "0532", "4111", "12345678",
                   "token", "abc123", "k8J2mQ9pLx4vN7"):
        assert secret not in kept, secret
    for stays in ("Bob owes me 9876.54 since 2026-11-02", "https://example.com/help/escrow",
                  "[email removed]", "[account removed]", "[number removed]", "[link removed]"):
        assert stays in kept, stays


@pytest.mark.parametrize("hostile", [
    "blah " * 20_000, "AB" * 50_000, "1-" * 50_000, "K7PQ-" * 20_000, "a." * 50_000,
    "https://x.io/" + "a" * 100_000, "x" * 100_000 + "@", "+1 " * 30_000,
])
def test_a_hostile_100kb_post_is_scrubbed_whole_and_its_end_still_checked(hostile: str) -> None:
    kept = scrubbed(hostile + " mail me@example.com")
    assert kept.endswith("mail [email removed]")
