"""The webhook over HTTP: the real Starlette app, signed requests, SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session
from starlette.types import ASGIApp

from adapters.http_app import create_http_app
from bot.app import App
from bot.contracts.importing import dataset_from_json
from bot.contracts.linking import LinkOutcome
from bot.contracts.model import Contract, MilestoneStatus
from bot.contracts.webhook import parse_event, sign
from bot.contracts.webhook_events import ContractSnapshot
from bot.messages import Reply
from bot.storage.event_store import SqlEventStore
from bot.storage.models import NotificationRow, WebhookEventRow
from tests.serve_process import free_port, start_serve, stop, wait_healthy

SECRET = "whsec_for_tests"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
STAMP = str(int(NOW.timestamp()))
ALICE, BRAM, CAROL = "slack:T1/UALICE", "console:bram", "slack:T1/UCAROL"
TITLE, AMOUNT = "Logo and brand kit", "150.00"

SEED = {
    "accounts": [{"id": "acc-alice", "name": "Alice Moreau", "role": "freelancer"},
                 {"id": "acc-bram", "name": "Bram Industries", "role": "client"},
                 {"id": "acc-carol", "name": "Carol Ng", "role": "freelancer"}],
    "contracts": [
        {"id": "C-1001", "title": TITLE, "type": "fixed", "client": "acc-bram",
         "freelancer": "acc-alice", "status": "active", "started_at": "2026-10-01",
         "currency": "USD", "milestones": [
             {"seq": 1, "title": "Sketches", "amount": "50.00", "status": "not_funded"},
             {"seq": 2, "title": "Final files", "amount": AMOUNT, "status": "funded",
              "funded_at": "2026-11-20"},
             {"seq": 3, "title": "Brand guide", "amount": "300.00", "status": "approved",
              "approved_at": "2026-11-22"}]},
        {"id": "C-1002", "title": "Weekly bookkeeping", "type": "hourly", "client": "acc-bram",
         "freelancer": "acc-alice", "status": "active", "started_at": "2026-11-02",
         "currency": "USD", "hourly": {"rate": "30.00", "invoices": [
             {"week_start": "2026-11-16", "hours": "7.5", "amount": "225.00",
              "status": "pending", "available_at": "2026-11-30"}]}},
    ],
}


class Client:
    """Requests to the ASGI app in process (starlette's TestClient wants the httpx2 package)."""

    def __init__(self, asgi: ASGIApp) -> None:
        self._asgi = asgi

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://forumbot") as http:
                return await http.request(method, path, **options)

        return anyio.run(send)

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    def post(self, path: str, **options: Any) -> httpx.Response:
        return self.request("POST", path, **options)


def event(kind: str, data: dict[str, Any], event_id: str = "evt_1") -> dict[str, Any]:
    """An event envelope at NOW."""
    return {"id": event_id, "type": kind, "time": "2026-11-25T10:00:00Z", "data": data}


def signed(raw: bytes, secret: str = SECRET, stamp: str = STAMP) -> dict[str, str]:
    """The signature headers for `raw`."""
    return {"X-Forumbot-Timestamp": stamp,
            "X-Forumbot-Signature": f"sha256={sign(secret, stamp, raw)}"}


def post(client: Client, body: dict[str, Any], **signing: str) -> httpx.Response:
    """POST one signed event."""
    raw = json.dumps(body).encode()
    return client.post("/hooks/marketplace", content=raw, headers=signed(raw, **signing))


def notifications(app: App) -> list[tuple[str, str, str]]:
    """(identity, event, role) of every stored notification, oldest first."""
    with Session(app.engine) as session:
        rows = session.scalars(select(NotificationRow).order_by(NotificationRow.id))
        return [(r.identity, r.context["event"], r.context["role"]) for r in rows]


def stored_state(app: App) -> tuple[list[str], list[tuple[str, str, str]], list[Contract]]:
    """Event ids, notifications and contracts: what a refused request must leave alone."""
    with Session(app.engine) as session:
        ids = list(session.scalars(select(WebhookEventRow.id).order_by(WebhookEventRow.id)))
    return ids, notifications(app), app.contracts.contracts_of("acc-alice")


def status_of(app: App, contract_id: str, seq: int) -> MilestoneStatus:
    contract = app.contracts.contract(contract_id)
    assert contract is not None
    return next(m.status for m in contract.milestones if m.seq == seq)


def funded(seq: int = 1, event_id: str = "evt_1") -> dict[str, Any]:
    return event("milestone.funded", {"contract_id": "C-1001", "seq": seq}, event_id)


@pytest.fixture
def served(make_app: Callable[..., App], database_url: str) -> App:
    """An app with two contracts; Alice, Bram and Carol linked with notifications on."""
    app = make_app(database_url)
    app.contracts.import_dataset(dataset_from_json(json.dumps(SEED)))
    for identity, account in ((ALICE, "acc-alice"), (BRAM, "acc-bram"), (CAROL, "acc-carol")):
        code = app.links.issue_code(account, NOW)
        platform = identity.split(":")[0]
        assert app.links.redeem(identity, platform, code, NOW).outcome is LinkOutcome.LINKED
    return app


@pytest.fixture
def client(served: App) -> Client:
    return Client(create_http_app(served, SECRET, clock=lambda: NOW))


def test_a_funded_milestone_is_stored_and_each_linked_party_is_told(
    served: App, client: Client,
) -> None:
    response = post(client, funded())
    assert (response.status_code, response.json()) == (200, {"status": "applied"})
    contract = served.contracts.contract("C-1001")
    assert contract is not None
    assert contract.milestones[0].status is MilestoneStatus.FUNDED
    assert contract.milestones[0].funded_at == NOW
    assert notifications(served) == [(BRAM, "milestone_funded", "client"),
                                     (ALICE, "milestone_funded", "freelancer")]
    with Session(served.engine) as session:
        row = session.scalars(
            select(NotificationRow).where(NotificationRow.identity == ALICE)).one()
        assert (row.platform, row.template, row.status) == ("slack", "notification", "pending")
        text = served.renderer.render(Reply(row.template, row.context), "slack")
    assert text.startswith("Update on Logo and brand kit (C-1001): Milestone 1, Sketches, $50: "
                           "funded on Nov 25, 2026: the money is in escrow. You can start work.")


def test_a_replayed_event_is_acknowledged_and_not_applied_twice(
    served: App, client: Client,
) -> None:
    assert post(client, funded()).json() == {"status": "applied"}
    again = post(client, funded())
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    same_id_other_change = post(client, funded(seq=2))
    assert same_id_other_change.json() == {"status": "duplicate"}
    assert len(notifications(served)) == 2
    assert status_of(served, "C-1001", 2) is MilestoneStatus.FUNDED


@pytest.mark.parametrize("signing", [{"secret": "not the secret"},
                                     {"stamp": str(int(NOW.timestamp()) - 301)},
                                     {"stamp": str(int(NOW.timestamp()) + 301)}])
def test_a_bad_signature_or_a_stale_timestamp_is_401_and_stores_nothing(
    served: App, client: Client, signing: dict[str, str],
) -> None:
    before = stored_state(served)
    response = post(client, funded(), **signing)
    assert response.status_code == 401 and "error" in response.json()
    assert stored_state(served) == before


@pytest.mark.parametrize(("signing", "check"), [
    ({"secret": "not the secret"}, "X-Forumbot-Signature: not sha256=<hex>"),
    ({"stamp": str(int(NOW.timestamp()) - 301)}, "X-Forumbot-Timestamp: more than 5 minutes"),
])
def test_the_log_line_of_a_401_names_the_check_that_failed_and_no_secret(
    served: App, client: Client, caplog: pytest.LogCaptureFixture, signing: dict[str, str],
    check: str,
) -> None:
    caplog.set_level(logging.WARNING)
    assert post(client, funded(), **signing).status_code == 401
    (line,) = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert line.startswith("webhook request refused: 401 ") and check in line
    assert "not the secret" not in caplog.text and SECRET not in caplog.text


def test_an_unsigned_request_is_401(served: App, client: Client) -> None:
    before = stored_state(served)
    response = client.post("/hooks/marketplace", json=funded())
    assert response.status_code == 401
    assert response.json() == {"error": "missing the X-Forumbot-Timestamp or "
                                        "X-Forumbot-Signature header"}
    assert stored_state(served) == before


def test_a_malformed_event_is_400_with_its_reason_and_stores_nothing(
    served: App, client: Client,
) -> None:
    before = stored_state(served)
    response = post(client, event("milestone.created", {"contract_id": "C-1001", "milestone": {
        "seq": 4, "title": "Extras", "amount": "20.00", "status": "payed"}}))
    assert response.status_code == 400
    assert response.json()["error"].startswith(
        "data.milestone.status: 'payed' is not one of not_funded, funded, submitted")
    assert stored_state(served) == before


def test_invisible_or_direction_changing_characters_in_an_event_are_400_and_never_logged(
    served: App, client: Client, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    before = stored_state(served)
    turned = post(client, funded(event_id="evt_\u202e1tve"))
    assert (turned.status_code, turned.json()["error"]) == (
        400, "id: contains an invisible or direction-changing character (U+202E)")
    hidden = post(client, event("milestone.created", {"contract_id": "C-1001", "milestone": {
        "seq": 4, "title": "Extras\u200b", "amount": "20.00", "status": "not_funded"}}, "evt_7"))
    assert hidden.status_code == 400 and hidden.json()["error"].startswith("data.milestone.title")
    assert stored_state(served) == before
    assert "\u202e" not in caplog.text and "\u200b" not in caplog.text


def test_a_contract_event_cannot_rename_an_account_outside_the_contract(
    served: App, client: Client,
) -> None:
    before = stored_state(served)
    renamed = post(client, event("contract.updated", {
        "contract": SEED["contracts"][0],
        "accounts": [{"id": "acc-carol", "name": "Mallory", "role": "freelancer"}]}))
    assert renamed.status_code == 400
    assert renamed.json()["error"].startswith(
        "data.accounts[0].id: 'acc-carol' is not a party of contract 'C-1001'")
    carol = served.contracts.account("acc-carol")
    assert carol is not None and carol.name == "Carol Ng"
    assert stored_state(served) == before


def test_moving_a_contract_to_other_parties_needs_its_own_event_type(
    served: App, client: Client,
) -> None:
    to_carol = {**SEED["contracts"][0], "freelancer": "acc-carol"}
    silent = post(client, event("contract.updated", {"contract": to_carol}))
    assert silent.status_code == 409
    assert "contract.parties_changed" in silent.json()["error"]
    assert [c.id for c in served.contracts.contracts_of("acc-carol")] == []
    moved = post(client, event("contract.parties_changed", {"contract": to_carol}, "evt_2"))
    assert moved.json() == {"status": "applied"}
    assert [c.id for c in served.contracts.contracts_of("acc-carol")] == ["C-1001"]
    assert "C-1001" not in [c.id for c in served.contracts.contracts_of("acc-alice")]
    unknown = post(client, event("contract.parties_changed", {
        "contract": {**to_carol, "id": "C-9999"}}, "evt_3"))
    assert unknown.status_code == 404


def test_a_move_the_milestone_cannot_make_is_409_and_applies_once_its_cause_is_gone(
    served: App, client: Client,
) -> None:
    before = stored_state(served)
    paid = event("milestone.paid", {"contract_id": "C-1001", "seq": 2,
                                    "available_at": "2026-12-01"}, "evt_paid")
    refused = post(client, paid)
    assert (refused.status_code, refused.json()) == (409, {"error": (
        "milestone 2 of contract 'C-1001' is funded; it cannot become paid "
        "(it can become refunded, submitted)")})
    assert stored_state(served) == before
    for step, kind in enumerate(("milestone.submitted", "milestone.approved")):
        data = {"contract_id": "C-1001", "seq": 2}
        assert post(client, event(kind, data, f"evt_{step}")).json() == {"status": "applied"}
    assert post(client, paid).json() == {"status": "applied"}
    assert status_of(served, "C-1001", 2) is MilestoneStatus.PAID


def test_an_event_for_an_unknown_contract_is_404_and_stores_nothing(
    served: App, client: Client,
) -> None:
    before = stored_state(served)
    response = post(client, event("contract.ended", {"contract_id": "C-404",
                                                     "ended_at": "2026-11-25"}))
    assert (response.status_code, response.json()) == (
        404, {"error": "data.contract_id: there is no contract 'C-404'"})
    assert stored_state(served) == before


def test_a_member_with_notifications_off_is_not_told_nor_is_anyone_outside_the_contract(
    served: App, client: Client,
) -> None:
    served.links.set_notify(ALICE, False)
    assert post(client, funded()).status_code == 200
    assert notifications(served) == [(BRAM, "milestone_funded", "client")]


@pytest.mark.parametrize(("available_at", "told"), [("2026-11-24", "payment_available"),
                                                    ("2026-11-30", "milestone_paid")])
def test_a_paid_milestone_tells_whether_the_money_is_available_yet(
    served: App, client: Client, available_at: str, told: str,
) -> None:
    response = post(client, event("milestone.paid", {"contract_id": "C-1001", "seq": 3,
                                                     "available_at": available_at}))
    assert response.status_code == 200
    assert notifications(served) == [(BRAM, told, "client"), (ALICE, told, "freelancer")]


def test_a_refunded_milestone_is_told(served: App, client: Client) -> None:
    response = post(client, event("milestone.refunded", {"contract_id": "C-1001", "seq": 2}))
    assert response.status_code == 200
    assert status_of(served, "C-1001", 2) is MilestoneStatus.REFUNDED
    assert [n[1] for n in notifications(served)] == ["milestone_refunded"] * 2


def test_an_hourly_invoice_becoming_available_is_told(served: App, client: Client) -> None:
    invoice = {"week_start": "2026-11-16", "hours": "7.5", "amount": "225.00",
               "status": "available", "available_at": "2026-11-24"}
    data = {"contract_id": "C-1002", "invoice": invoice}
    assert post(client, event("hourly_invoice.updated", data)).status_code == 200
    contract = served.contracts.contract("C-1002")
    assert contract is not None and contract.invoices[0].status.value == "available"
    assert [n[1] for n in notifications(served)] == ["payment_available"] * 2


def test_contracts_created_updated_and_ended_by_the_webhook_are_what_the_store_returns(
    served: App, client: Client,
) -> None:
    contract = {"id": "C-2001", "title": "Site copy", "type": "fixed", "client": "acc-erin",
                "freelancer": "acc-carol", "status": "active", "started_at": "2026-11-24",
                "currency": "EUR", "milestones": [
                    {"seq": 1, "title": "Home page", "amount": "80.00", "status": "funded"},
                    {"seq": 2, "title": "About page", "amount": "40.00", "status": "not_funded"}]}
    erin = {"id": "acc-erin", "name": "Erin Shop", "role": "client"}
    without_erin = post(client, event("contract.created", {"contract": contract}, "evt_a"))
    assert (without_erin.status_code, without_erin.json()) == (404, {"error": (
        "data.contract.client: 'acc-erin' is not an account in this event or in the database")})
    created = post(client, event("contract.created", {"contract": contract, "accounts": [erin]},
                                 "evt_b"))
    assert created.json() == {"status": "applied"}
    expected = parse_event(json.dumps(event("contract.created", {"contract": contract})).encode())
    assert isinstance(expected.change, ContractSnapshot)
    assert served.contracts.contract("C-2001") == expected.change.contract
    assert notifications(served) == [(CAROL, "milestone_funded", "freelancer")]

    contract["milestones"] = contract["milestones"][:1]
    assert post(client, event("contract.updated", {"contract": contract}, "evt_c")).json() == \
        {"status": "applied"}
    stored = served.contracts.contract("C-2001")
    assert stored is not None and [m.seq for m in stored.milestones] == [1]
    assert post(client, event("contract.ended", {"contract_id": "C-2001",
                                                 "ended_at": "2026-11-25"}, "evt_d")).json() == \
        {"status": "applied"}
    stored = served.contracts.contract("C-2001")
    assert stored is not None and stored.status.value == "ended"
    assert len(notifications(served)) == 1


def test_a_link_code_from_the_webhook_links_the_member_who_sends_it(
    served: App, client: Client,
) -> None:
    issued = event("link_code.issued", {"account_id": "acc-carol", "code": "K7PQM-R2XWN"})
    assert post(client, issued).json() == {"status": "applied"}
    redeemed = served.links.redeem("discord:42", "discord", "k7pqm r2xwn", NOW)
    assert (redeemed.outcome, redeemed.account_id) == (LinkOutcome.LINKED, "acc-carol")
    unknown = event("link_code.issued", {"account_id": "acc-nobody", "code": "K7PQM-R2XWN"},
                    "evt_2")
    assert post(client, unknown).status_code == 404


def test_a_link_code_expires_fifteen_minutes_after_the_servers_clock_whatever_the_event_says(
    served: App, client: Client,
) -> None:
    future = {"id": "evt_2099", "type": "link_code.issued", "time": "2099-01-01T00:00:00Z",
              "data": {"account_id": "acc-carol", "code": "K7PQM-R2XWN"}}
    assert post(client, future).json() == {"status": "applied"}
    late = served.links.redeem("discord:42", "discord", "K7PQM-R2XWN",
                               NOW + timedelta(minutes=15))
    assert late.outcome is LinkOutcome.WRONG
    on_time = served.links.redeem("discord:42", "discord", "K7PQM-R2XWN",
                                  NOW + timedelta(minutes=14))
    assert on_time.outcome is LinkOutcome.LINKED


def test_two_replicas_receiving_one_event_at_once_apply_it_once(
    served: App, make_app: Callable[..., App],
) -> None:
    other = make_app(str(served.engine.url.render_as_string(hide_password=False)))
    parsed = parse_event(json.dumps(funded()).encode())
    start = threading.Barrier(2)
    results: list[bool] = []

    def receive(app: App) -> None:
        start.wait()
        results.append(SqlEventStore(app.engine).apply(parsed, NOW))

    threads = [threading.Thread(target=receive, args=(a,)) for a in (served, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
    assert len(notifications(served)) == 2


def test_the_health_check_answers_ok_and_readiness_is_503_without_a_database(
    served: App, client: Client, tmp_path: Path,
) -> None:
    for path in ("/healthz", "/readyz"):
        assert (client.get(path).status_code, client.get(path).json()) == \
            (200, {"status": "ok"})
    broken = dataclasses.replace(
        served, engine=create_engine(f"sqlite:///{tmp_path}/missing/dir/forumbot.db"))
    down = Client(create_http_app(broken, SECRET, clock=lambda: NOW))
    response = down.get("/readyz")
    assert (response.status_code, response.json()["status"]) == (503, "unavailable")
    assert down.get("/healthz").json() == {"status": "ok"}  # the process itself is fine
    failed = post(down, funded())
    assert (failed.status_code, failed.json()) == (
        500, {"error": "internal error; send the event again later"})
    broken.engine.dispose()


def test_without_a_secret_the_webhook_refuses_every_event_with_503(served: App) -> None:
    response = post(Client(create_http_app(served, None, clock=lambda: NOW)), funded())
    assert response.status_code == 503
    assert "FORUMBOT_WEBHOOK_SECRET" in response.json()["error"]
    assert stored_state(served)[0] == []


def test_a_body_over_the_limit_is_413(served: App) -> None:
    small = Client(create_http_app(served, SECRET, clock=lambda: NOW, max_body=100))
    response = post(small, event("contract.ended", {"contract_id": "C-1001",
                                                    "ended_at": "2026-11-25"}))
    assert (response.status_code, response.json()) == (413,
                                                        {"error": "body: more than 100 bytes"})


def test_logs_and_responses_never_carry_titles_amounts_or_link_codes(
    served: App, client: Client, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    bad_amount = {"seq": 4, "title": "Secret merger deck", "amount": "-98765.43",
                  "status": "funded"}
    requests = [
        funded(),
        event("milestone.created", {"contract_id": "C-1001", "milestone": bad_amount}, "evt_2"),
        event("link_code.issued", {"account_id": "acc-alice", "code": "ZZZZZZ"}, "evt_3"),
        event("link_code.issued", {"account_id": "acc-alice", "code": "K7PQM-R2XWN"}, "evt_4"),
        event("milestone.refunded", {"contract_id": "C-1001", "seq": 2}, "evt_5"),
    ]
    answers = [post(client, body).text for body in requests]
    private = (TITLE, AMOUNT, "150", "Secret merger deck", "98765", "ZZZZZZ", "K7PQM", "R2XWN",
               "Sketches", "Final files")
    for text in [caplog.text, *answers]:
        assert not [word for word in private if word in text], text
    assert "evt_5" in caplog.text and "milestone.refunded" in caplog.text


@pytest.mark.slow
def test_forumbot_serve_takes_a_signed_event_over_http(tmp_path: Path) -> None:
    port = free_port()
    server, base = start_serve(tmp_path, {
        "FORUMBOT_DATABASE_URL": f"sqlite+pysqlite:///{tmp_path}/forumbot.db",
        "FORUMBOT_WEBHOOK_SECRET": SECRET, "FORUMBOT_LOG_LEVEL": "INFO"}, port)
    try:
        wait_healthy(server, base, within=10)
        body = json.dumps(event("contract.created", {
            "contract": SEED["contracts"][0], "accounts": SEED["accounts"][:2]})).encode()
        stamp = str(int(time.time()))
        response = httpx.post(f"{base}/hooks/marketplace", content=body,
                              headers=signed(body, stamp=stamp))
        assert (response.status_code, response.json()) == (200, {"status": "applied"})
    finally:
        stop(server)
    output = (tmp_path / f"serve-{port}.log").read_text()
    # uvicorn shuts the app down, then ends by the signal it was sent, as servers do.
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "Application shutdown complete" in output
    assert "webhook event evt_1 (contract.created): applied" in output
    assert (f"forumbot serve: listening on http://127.0.0.1:{port}; webhook POST "
            "/hooks/marketplace on; platforms: none") in output
    assert SECRET not in output
