"""What the assistant logs of each question, pick and rating, and what it never keeps."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from sqlalchemy import text

from bot.app import App
from bot.assistant import Assistant
from bot.faq.knowledge_pack import KnowledgePack
from bot.faq.policy import Decision, Outcome
from bot.inbox.question_log import AskedQuestion, asked, shareable_text
from bot.messages import Incoming
from tests.fakes import FakeQuestionLog, fake_assistant

ANA = "console:ana"
DECLINED = "How do I withdraw money to PayPal?"
SUGGESTED = "client ended the contract, what about the milestones"
ANSWERED = "Who creates the milestones, me or the client?"
PERSONAL_SUGGESTED = "where is my payment for the logo"


@pytest.fixture
def assistant(pack: KnowledgePack) -> Assistant:
    return fake_assistant(pack)


def log_of(assistant: Assistant) -> FakeQuestionLog:
    assert isinstance(assistant.questions, FakeQuestionLog)
    return assistant.questions


def ask(assistant: Assistant, text: str, *, private: bool = True) -> str:
    return assistant.handle(Incoming(text, ANA, platform="slack", channel="C1",
                                     private=private)).template


def test_declined_and_suggested_questions_are_logged_with_their_words_and_no_identity(
    assistant: Assistant,
) -> None:
    assert ask(assistant, DECLINED, private=False) == "decline"
    assert ask(assistant, SUGGESTED) == "suggest"
    declined, suggested = log_of(assistant).asked
    assert declined == AskedQuestion("slack", False, Outcome.DECLINE, None, (), DECLINED)
    assert (suggested.outcome, suggested.text) == (Outcome.SUGGEST, SUGGESTED)
    assert {"contract-ended-funded", "contract-ended-unfunded"} <= set(suggested.suggestions)
    assert "user" not in {f.name for f in dataclasses.fields(AskedQuestion)}
    assert "ana" not in repr(log_of(assistant).asked)
    assert [q.text for q in log_of(assistant).open_questions(10)] == [SUGGESTED, DECLINED]


def test_answered_questions_are_counted_without_their_words(assistant: Assistant) -> None:
    assert ask(assistant, ANSWERED) == "answer"
    assert log_of(assistant).asked == [
        AskedQuestion("slack", True, Outcome.ANSWER, "milestones-who-sets", (), None)]
    assert log_of(assistant).open_questions(10) == []


@pytest.mark.parametrize("command", [
    "help", "link ABCDE-FGHJK", "/link nonsense words", "faq list", "whoami", "contracts",
    "forget me", "moderator my client vanished", "notifications off", "",
])
def test_commands_are_not_logged_as_questions(assistant: Assistant, command: str) -> None:
    assistant.handle(Incoming(command, ANA))
    assert log_of(assistant).asked == []


@pytest.mark.parametrize("question", [
    "link my account with ABCDE FGHJK please",
    "ABCDE-FGHJK",
    "my code q7rtz2kmnp does not work",
    "XZTEH CGR96",
    "is xzteh cgr96 still good?",
    "code ABCD2EFG fails",
    "ABCD2EFGH",
    "why is K7PQMR2XWN2 refused",
    "K7PQ-MR2X-WN is what I typed",
])
def test_words_that_may_hold_a_link_code_are_never_kept(assistant: Assistant,
                                                        question: str) -> None:
    assistant.handle(Incoming(question, ANA))
    assert [q.text for q in log_of(assistant).asked] == [None]


def test_personal_details_in_a_declined_question_are_blanked_out_before_it_is_kept(
    assistant: Assistant,
) -> None:
    question = ("How do I withdraw 9876.54 to PayPal? I'm Bob Secretname, mail bob@example.com "
                "or call +49 30 1234567, "
                "my iban is DE89370400440532013000, card 4111 1111 1111 1111, see "
                "https://pay.example.com/r?token=s3cr3t")
    assistant.handle(Incoming(question, ANA))
    kept, = [q.text for q in log_of(assistant).asked]
    assert kept is not None
    for secret in ("bob@example.com", "1234567", "DE89", "0532", "4111", "s3cr3t"):
        assert secret not in kept, kept
    assert "[email removed]" in kept and "[account removed]" in kept


@pytest.mark.parametrize("stray", ["1", "-1", "+", "42 !!", "???"])
def test_a_stray_number_or_sign_is_counted_but_never_reaches_the_inbox(assistant: Assistant,
                                                                       stray: str) -> None:
    assistant.handle(Incoming(stray, ANA))
    assert [q.text for q in log_of(assistant).asked] in ([], [None])


def test_a_question_with_a_personal_topic_among_its_choices_keeps_no_words(
    assistant: Assistant,
) -> None:
    assert ask(assistant, PERSONAL_SUGGESTED) == "suggest"
    logged, = log_of(assistant).asked
    assert "my-milestone-status" in logged.suggestions and logged.text is None
    personal = Decision(Outcome.SUGGEST, None, 0.3, ("my-contracts", "escrow-basics"))
    assert asked("console", True, "is my logo job paid", personal).text is None


def test_a_pasted_100kb_post_is_kept_cleaned_and_cut_to_what_the_matcher_read(
    assistant: Assistant,
) -> None:
    post = "{{ 7*7 }} what about \x1b[31mbitcoin\x07 " + "blah " * 20_000
    assistant.handle(Incoming(post, ANA))
    text = log_of(assistant).asked[0].text
    assert text is not None and len(text) == 2000
    assert text.startswith("{{ 7*7 }} what about [31mbitcoin blah")
    assert shareable_text("   ") is None


def test_a_pick_records_the_question_as_a_candidate_phrasing(assistant: Assistant) -> None:
    assistant.pick(Incoming("1", ANA), "contract-ended-funded", question=SUGGESTED)
    assistant.pick(Incoming("2", ANA), "dispute-process")  # no question: nothing to learn
    assistant.pick(Incoming("1", ANA), "submit-work", question=PERSONAL_SUGGESTED)
    assistant.pick(Incoming("1", ANA), "my-contracts", question="show me the logo job")
    assert log_of(assistant).picks == [[SUGGESTED, "contract-ended-funded", "open"]]


def test_a_rating_is_recorded_for_the_entry_and_the_member_is_thanked(
    assistant: Assistant,
) -> None:
    reply = assistant.rate(Incoming("-", ANA, platform="discord"), "escrow-basics", False)
    assert (reply.template, reply.context) == ("rated", {"helpful": False})
    assert log_of(assistant).ratings == [("escrow-basics", False, "discord")]
    assert assistant.rate(Incoming("+", ANA), "nope", True).template == "error"
    assert len(log_of(assistant).ratings) == 1


class BrokenLog(FakeQuestionLog):
    """A question log whose database is down."""

    def record_question(self, question: AskedQuestion) -> None:
        raise OSError("database is down")


def test_a_question_log_that_fails_does_not_cost_the_member_the_answer(
    pack: KnowledgePack, caplog: pytest.LogCaptureFixture,
) -> None:
    assistant = dataclasses.replace(fake_assistant(pack), questions=BrokenLog())
    assert ask(assistant, ANSWERED) == "answer"
    assert "could not write to the question log" in caplog.text
    assert ANSWERED not in caplog.text


def test_a_failed_write_to_the_question_log_never_puts_the_members_words_in_the_log(
    make_app: Callable[..., App], sqlite_database: str, caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(sqlite_database)
    with app.engine.begin() as conn:
        conn.execute(text("DROP TABLE questions"))
    question = "How do I withdraw money to PayPal? my name is Zelda Quintessa"
    reply = app.assistant.handle(Incoming(question, ANA))
    assert reply.template == "decline"
    assert "could not write to the question log: OperationalError" in caplog.text
    assert "Zelda" not in caplog.text and "PayPal" not in caplog.text
