"""Personal answers from a linked member's own contracts (fakes at a fixed time, no database)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from bot.assistant import Assistant
from bot.contracts.model import (
    Contract,
    ContractStatus,
    ContractType,
    Invoice,
    InvoiceStatus,
    Milestone,
    MilestoneStatus,
)
from bot.faq.knowledge_pack import KnowledgePack
from bot.messages import Incoming, Reply, deliveries
from bot.rendering import Renderer
from bot.resources import templates_dir
from tests.fakes import NOW, FakeLinks, fake_assistant, fake_desk

ALICE, BRAM, CARLA = "acc-alice", "acc-bram", "acc-carla"


def day(n: int) -> datetime:
    return NOW + timedelta(days=n)


def logo_job(*milestones: Milestone) -> Contract:
    return Contract("C-1001", "Logo and brand kit", ContractType.FIXED, client=BRAM,
                    freelancer=ALICE, status=ContractStatus.ACTIVE, started_at=day(-30),
                    currency="USD", milestones=milestones)


def bookkeeping(*invoices: Invoice) -> Contract:
    return Contract("C-1002", "Weekly bookkeeping", ContractType.HOURLY, client=BRAM,
                    freelancer=ALICE, status=ContractStatus.ACTIVE, started_at=day(-20),
                    currency="USD", hourly_rate=Decimal("30"), invoices=invoices)


def milestone(status: MilestoneStatus, **dates: datetime) -> Milestone:
    return Milestone(2, "Final files", Decimal("150.00"), status, **dates)


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(templates_dir())


def linked_assistant(pack: KnowledgePack, contracts: list[Contract],
                     user: str = "console:alice", account: str = ALICE) -> Assistant:
    desk = fake_desk(contracts)
    assert isinstance(desk.links, FakeLinks)
    code = desk.links.issue_code(account, NOW)
    assistant = fake_assistant(pack, desk=desk)
    assert assistant.handle(Incoming(f"link {code}", user)).template == "linked"
    return assistant


def say(assistant: Assistant, renderer: Renderer, text: str, user: str = "console:alice",
        private: bool = True) -> tuple[Reply, str]:
    reply = assistant.handle(Incoming(text, user, private=private))
    return reply, renderer.render(reply)


@pytest.mark.parametrize(("status", "dates", "freelancer_sees"), [
    (MilestoneStatus.NOT_FUNDED, {}, "not funded yet. Don't start until it is."),
    (MilestoneStatus.FUNDED, {"funded_at": day(-2)}, "funded on Nov 23, 2026: the money is in "
     "escrow. You can start work."),
    (MilestoneStatus.SUBMITTED, {"funded_at": day(-5), "submitted_at": day(-1)},
     "submitted on Nov 24, 2026, waiting for the client's review."),
    (MilestoneStatus.CHANGES_REQUESTED, {"funded_at": day(-5)}, "changes requested."),
    (MilestoneStatus.APPROVED, {"funded_at": day(-5), "approved_at": day(-1)},
     "approved on Nov 24, 2026: the payment is being released to you."),
    (MilestoneStatus.PAID, {"funded_at": day(-9), "approved_at": day(-2),
                            "available_at": day(3)}, "paid, Pending until Nov 28, 2026"),
    (MilestoneStatus.PAID, {"funded_at": day(-9), "approved_at": day(-8),
                            "available_at": day(-3)}, "paid; it became available on Nov 22, 2026"),
    (MilestoneStatus.REFUNDED, {"funded_at": day(-5)}, "refunded: the escrow went back"),
    (MilestoneStatus.CANCELLED, {}, "cancelled"),
])
def test_each_milestone_state_is_told_in_plain_words_with_its_amount(
    pack: KnowledgePack, renderer: Renderer, status: MilestoneStatus,
    dates: dict[str, datetime], freelancer_sees: str,
) -> None:
    assistant = linked_assistant(pack, [logo_job(milestone(status, **dates))])
    reply, text = say(assistant, renderer, "was my milestone funded?")
    assert reply.private and reply.template == "contract_status"
    assert f"Milestone 2, Final files, $150: {freelancer_sees}" in text


@pytest.mark.parametrize(("status", "available", "expected"), [
    (InvoiceStatus.IN_REVIEW, day(5), "in review"),
    (InvoiceStatus.PENDING, day(2), "Pending until Nov 27, 2026"),
    (InvoiceStatus.PENDING, day(-1), "$225: became available on Nov 24, 2026."),
    (InvoiceStatus.AVAILABLE, day(-4), "$225: became available on Nov 21, 2026."),
    (InvoiceStatus.DISPUTED, None, "disputed"),
])
def test_an_hourly_contract_answers_with_its_recent_weeks_newest_first(
    pack: KnowledgePack, renderer: Renderer, status: InvoiceStatus,
    available: datetime | None, expected: str,
) -> None:
    older = Invoice(day(-16), Decimal("10"), Decimal("300.00"), InvoiceStatus.AVAILABLE, day(-2))
    current = Invoice(day(-9), Decimal("7.5"), Decimal("225.00"), status, available)
    assistant = linked_assistant(pack, [bookkeeping(older, current)])
    _, text = say(assistant, renderer, "contract status")
    assert "Week of Nov 16, 2026: 7.5 h, $225:" in text and expected in text
    assert text.index("$225") < text.index("Week of Nov 9, 2026: 10 h, $300")


def test_the_client_sees_the_same_milestone_with_their_next_step(
    pack: KnowledgePack, renderer: Renderer,
) -> None:
    assistant = linked_assistant(pack, [logo_job(milestone(MilestoneStatus.NOT_FUNDED))],
                                 user="slack:T1/U9", account=BRAM)
    _, text = say(assistant, renderer, "did my funding go through?", user="slack:T1/U9")
    assert "you are the client" in text
    assert "not funded yet. Fund it when you want work to start." in text


def test_several_active_contracts_get_a_short_list_to_choose_from(
    pack: KnowledgePack, renderer: Renderer,
) -> None:
    assistant = linked_assistant(pack, [logo_job(milestone(MilestoneStatus.FUNDED)),
                                        bookkeeping()])
    reply, text = say(assistant, renderer, "was my milestone funded?")
    assert reply.template == "contract_list" and reply.context["ambiguous"]
    assert "C-1001: Logo and brand kit" in text and "C-1002: Weekly bookkeeping" in text


@pytest.mark.parametrize("question", [
    "was my milestone on the logo job funded?",
    "is my contract C-1001 funded yet",
    "check the Logo and brand kit contract for me, is it funded",
    "the logo jb status pls",
])
def test_a_member_can_name_the_contract_by_id_or_title_words(
    pack: KnowledgePack, renderer: Renderer, question: str,
) -> None:
    assistant = linked_assistant(pack, [logo_job(milestone(MilestoneStatus.FUNDED)),
                                        bookkeeping()])
    reply, text = say(assistant, renderer, question)
    assert reply.template == "contract_status"
    assert text.startswith("Logo and brand kit (C-1001)")


def test_someone_elses_contract_id_gets_the_same_reply_as_a_made_up_one(
    pack: KnowledgePack, renderer: Renderer,
) -> None:
    carlas = Contract("C-9009", "Secret redesign", ContractType.FIXED, client=CARLA,
                      freelancer="acc-dan", status=ContractStatus.ACTIVE, started_at=day(-3),
                      currency="USD", milestones=(milestone(MilestoneStatus.FUNDED),))
    assistant = linked_assistant(pack, [logo_job(), carlas])
    theirs, theirs_text = say(assistant, renderer, "contract status C-9009")
    made_up, made_up_text = say(assistant, renderer, "contract status C-9010")
    assert theirs.template == made_up.template == "contract_unknown"
    assert theirs_text.replace("C-9009", "X") == made_up_text.replace("C-9010", "X")
    assert "Secret" not in theirs_text and "$150" not in theirs_text


def test_a_personal_answer_asked_in_public_goes_privately_with_a_public_notice(
    pack: KnowledgePack, renderer: Renderer,
) -> None:
    assistant = linked_assistant(pack, [logo_job(milestone(MilestoneStatus.FUNDED))])
    message = Incoming("was my milestone funded?", "console:alice", platform="slack",
                       channel="C-general", private=False)
    reply = assistant.handle(message)
    sent = deliveries(message, reply)
    public = [d for d in sent if not d.private]
    assert [d.reply.template for d in public] == ["sent_privately"]
    assert renderer.render(public[0].reply) == "I've sent you the answer privately."
    assert [d.reply.template for d in sent if d.private] == ["contract_status"]


def test_a_faq_answer_in_public_stays_public(pack: KnowledgePack) -> None:
    assistant = fake_assistant(pack)
    message = Incoming("Who creates the milestones?", "slack:T1/U1", "slack", "C1", private=False)
    (only,) = deliveries(message, assistant.handle(message))
    assert only.private is False and only.reply.template == "answer"


def test_a_wrong_code_is_refused_and_five_lock_the_member_out_for_an_hour(
    pack: KnowledgePack, renderer: Renderer,
) -> None:
    assistant = fake_assistant(pack)
    for left in (4, 3, 2, 1):
        reply, text = say(assistant, renderer, "link ABCDE-FGHJK")
        assert reply.template == "link_refused" and f"{left} tr" in text
    _, text = say(assistant, renderer, "link ABCDE-FGHJK")
    assert "locked for you until Nov 25, 2026 13:00 UTC" in text
    links = assistant.personal.links
    good = links.issue_code(ALICE, NOW)
    reply, _ = say(assistant, renderer, f"link {good}")
    assert reply.template == "link_refused"
    assert links.link_of("console:alice") is None


def test_whoami_unlink_and_forget_me(pack: KnowledgePack, renderer: Renderer) -> None:
    assistant = linked_assistant(pack, [logo_job()])
    assert "linked to the marketplace account acc-alice" in say(assistant, renderer, "whoami")[1]
    assert "notifications are off" in say(assistant, renderer, "notifications off")[1].lower()
    assert "Unlinked" in say(assistant, renderer, "unlink")[1]
    assert say(assistant, renderer, "contracts")[0].template == "not_linked"
    reply, text = say(assistant, renderer, "forget me")
    assert reply.template == "forget_confirm" and "forget me confirm" in text
    links = assistant.personal.links
    assert isinstance(links, FakeLinks) and links.forgotten == []
    reply, _ = say(assistant, renderer, "forget me confirm")
    assert reply.template == "forgotten" and reply.private
    assert links.forgotten == ["console:alice"]
