"""A database outage, for real: PostgreSQL behind a TCP proxy (tests/tcp_proxy.py) that the test
stops and restarts."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from datetime import UTC, datetime

import anyio
import httpx
import pytest
from sqlalchemy import make_url

from adapters.http_app import create_http_app
from bot.app import App
from bot.contracts.importing import dataset_from_json
from bot.contracts.linking import LinkOutcome
from bot.contracts.webhook import sign
from bot.messages import Incoming, Reply
from bot.storage import database
from tests.tcp_proxy import TcpProxy

MEMBER = "console:alice"
MODERATOR = "console:ana"
FAQ_QUESTION = "how does escrow work"
SEED = {
    "accounts": [{"id": "acc-alice", "name": "Alice Moreau", "role": "freelancer"},
                 {"id": "acc-bram", "name": "Bram Industries", "role": "client"}],
    "contracts": [{"id": "C-1001", "title": "Logo and brand kit", "type": "fixed",
                   "client": "acc-bram", "freelancer": "acc-alice", "status": "active",
                   "started_at": "2026-10-01", "currency": "USD", "milestones": [
                       {"seq": 1, "title": "Sketches", "amount": "50.00",
                        "status": "not_funded"}]}],
}


def _webhook(app: App) -> httpx.Response:
    """One signed event posted to the app's webhook, in process."""
    body = json.dumps({"id": "evt_1", "type": "milestone.funded", "time": "2026-11-25T10:00:00Z",
                       "data": {"contract_id": "C-1001", "seq": 1}}).encode()
    stamp = str(int(time.time()))
    headers = {"X-Forumbot-Timestamp": stamp,
               "X-Forumbot-Signature": f"sha256={sign('s', stamp, body)}"}

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_http_app(app, "s"))
        async with httpx.AsyncClient(transport=transport, base_url="http://forumbot") as http:
            return await http.post("/hooks/marketplace", content=body, headers=headers)

    return anyio.run(send)


def ask(app: App, text: str, user: str = MEMBER) -> Reply:
    return app.assistant.handle(Incoming(text, user, moderator=user == MODERATOR))


def test_while_the_database_is_away_faq_questions_are_answered_and_the_rest_waits(
    make_app: Callable[..., App], proxy: tuple[TcpProxy, str],
) -> None:
    tcp, url = proxy
    app = make_app(url)
    app.contracts.import_dataset(dataset_from_json(json.dumps(SEED)))
    now = datetime.now(UTC)
    code = app.links.issue_code("acc-alice", now)
    assert app.links.redeem(MEMBER, "console", code, now).outcome is LinkOutcome.LINKED
    answer = ask(app, FAQ_QUESTION)
    assert answer.template == "answer"
    assert ask(app, "contracts").template == "contract_list"

    tcp.stop()
    time.sleep(1.1)  # past the FAQ's revision poll, which now finds no database
    for _ in range(3):
        assert ask(app, FAQ_QUESTION) == answer
    for personal in ("contracts", "was my milestone funded?", "link K7PQM-R2XWN"):
        reply = ask(app, personal)
        assert reply.template == "error", personal
        assert "temporarily unavailable" in reply.context["message"]
    edit = ask(app, 'faq alias escrow-basics how does the safe deposit work', MODERATOR)
    assert edit.template == "error" and "temporarily unavailable" in edit.context["message"]
    assert ask(app, "what is the weather on mars").template == "decline"
    assert _webhook(app).status_code == 503


    tcp.start()
    assert ask(app, "contracts").template == "contract_list"
    assert ask(app, FAQ_QUESTION) == answer


def test_while_another_process_holds_sqlites_write_lock_faq_questions_are_answered_and_writes_wait(
    make_app: Callable[..., App], sqlite_database: str, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = make_app(sqlite_database)
    app.contracts.import_dataset(dataset_from_json(json.dumps(SEED)))
    answer = ask(app, FAQ_QUESTION)
    monkeypatch.setattr(database, "_BUSY_SECONDS", 0.2)  # SQLite's busy wait, cut short
    holder = sqlite3.connect(str(make_url(sqlite_database).database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a backup or another process, holding on too long
    try:
        assert ask(app, FAQ_QUESTION) == answer
        linked = ask(app, "link K7PQM-R2XWN")
        edit = ask(app, 'faq alias escrow-basics how does the safe deposit work', MODERATOR)
        webhook = _webhook(app)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for reply in (linked, edit):
        assert reply.template == "error" and "temporarily unavailable" in reply.context["message"]
    assert webhook.status_code == 503
    assert 'File "' not in caplog.text  # one line each, no traceback
    assert ask(app, FAQ_QUESTION) == answer
