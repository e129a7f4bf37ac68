"""The webhook's core, without a server: signatures, reading events, changes and notices."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.contracts.changes import changed_contract
from bot.contracts.model import (
    Contract,
    ContractStatus,
    ContractType,
    Invoice,
    InvoiceStatus,
    Milestone,
    MilestoneStatus,
    Role,
)
from bot.contracts.payment_notices import notices, notification_context
from bot.contracts.webhook import parse_event, sign, verify_signature
from bot.contracts.webhook_events import (
    ContractChange,
    ContractEnded,
    EventType,
    InvoiceUpdated,
    LinkCodeIssued,
    MilestoneAdded,
    MilestoneMoved,
)
from bot.errors import WebhookRejected
from bot.messages import Reply
from bot.rendering import FLAVORS, Renderer
from bot.resources import templates_dir

SECRET = "s3cret-for-tests"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
STAMP = str(int(NOW.timestamp()))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "webhook.md"


def body(event_type: str = "milestone.funded", **data: Any) -> bytes:
    """An event's JSON body."""
    return json.dumps({"id": "evt_1", "type": event_type, "time": "2026-11-25T10:00:00Z",
                       "data": data or {"contract_id": "C-1", "seq": 2}}).encode()


def refusal(raw: bytes) -> WebhookRejected:
    """The rejection `parse_event` raises for `raw`."""
    with pytest.raises(WebhookRejected) as caught:
        parse_event(raw)
    return caught.value


def milestone(seq: int = 2, status: MilestoneStatus = MilestoneStatus.NOT_FUNDED,
              **stamps: datetime) -> Milestone:
    return Milestone(seq, "Final files", Decimal("150.00"), status, **stamps)


def fixed(*milestones: Milestone) -> Contract:
    return Contract("C-1", "Logo and brand kit", ContractType.FIXED, "acc-bram", "acc-alice",
                    ContractStatus.ACTIVE, NOW - timedelta(days=30), "USD",
                    milestones=milestones)


def moved(status: MilestoneStatus, at: datetime = NOW,
          available_at: datetime | None = None) -> MilestoneMoved:
    return MilestoneMoved("C-1", 2, status, at, available_at)


# Signatures


def test_a_request_signed_with_the_shared_secret_is_accepted() -> None:
    raw = body()
    verify_signature(SECRET, STAMP, f"sha256={sign(SECRET, STAMP, raw)}", raw, NOW)


@pytest.mark.parametrize("signature", [
    f"sha256={sign('another secret', STAMP, body())}",
    f"sha256={sign(SECRET, STAMP, body() + b' ')}",
    f"sha256={sign(SECRET, str(int(STAMP) + 1), body())}",
    sign(SECRET, STAMP, body()),
    f"sha1={sign(SECRET, STAMP, body())}",
    "sha256=not-hex-at-all-é",
])
def test_a_wrong_or_misshapen_signature_is_refused_with_401(signature: str) -> None:
    with pytest.raises(WebhookRejected, match="X-Forumbot-Signature") as caught:
        verify_signature(SECRET, STAMP, signature, body(), NOW)
    assert caught.value.status == 401


@pytest.mark.parametrize(("timestamp", "signature"), [(None, "sha256=00"), (STAMP, None),
                                                       ("", ""), ("soon", "sha256=00")])
def test_a_request_without_its_signature_headers_is_refused_with_401(
    timestamp: str | None, signature: str | None,
) -> None:
    with pytest.raises(WebhookRejected, match="X-Forumbot-Timestamp") as caught:
        verify_signature(SECRET, timestamp, signature, body(), NOW)
    assert caught.value.status == 401


@pytest.mark.parametrize("skew", [timedelta(minutes=-5, seconds=-1),
                                  timedelta(minutes=5, seconds=1)])
def test_a_timestamp_more_than_five_minutes_off_either_way_is_refused(skew: timedelta) -> None:
    stamp = str(int((NOW + skew).timestamp()))
    raw = body()
    with pytest.raises(WebhookRejected, match="5 minutes") as caught:
        verify_signature(SECRET, stamp, f"sha256={sign(SECRET, stamp, raw)}", raw, NOW)
    assert caught.value.status == 401


def test_a_timestamp_just_inside_the_window_is_accepted() -> None:
    stamp = str(int((NOW - timedelta(minutes=5)).timestamp()))
    raw = body()
    verify_signature(SECRET, stamp, f"sha256={sign(SECRET, stamp, raw)}", raw, NOW)


def test_the_docs_worked_example_is_signed_as_the_server_checks() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    values = dict(re.findall(r"^(secret|timestamp|body|signed|signature): +(\S+)$", doc, re.M))
    raw = values["body"].encode()
    assert values["signed"] == f"{values['timestamp']}.{values['body']}"
    assert values["signature"] == f"sha256={sign(values['secret'], values['timestamp'], raw)}"
    assert f"X-Forumbot-Signature: {values['signature']}" in doc
    sent = datetime.fromtimestamp(int(values["timestamp"]), UTC)
    verify_signature(values["secret"], values["timestamp"], values["signature"], raw, sent)
    assert parse_event(raw).type is EventType.MILESTONE_FUNDED


def test_every_json_example_in_the_docs_is_a_valid_event() -> None:
    blocks = re.findall(r"```json\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    types = {parse_event(block.encode()).type for block in blocks}
    assert len(blocks) == 7 and EventType.LINK_CODE_ISSUED in types


# Reading events


def test_a_milestone_event_is_read_into_the_cores_types() -> None:
    event = parse_event(body("milestone.paid", contract_id="C-1", seq=2,
                             available_at="2026-11-30"))
    assert (event.id, event.type, event.time) == ("evt_1", EventType.MILESTONE_PAID, NOW)
    assert event.change == MilestoneMoved("C-1", 2, MilestoneStatus.PAID, NOW,
                                          datetime(2026, 11, 30, tzinfo=UTC))


@pytest.mark.parametrize(("raw", "reason"), [
    (b"{not json", "body: not valid JSON: Expecting property name enclosed in double quotes"),
    (b"\xff\xfe", "body: not UTF-8"),
    (b"[]", "document: expected an event (an object), got a list"),
    (json.dumps({"type": "milestone.funded", "time": "2026-11-25", "data": {}}).encode(),
     "id: missing"),
    (body("milestone.payed"), "type: 'milestone.payed' is not one of contract.created,"),
    (body(contract_id="C-1"), "data.seq: missing"),
    (body(contract_id="C-1", seq="2"), "data.seq: expected a whole number, got '2'"),
    (body(contract_id="C-1", seq=2, colour="red"), "data.colour: unknown key"),
    (body("milestone.paid", contract_id="C-1", seq=2), "data.available_at: missing"),
    (body("milestone.funded", contract_id="C-1", seq=2, available_at="2026-11-30"),
     "data.available_at: only milestone.paid has available_at"),
    (body("milestone.created", contract_id="C-1", milestone={
        "seq": 2, "title": "Final files", "amount": "150.00", "status": "payed"}),
     "data.milestone.status: 'payed' is not one of not_funded, funded, submitted,"),
    (body("contract.updated", contract={"id": "C-1"}), "data.contract.title: missing"),
    (body("link_code.issued", account_id="acc-a", code="ABCDEFGH",
          expires_at="2026-11-25T10:16:00Z"),
     "data.expires_at: 2026-11-25T10:16:00+00:00 is not within 15 minutes"),
])
def test_a_malformed_event_is_refused_with_400_naming_the_field(raw: bytes, reason: str) -> None:
    rejected = refusal(raw)
    assert rejected.status == 400
    assert rejected.reason.startswith(reason), rejected.reason


@pytest.mark.parametrize(("raw", "secret"), [
    (body("milestone.created", contract_id="C-1", milestone={
        "seq": 2, "title": "Secret merger deck", "amount": "-98765.43", "status": "funded"}),
     "98765.43"),
    (body("milestone.created", contract_id="C-1", milestone={
        "seq": 2, "title": 4242424242, "amount": "1.00", "status": "funded"}), "4242424242"),
    (body("link_code.issued", account_id="acc-a", code="ABC0O1I"), "ABC0O1I"),
    (body("link_code.issued", account_id="acc-a", code=87654321), "87654321"),
])
def test_a_refusal_never_quotes_an_amount_a_title_or_a_code(raw: bytes, secret: str) -> None:
    rejected = refusal(raw)
    assert rejected.status == 400 and rejected.reason.startswith("data.")
    assert secret not in rejected.reason


def test_a_link_code_is_kept_normalized_and_expires_after_the_code_lifetime() -> None:
    change = parse_event(body("link_code.issued", account_id="acc-a", code="k7pqm-r2xwn")).change
    assert change == LinkCodeIssued("acc-a", "K7PQMR2XWN", NOW + timedelta(minutes=15))
    assert "K7PQM" not in repr(change)


# Applying a change to a contract


def test_a_milestone_moves_along_the_state_machine_and_gets_its_timestamp() -> None:
    after = changed_contract(fixed(milestone()), moved(MilestoneStatus.FUNDED))
    assert after.milestones == (milestone(status=MilestoneStatus.FUNDED, funded_at=NOW),)


def test_a_move_the_state_machine_forbids_is_a_409_naming_the_state() -> None:
    with pytest.raises(WebhookRejected) as caught:
        changed_contract(fixed(milestone()), moved(MilestoneStatus.APPROVED))
    assert caught.value.status == 409
    assert caught.value.reason == ("milestone 2 of contract 'C-1' is not_funded; it cannot "
                                   "become approved (it can become cancelled, funded)")


def test_a_move_the_milestone_already_made_changes_nothing() -> None:
    contract = fixed(milestone(status=MilestoneStatus.FUNDED, funded_at=NOW))
    assert changed_contract(contract, moved(MilestoneStatus.FUNDED, NOW + timedelta(1))) \
        is contract


def test_a_payment_available_before_its_approval_is_a_409() -> None:
    contract = fixed(milestone(status=MilestoneStatus.APPROVED, approved_at=NOW))
    with pytest.raises(WebhookRejected, match=r"available_at would be .* before its approved_at"):
        changed_contract(contract, moved(MilestoneStatus.PAID, available_at=NOW - timedelta(1)))


@pytest.mark.parametrize(("stored", "change", "status", "reason"), [
    (None, moved(MilestoneStatus.FUNDED), 404, "data.contract_id: there is no contract 'C-1'"),
    (fixed(milestone()), MilestoneMoved("C-1", 9, MilestoneStatus.FUNDED, NOW), 404,
     "data.seq: contract 'C-1' has no milestone 9"),
    (fixed(milestone()), MilestoneAdded("C-1", replace(milestone(), title="Other")), 409,
     "data.milestone.seq: contract 'C-1' already has milestone 2"),
    (fixed(milestone()),
     InvoiceUpdated("C-1", Invoice(NOW, Decimal(1), Decimal(1), InvoiceStatus.PENDING)), 409,
     "data.contract_id: contract 'C-1' is fixed-price"),
    (fixed(milestone()), ContractEnded("C-1", NOW - timedelta(days=31)), 409,
     "data.ended_at: 2026-10-25T10:00:00+00:00 is before the contract's started_at"),
])
def test_a_change_that_cannot_apply_is_refused_with_its_reason(
    stored: Contract | None, change: ContractChange, status: int, reason: str,
) -> None:
    with pytest.raises(WebhookRejected) as caught:
        changed_contract(stored, change)
    assert (caught.value.status, caught.value.reason[:len(reason)]) == (status, reason)


def test_a_milestone_created_again_with_the_same_fields_changes_nothing() -> None:
    contract = fixed(milestone())
    assert changed_contract(contract, MilestoneAdded("C-1", milestone())) is contract


# What members are told


def test_funding_paying_and_refunding_a_milestone_each_give_one_notice() -> None:
    funded = milestone(status=MilestoneStatus.FUNDED)
    pending = milestone(status=MilestoneStatus.PAID, available_at=NOW + timedelta(days=5))
    available = milestone(status=MilestoneStatus.PAID, available_at=NOW - timedelta(days=1))
    refunded = milestone(status=MilestoneStatus.REFUNDED)
    approved = fixed(milestone(status=MilestoneStatus.APPROVED))
    assert [n.event for n in notices(fixed(milestone()), fixed(funded), NOW)] == \
        ["milestone_funded"]
    assert [n.event for n in notices(approved, fixed(pending), NOW)] == ["milestone_paid"]
    assert [n.event for n in notices(approved, fixed(available), NOW)] == ["payment_available"]
    assert [n.event for n in notices(fixed(funded), fixed(refunded), NOW)] == \
        ["milestone_refunded"]
    assert notices(fixed(funded), fixed(funded), NOW) == []
    submitted = milestone(status=MilestoneStatus.SUBMITTED)
    assert notices(fixed(funded), fixed(submitted), NOW) == []


def test_an_invoice_becoming_available_tells_once() -> None:
    hourly = Contract("C-2", "Bookkeeping", ContractType.HOURLY, "acc-bram", "acc-alice",
                      ContractStatus.ACTIVE, NOW - timedelta(days=30), "USD")
    week = NOW - timedelta(days=9)
    pending = Invoice(week, Decimal("7.5"), Decimal("225.00"), InvoiceStatus.PENDING,
                      NOW + timedelta(days=1))
    available = Invoice(week, Decimal("7.5"), Decimal("225.00"), InvoiceStatus.AVAILABLE, NOW)
    before, after = replace(hourly, invoices=(pending,)), replace(hourly, invoices=(available,))
    assert [(n.event, n.invoice) for n in notices(before, after, NOW)] == \
        [("payment_available", available)]
    assert notices(after, after, NOW) == []


@pytest.mark.parametrize(("status", "words"), [
    (MilestoneStatus.FUNDED, "Update on Logo and brand kit (C-1): Milestone 2, Final files, "
                             "$150: funded on Nov 25, 2026: the money is in escrow."),
    (MilestoneStatus.PAID, "Money available on Logo and brand kit (C-1): Milestone 2, "
                           "Final files, $150: paid; it became available on Nov 24, 2026"),
    (MilestoneStatus.REFUNDED, "$150: refunded: the escrow went back to"),
])
def test_each_notification_reads_as_one_plain_sentence_in_every_flavor(
    status: MilestoneStatus, words: str,
) -> None:
    renderer = Renderer(templates_dir())
    stamps = {"funded_at": NOW} if status is MilestoneStatus.FUNDED else (
        {"available_at": NOW - timedelta(days=1)} if status is MilestoneStatus.PAID else {})
    contract = fixed(milestone(status=status, **stamps))
    (notice,) = notices(fixed(milestone()), contract, NOW)
    for role in Role:
        context = notification_context(notice, contract, role, NOW)
        assert json.loads(json.dumps(context)) == context
        text = renderer.render(Reply("notification", context), "text")
        assert words in text and text.endswith("send: contract status C-1"), text
        for flavor in FLAVORS:
            assert "Final files" in renderer.render(Reply("notification", context), flavor)


@pytest.mark.parametrize("raw", [
    b"[" * 100_000 + b"]" * 100_000,
    body(contract_id="C-1", seq=int("1" * 40)),
    body(contract_id="C-\ud800", seq=2),  # json.dumps writes the escape, not the character
    json.dumps({"id": "evt_1", "type": "milestone.funded", "time": "9999-12-31T23:59:59-05:00",
                "data": {"contract_id": "C-1", "seq": 2}}).encode(),
], ids=["nested", "huge number", "lone surrogate", "date beyond the calendar"])
def test_an_event_that_can_never_be_read_is_refused_with_400_not_retried(raw: bytes) -> None:
    assert refusal(raw).status == 400


def test_a_timestamp_of_absurd_length_is_refused_with_401() -> None:
    with pytest.raises(WebhookRejected, match="expected unix seconds") as caught:
        verify_signature(SECRET, "1" * 5000, "sha256=00", body(), NOW)
    assert caught.value.status == 401
