"""A linked member's questions about their own work, in their own words (fakes, demo data)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.assistant import Assistant
from bot.contracts.demo import demo_dataset
from bot.contracts.model import Contract, ContractStatus, ContractType, Milestone, MilestoneStatus
from bot.faq.knowledge_pack import KnowledgePack
from bot.messages import Incoming, Reply
from bot.rendering import Renderer
from bot.resources import templates_dir
from tests.fakes import NOW, FakeLinks, fake_assistant, fake_desk

ME, CLIENT = "console:dana", "console:northwind"
# Another member's contract, with a client only they work with.
THEIRS = Contract("X-9009", "Secret redesign", ContractType.FIXED, client="acc-bakery",
                  freelancer="acc-zoe", status=ContractStatus.ACTIVE, started_at=NOW,
                  currency="USD", milestones=(
                      Milestone(1, "Hidden mosaics", Decimal("777.00"), MilestoneStatus.FUNDED,
                                funded_at=NOW),))
THEIR_FACTS = ("X-9009", "Secret", "Hidden", "$777", "Bakery", "Zoe")


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(templates_dir())


@pytest.fixture(scope="module")
def demo(pack: KnowledgePack) -> Assistant:
    """The demo member (a freelancer) and their client Northwind, linked, among others."""
    data = demo_dataset(NOW.date())
    names = {a.id: a.name for a in data.accounts} | {"acc-bakery": "Dan's Bakery",
                                                     "acc-zoe": "Zoe Quill"}
    desk = fake_desk([*data.contracts, THEIRS], names, pack.vocabulary)
    assert isinstance(desk.links, FakeLinks)
    assistant = fake_assistant(pack, desk=desk)
    for user, account in ((ME, "acc-demo"), (CLIENT, "acc-northwind")):
        code = desk.links.issue_code(account, NOW)
        assert assistant.handle(Incoming(f"link {code}", user)).template == "linked"
    return assistant


def ask(assistant: Assistant, renderer: Renderer, text: str, user: str = ME) -> tuple[Reply, str]:
    reply = assistant.handle(Incoming(text, user))
    return reply, renderer.render(reply)


@pytest.mark.parametrize(("question", "facts"), [
    ("the logo job", ["Logo and brand kit (D-101)", "Final files, $150: funded"]),
    ("the Landing page copy job", ["Landing page copy (D-102)", "First draft, $300: submitted"]),
    ("what is the status of the Landing page copy job?", ["D-102", "waiting for the client's"]),
    ("when do i get paid for the bookkeeping job?", ["Weekly bookkeeping (D-103)",
                                                     "$225: Pending until"]),
    ("is the landing page milestone funded?", ["D-102", "First draft", "Revisions"]),
    ("how do i know if my milestone is funded?", ["Final files", "Brand guide", "Revisions"]),
    ("is the extra icons milestone funded?", ["App icon set (D-090)", "Animated icons"]),
    ("was the final files milestone funded?", ["Logo and brand kit (D-101): Milestone 3, Final "
                                               "files, $150: funded"]),
    ("is milestone 3 of the logo jb funded?", ["Milestone 3, Final files"]),
    ("did northwind fund the brand guide?", ["Brand guide, $200: not funded yet"]),
    ("when will the color concepts money be available", ["Colour concepts, $120: paid, Pending"]),
    ("has Lumen approved my first draft yet?", ["First draft, $300: submitted"]),
    ("whats up with d-102", ["Landing page copy (D-102)"]),
    ("my last milestone", ["Colour concepts"]),
    ("what's my next milestone?", ["Brand guide", "Revisions"]),
    ("the $300 milestone", ["First draft, $300"]),
    ("how many hours did I log this week?", ["6 h, $180: in review"]),
    ("my contract with Northwind", ["D-101: Logo and brand kit", "D-103: Weekly bookkeeping"]),
    ("was milestone 2 paid?", ["Colour concepts", "Revisions"]),
])
def test_a_linked_member_is_answered_from_their_own_data_in_their_own_words(
    demo: Assistant, renderer: Renderer, question: str, facts: list[str],
) -> None:
    reply, text = ask(demo, renderer, question)
    assert reply.private
    for fact in facts:
        assert fact in text


def test_my_milestone_in_general_shows_the_current_and_the_next_milestone_funded_or_not(
    demo: Assistant, renderer: Renderer,
) -> None:
    reply, text = ask(demo, renderer, "was my milestone funded?")
    assert reply.template == "contract_list"
    assert "Milestone 3, Final files, $150: funded" in text
    assert "Milestone 4, Brand guide, $200: not funded yet" in text
    assert "Milestone 2, Revisions, $100: not funded yet" in text


def test_the_clients_view_says_you_where_the_client_is_meant(
    demo: Assistant, renderer: Renderer,
) -> None:
    _, text = ask(demo, renderer, "did I fund the final files milestone?", user=CLIENT)
    assert "Final files, $150: funded" in text and "The freelancer can start work." in text
    _, text = ask(demo, renderer, "what did I get billed for bookkeeping this week", user=CLIENT)
    assert "you can dispute it during the review" in text


def test_a_question_both_personal_and_general_gets_the_personal_answer_then_the_entry(
    demo: Assistant, renderer: Renderer,
) -> None:
    _, text = ask(demo, renderer, "is my logo milestone in escrow, and what does escrow "
                                      "mean?")
    assert text.startswith("Logo and brand kit (D-101)")
    assert text.rstrip().endswith("Type `faq show escrow-basics` for that answer.")
    assert '"What escrow is"' in text


@pytest.mark.parametrize("question", ["how does escrow work?", "who sets the milestones?"])
def test_a_general_question_from_a_linked_member_gets_the_general_answer(
    demo: Assistant, question: str,
) -> None:
    reply = demo.handle(Incoming(question, ME))
    assert reply.template == "answer" and not reply.private


@pytest.mark.parametrize(("theirs", "made_up"), [
    ("status of X-9009", "status of X-9010"),
    ("the secret redesign job", "the zebra quilt job"),
    ("is the hidden mosaics milestone funded?", "is the purple pebbles milestone funded?"),
    ("is milestone 1 of the secret redesign funded?", "is milestone 1 of the zebra quilt funded?"),
    ("my contract with dan's bakery", "my contract with zed's cakes"),
    ("did zoe submit the work?", "did ygritte submit the work?"),
    ("is the $777 milestone funded?", "is the $778 milestone funded?"),
    ("contract status secret redesign", "contract status zebra quilt"),
])
def test_another_members_contract_is_invisible_by_every_naming(
    demo: Assistant, renderer: Renderer, theirs: str, made_up: str,
) -> None:
    for user in (ME, CLIENT):
        their_reply, their_text = ask(demo, renderer, theirs, user)
        made_reply, made_text = ask(demo, renderer, made_up, user)
        assert their_reply.template == made_reply.template
        said = {w for w in theirs.split() if w not in made_up.split()}
        for word in said:  # the member's own words may be echoed back, nothing else of theirs
            their_text = their_text.replace(word, "_")
        for word in {w for w in made_up.split() if w not in theirs.split()}:
            made_text = made_text.replace(word, "_")
        assert their_text == made_text
        assert not [fact for fact in THEIR_FACTS if fact in their_text]


def test_an_unlinked_member_gets_the_general_answer_and_one_line_on_linking(
    pack: KnowledgePack, renderer: Renderer,
) -> None:
    assistant = fake_assistant(pack)
    reply = assistant.handle(Incoming("was my milestone funded?", "console:nobody"))
    text = renderer.render(reply)
    assert reply.template == "not_linked"
    assert reply.context["answer"] == assistant.entries["milestone-funded-check"].answer
    assert text.count("link CODE") == 1 and "isn't linked" not in text
    reply = assistant.handle(Incoming("the logo job", "console:nobody"))
    assert reply.template == "not_linked" and "link CODE" in renderer.render(reply)


def test_picking_the_personal_choice_answers_about_the_question_asked(
    demo: Assistant, renderer: Renderer,
) -> None:
    reply = demo.pick(Incoming("1", ME), "my-milestone-status",
                      question="was my landing page milestone funded?")
    assert renderer.render(reply).startswith("Landing page copy (D-102)")


def test_a_personal_question_is_logged_without_its_words(demo: Assistant) -> None:
    log = demo.questions
    before = len(log.asked)  # type: ignore[attr-defined]
    demo.handle(Incoming("the zebra quilt job", ME))
    demo.handle(Incoming("the Landing page copy job", ME))
    assert [q.text for q in log.asked[before:]] == [None, None]  # type: ignore[attr-defined]


@pytest.mark.parametrize("question", ["is there a dark mode in the app",
                                      "can I set my own milestones?"])
def test_a_common_word_of_a_title_or_a_company_name_does_not_make_a_question_personal(
    demo: Assistant, question: str,
) -> None:
    reply = demo.handle(Incoming(question, ME))
    assert reply.template not in {"contract_status", "contract_list", "milestone_status"}


def test_forget_me_asks_first_and_tells_the_demo_member_it_comes_back(
    demo: Assistant, renderer: Renderer,
) -> None:
    reply, text = ask(demo, renderer, "forget me")
    assert reply.template == "forget_confirm" and "forget me confirm" in text
    assert "links the demo account again" in text
    assert demo.personal.links.link_of(ME) is not None


def test_a_huge_message_is_read_for_its_first_part_only(demo: Assistant,
                                                         renderer: Renderer) -> None:
    story = "the logo job? " + "and then the zebra quilt job and what does escrow mean, " * 2000
    _, text = ask(demo, renderer, story)
    assert text.startswith("Logo and brand kit (D-101)")
