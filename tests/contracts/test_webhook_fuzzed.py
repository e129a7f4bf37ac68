"""The webhook's parser and signature check on anything: an event, or a refusal that quotes
no member's data."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hostile_documents import mutations
from hostile_input import json_values, messages
from hypothesis import given
from hypothesis import strategies as st

from bot.contracts.webhook import parse_event, sign, verify_signature
from bot.errors import WebhookRejected

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PRIVATE = ("Zanzibar packaging", "Annelise Vortmann", "4321.98", "Quillwort sketches",
           "HJKLM-N2P3Q", "41.75", "1187.53")
MILESTONE = {"seq": 3, "title": "Quillwort sketches", "amount": "4321.98", "status": "funded",
             "funded_at": "2026-11-20"}
CONTRACT = {"id": "C-7", "title": "Zanzibar packaging", "type": "fixed", "client": "acc-c",
            "freelancer": "acc-a", "status": "active", "started_at": "2026-10-01",
            "currency": "USD", "milestones": [MILESTONE]}
EVENTS: list[dict[str, Any]] = [
    {"id": "evt_1", "type": "contract.created", "time": "2026-11-25T10:00:00Z",
     "data": {"contract": CONTRACT, "accounts": [
         {"id": "acc-a", "name": "Annelise Vortmann", "role": "freelancer"}]}},
    {"id": "evt_2", "type": "milestone.created", "time": "2026-11-25T10:00:00Z",
     "data": {"contract_id": "C-7", "milestone": MILESTONE}},
    {"id": "evt_3", "type": "hourly_invoice.updated", "time": "2026-11-25T10:00:00Z",
     "data": {"contract_id": "C-7", "invoice": {
         "week_start": "2026-11-16", "hours": "41.75", "amount": "1187.53", "status": "available",
         "available_at": "2026-11-24"}}},
    {"id": "evt_4", "type": "link_code.issued", "time": "2026-11-25T10:00:00Z",
     "data": {"account_id": "acc-a", "code": "HJKLM-N2P3Q"}},
    {"id": "evt_5", "type": "milestone.paid", "time": "2026-11-25T10:00:00Z",
     "data": {"contract_id": "C-7", "seq": 3, "available_at": "2026-12-01"}},
]


def _parsed_or_refused(raw: bytes) -> None:
    try:
        parse_event(raw)
    except WebhookRejected as refusal:
        assert refusal.status == 400
        assert 0 < len(refusal.reason) <= 1000, refusal.reason[:300]
        assert not [p for p in PRIVATE if p in refusal.reason], refusal.reason


@given(event=st.sampled_from(EVENTS).flatmap(mutations))
def test_an_event_with_any_part_replaced_parses_or_is_refused_without_quoting_private_data(
    event: Any,
) -> None:
    _parsed_or_refused(json.dumps(event).encode())


@given(raw=st.one_of(st.binary(max_size=400), messages().map(
    lambda text: text.encode("utf-8", "surrogatepass")), json_values().map(
    lambda doc: json.dumps(doc).encode())))
def test_any_body_parses_or_is_refused_with_400(raw: bytes) -> None:
    _parsed_or_refused(raw)


@given(stamp=st.one_of(st.none(), messages(max_pieces=3), st.integers().map(str)),
       signature=st.one_of(st.none(), messages(max_pieces=3),
                           st.text("0123456789abcdef", max_size=70).map("sha256=".__add__)),
       body=st.binary(max_size=100))
def test_any_signature_headers_are_refused_with_401_unless_they_sign_the_body(
    stamp: str | None, signature: str | None, body: bytes,
) -> None:
    try:
        verify_signature("whsec_fuzz", stamp, signature, body, NOW)
    except WebhookRejected as refusal:
        assert refusal.status == 401
    else:
        assert stamp is not None and signature is not None
        assert sign("whsec_fuzz", stamp.strip(), body) in signature.lower()
