"""The assistant's replies to questions, commands and bad input (fakes, no database)."""

from __future__ import annotations

import pytest

from bot.assistant import Assistant
from bot.faq.knowledge_pack import KnowledgePack
from bot.inbox.commands import InboxRequest
from bot.messages import Incoming
from bot.rendering import Renderer
from bot.resources import templates_dir
from tests.fakes import FakeHandoffStore, fake_assistant


@pytest.fixture
def assistant(pack: KnowledgePack) -> Assistant:
    return fake_assistant(pack)


def ask(assistant: Assistant, text: str, user: str = "console:ana") -> tuple[str, str]:
    reply = assistant.handle(Incoming(text, user))
    return reply.template, Renderer(templates_dir()).render(reply, "text")


def test_a_plain_question_is_answered_with_its_entry(assistant: Assistant) -> None:
    reply = assistant.handle(Incoming("Who creates the milestones, me or the client?", "console:a"))
    assert reply.template == "answer"
    assert reply.context["entry"]["id"] == "milestones-who-sets"


def test_a_question_buried_in_a_long_story_is_still_answered(assistant: Assistant) -> None:
    story = (
        "Hi all, long time lurker. I have been working with this client for two months, we "
        "did a website together and everything went fine until last week. Now he sent me a "
        "request to refund the escrow for the last milestone even though I delivered the "
        "files. How long do I have to respond to a refund request?"
    )
    reply = assistant.handle(Incoming(story, "console:a"))
    assert reply.template == "answer"
    assert reply.context["entry"]["id"] == "refund-request"


def test_typos_do_not_stop_an_answer(assistant: Assistant) -> None:
    reply = assistant.handle(Incoming("what is escrwo and who holds the mony", "console:a"))
    assert reply.context["entry"]["id"] == "escrow-basics"


@pytest.mark.parametrize("question", [
    "How do I withdraw money to PayPal?",
    "what are connects and how much do they cost",
    "how is the job success score calculated",
    "my account got permanently banned, how do I appeal",
    "tell me a joke",
])
def test_off_topic_questions_are_declined_with_an_offer_of_a_moderator(
    assistant: Assistant, question: str
) -> None:
    template, text = ask(assistant, question)
    assert template == "decline"
    assert "moderator" in text


def test_an_unsure_match_offers_numbered_choices(assistant: Assistant) -> None:
    question = "client ended the contract, what about the milestones"
    reply = assistant.handle(Incoming(question, "console:a"))
    assert reply.template == "suggest"
    choices = reply.context["choices"]
    assert {"contract-ended-funded", "contract-ended-unfunded"} <= {c["id"] for c in choices}
    assert 1 <= len(choices) <= 3
    assert [c["number"] for c in choices] == list(range(1, len(choices) + 1))


def test_picking_a_choice_answers_that_entry(assistant: Assistant) -> None:
    reply = assistant.pick(Incoming("2", "console:a"), "dispute-process")
    assert reply.context["entry"]["id"] == "dispute-process"


def test_a_declined_question_reaches_the_moderators_when_the_member_asks(
    assistant: Assistant,
) -> None:
    ask(assistant, "how do I change my username", user="console:bo")
    template, text = ask(assistant, "moderator", user="console:bo")
    assert template == "handoff" and "passed your question" in text
    handoffs = assistant.handoffs
    assert isinstance(handoffs, FakeHandoffStore)
    assert [(h.user, h.question) for h in handoffs.queued()] == [
        ("console:bo", "how do I change my username")
    ]


def test_asking_for_a_human_with_nothing_pending_explains_how(assistant: Assistant) -> None:
    template, text = ask(assistant, "I want to talk to a real person")
    assert template == "handoff"
    assert "moderator" in text and "passed your question" not in text


def test_help_lists_what_the_assistant_does_and_its_commands(assistant: Assistant) -> None:
    template, text = ask(assistant, "/help")
    assert template == "help"
    assert "faq show ID" in text and "moderator" in text


def test_personal_questions_get_the_how_to_check_answer_until_accounts_are_linked(
    assistant: Assistant,
) -> None:
    reply = assistant.handle(Incoming("was my milestone funded?", "console:a"))
    assert (reply.template, reply.private) == ("not_linked", True)
    text = Renderer(templates_dir()).render(reply)
    assert "My Jobs" in text and "link CODE" in text


@pytest.mark.parametrize("text", ["", "   \n\t ", "\u200b\u200b", "\x00\x01\x02"])
def test_empty_messages_get_a_prompt_to_ask_something(assistant: Assistant, text: str) -> None:
    template, rendered = ask(assistant, text)
    assert template == "empty"
    assert "help" in rendered


@pytest.mark.parametrize(("text", "says"), [
    ("thanks!", "You're welcome"), ("Thank you so much, that helped", "You're welcome"),
    ("hi", "who sets the milestones?"), ("good morning everyone", "who sets the milestones?"),
    ("ok got it", "just ask"), ("bye \U0001f44b", "just ask"),
])
def test_thanks_a_greeting_or_an_ok_is_answered_in_kind_and_not_passed_on_or_logged(
        assistant: Assistant, text: str, says: str) -> None:
    template, rendered = ask(assistant, text)
    assert template == "courtesy"
    assert says in rendered
    assert "moderator" not in rendered
    assert isinstance(assistant.handoffs, FakeHandoffStore) and not assistant.handoffs.items
    assert assistant.inbox.handle(InboxRequest("list"), "console:mod", granted=True
                                  ).context["total_questions"] == 0


@pytest.mark.parametrize("text", [
    "thanks, and who sets the milestones?", "hi, who sets the milestones?", "not helpful",
    "thanks but I still can't withdraw to paypal", "hello, 2 milestones are pending",
])
def test_a_question_that_comes_with_thanks_or_a_greeting_is_still_a_question(
        assistant: Assistant, text: str) -> None:
    assert ask(assistant, text)[0] in ("answer", "suggest", "decline")


def test_a_greeting_before_a_question_does_not_stop_its_answer(assistant: Assistant) -> None:
    reply = assistant.handle(Incoming("hi, who sets the milestones?", "console:a"))
    assert reply.template == "answer"
    assert reply.context["entry"]["id"] == "milestones-who-sets"


@pytest.mark.parametrize("text", [
    "x" * 100_000,
    "refund " * 20_000,
    "\U0001f600\U0001f389 escrow? \U0001f914",
    "¿Quién define los hitos del contrato?",
    "誰がマイルストーンを設定しますか",
    "'; DROP TABLE faq_entries; --",
    "<script>alert(1)</script> **bold** [link](http://x)",
    "{{ 7*7 }} {% for x in range(10) %}",
    "mile\u200bstone fun\u00added?",
])
def test_bad_or_strange_input_gets_a_sensible_reply(assistant: Assistant, text: str) -> None:
    template, rendered = ask(assistant, text)
    assert template in {"answer", "suggest", "decline"}
    assert rendered and "49" not in rendered


def test_a_100kb_message_is_answered_from_its_question(assistant: Assistant) -> None:
    text = "Who decides the milestones, me or the client? " + "blah " * 20_000
    reply = assistant.handle(Incoming(text, "console:a"))
    assert reply.context["entry"]["id"] == "milestones-who-sets"


def test_an_unknown_command_names_it_and_points_to_help(assistant: Assistant) -> None:
    template, text = ask(assistant, "/frobnicate")
    assert template == "error"
    assert "/frobnicate" in text and "help" in text


def test_faq_show_of_a_missing_id_is_a_clear_error(assistant: Assistant) -> None:
    template, text = ask(assistant, "faq show no-such-entry")
    assert template == "error" and "no-such-entry" in text
