"""`GET /metrics`: what an operator's Prometheus reads off one serve process."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from adapters.http_app import create_http_app
from adapters.metrics import Metrics
from bot.app import App, build_app
from bot.contracts.importing import dataset_from_json
from bot.contracts.webhook import sign
from bot.messages import Incoming
from bot.settings import Settings, sqlite_url

SECRET = "whsec_metrics_test"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
DATA = {
    "accounts": [{"id": "acc-a", "name": "Ann Example", "role": "freelancer"},
                 {"id": "acc-c", "name": "Cliff Example", "role": "client"}],
    "contracts": [{"id": "C-1", "title": "Logo", "type": "fixed", "client": "acc-c",
                   "freelancer": "acc-a", "status": "active", "started_at": "2026-10-01",
                   "currency": "USD", "milestones": [
                       {"seq": 1, "title": "Sketches", "amount": "50.00",
                        "status": "not_funded"}]}],
}


class Server:
    """The real Starlette app in process, with a clock the test moves."""

    def __init__(self, app: App, metrics: Metrics) -> None:
        self.now = NOW
        self.asgi = create_http_app(app, SECRET, clock=lambda: self.now, metrics=metrics)

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.asgi)
            async with httpx.AsyncClient(transport=transport, base_url="http://forumbot") as http:
                return await http.request(method, path, **options)

        return anyio.run(send)

    def event(self, body: dict[str, Any], secret: str = SECRET) -> httpx.Response:
        raw = json.dumps(body).encode()
        stamp = str(int(self.now.timestamp()))
        return self.request("POST", "/hooks/marketplace", content=raw, headers={
            "X-Forumbot-Timestamp": stamp,
            "X-Forumbot-Signature": f"sha256={sign(secret, stamp, raw)}"})

    def samples(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        response = self.request("GET", "/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        return {(s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(response.text)
                for s in family.samples}


def value(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def funded(event_id: str) -> dict[str, Any]:
    return {"id": event_id, "type": "milestone.funded", "time": "2026-11-25T10:00:00Z",
            "data": {"contract_id": "C-1", "seq": 1}}


def test_metrics_count_questions_replies_link_failures_webhooks_and_the_outbox(
    tmp_path: Path,
) -> None:
    metrics = Metrics()
    app = build_app(Settings(database_url=sqlite_url(tmp_path / "forumbot.db")), metrics)
    try:
        app.contracts.import_dataset(dataset_from_json(json.dumps(DATA)))
        for identity, account in (("slack:T1/UANN", "acc-a"), ("slack:T1/UCLIFF", "acc-c")):
            app.links.redeem(identity, "slack", app.links.issue_code(account, NOW), NOW)
        server = Server(app, metrics)
        ask = app.assistant.handle
        ask(Incoming("who sets the milestones?", "slack:T1/UANN", platform="slack"))
        ask(Incoming("what is the capital of mongolia and its weather", "slack:T1/UANN",
                     platform="slack"))
        ask(Incoming("link ABCDE-FGHJK", "console:bob"))
        assert server.event(funded("evt_1")).json() == {"status": "applied"}
        assert server.event(funded("evt_1")).json() == {"status": "duplicate"}
        assert server.event(funded("evt_2"), secret="wrong").status_code == 401
        server.now = NOW + timedelta(seconds=90)
        samples = server.samples()
    finally:
        app.engine.dispose()

    questions = "forumbot_questions_total"
    assert value(samples, questions, platform="slack", outcome="answer") == 1
    assert value(samples, questions, platform="slack", outcome="decline") == 1
    assert value(samples, "forumbot_reply_seconds_count", platform="slack") == 2
    assert value(samples, "forumbot_reply_seconds_count", platform="console") == 1
    assert value(samples, "forumbot_link_failures_total", platform="console",
                 reason="wrong") == 1
    webhook = "forumbot_webhook_requests_total"
    assert value(samples, webhook, status="200", result="applied") == 1
    assert value(samples, webhook, status="200", result="duplicate") == 1
    assert value(samples, webhook, status="401", result="refused") == 1
    assert value(samples, "forumbot_webhook_seconds_count") == 3
    assert value(samples, "forumbot_outbox_pending") == 2  # both parties are told
    assert value(samples, "forumbot_outbox_oldest_pending_seconds") == 90


def test_metrics_still_answer_when_the_database_is_away(tmp_path: Path) -> None:
    metrics = Metrics()
    app = build_app(Settings(database_url=sqlite_url(tmp_path / "forumbot.db")), metrics)
    broken = dataclasses.replace(
        app, engine=create_engine(f"sqlite:///{tmp_path}/missing/dir/forumbot.db"))
    try:
        samples = Server(broken, metrics).samples()
    finally:
        app.engine.dispose()
        broken.engine.dispose()
    assert math.isnan(value(samples, "forumbot_outbox_pending"))
    assert math.isnan(value(samples, "forumbot_outbox_oldest_pending_seconds"))
