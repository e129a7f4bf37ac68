"""A real `forumbot serve` process: its logs keep secrets out, and SIGTERM loses nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.contracts.linking import new_code
from bot.contracts.webhook import sign
from bot.storage.database import make_engine
from bot.storage.models import ContractRow, WebhookEventRow
from tests.serve_process import free_port

SECRET = "whsec_Zq81operationsSECRET"
DB_PASSWORD = "pw_Kx93notForLogs"


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {"X-Forumbot-Timestamp": stamp,
            "X-Forumbot-Signature": f"sha256={sign(secret, stamp, body)}"}


@dataclass
class Served:
    """A serve process, its address and the file its output goes to."""

    process: subprocess.Popen[bytes]
    base: str
    port: int
    output: Path

    def log(self) -> str:
        return self.output.read_text(encoding="utf-8", errors="replace")

    def post(self, event: dict[str, Any], secret: str = SECRET) -> httpx.Response:
        body = json.dumps(event).encode()
        return httpx.post(f"{self.base}/hooks/marketplace", content=body,
                          headers=_signed(body, secret), timeout=30)

    def wait_for(self, text: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while text not in self.log():
            assert time.monotonic() < deadline, f"no {text!r} in:\n{self.log()}"
            time.sleep(0.05)

    def stop(self) -> int:
        """SIGTERM, and the exit status once it has shut down."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Any]:
    """Start `forumbot serve` with extra environment; every process is ended afterwards."""
    started: list[Served] = []

    def start(env: dict[str, str]) -> Served:
        port = free_port()
        output = tmp_path / f"serve-{port}.log"
        with output.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-m", "adapters.cli.main", "serve", "--port", str(port)],
                env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT)
        served = Served(process, f"http://127.0.0.1:{port}", port, output)
        started.append(served)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{served.base}/readyz").status_code == 200:
                    return served
            except httpx.TransportError:
                pass
            assert process.poll() is None, served.log()
            assert time.monotonic() < deadline, served.log()
            time.sleep(0.05)

    yield start
    for served in started:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()


def _forumbot(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adapters.cli.main", *args],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120, check=False)


def _event(event_id: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event sent now (a link code's lifetime counts from the event's time)."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    return {"id": event_id, "type": kind, "time": now, "data": data}


ANN_NAME, CLIFF_NAME = "Annelise Vortmann", "Cliffordia Brandquist"
TITLE, MILESTONE, AMOUNT = "Zanzibar packaging redesign", "Quillwort sketches", "4321.98"
CONTRACT = {
    "id": "C-7731", "title": TITLE, "type": "fixed", "client": "acc-cliff",
    "freelancer": "acc-ann", "status": "active", "started_at": "2026-10-01", "currency": "USD",
    "milestones": [{"seq": 1, "title": MILESTONE, "amount": AMOUNT, "status": "not_funded"},
                   {"seq": 2, "title": "Marzipan final files", "amount": "8765.43",
                    "status": "funded", "funded_at": "2026-11-20"}]}
ACCOUNTS = [{"id": "acc-ann", "name": ANN_NAME, "role": "freelancer"},
            {"id": "acc-cliff", "name": CLIFF_NAME, "role": "client"}]
MEMBER_TEXT = "my iban is DE89370400440532013000 and Bob Secretname owes me, why pending"


@pytest.mark.slow
def test_a_full_run_with_json_logs_never_logs_a_secret_or_a_members_data(
    tmp_path: Path, postgres_database: str, serve: Any,
) -> None:
    url = postgres_database.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)
    env = {"FORUMBOT_DATA_DIR": str(tmp_path / "data"), "FORUMBOT_DATABASE_URL": url,
           "FORUMBOT_WEBHOOK_SECRET": SECRET, "FORUMBOT_LOG_FORMAT": "json",
           "FORUMBOT_LOG_LEVEL": "DEBUG"}
    server = serve(env)
    webhook_code = new_code()
    replies: list[str] = []
    answers: list[str] = []
    logs: list[str] = []

    def ask(user: str, text: str) -> str:
        done = _forumbot(env, "ask", "--user", user, text)
        assert done.returncode == 0, done.stderr
        logs.append(done.stderr)
        return done.stdout

    created = server.post(_event("evt_created", "contract.created",
                                 {"contract": CONTRACT, "accounts": ACCOUNTS}))
    assert created.json() == {"status": "applied"}
    issued = server.post(_event("evt_code", "link_code.issued",
                                {"account_id": "acc-ann", "code": webhook_code}))
    assert issued.json() == {"status": "applied"}
    assert "linked" in ask("ann", f"link {webhook_code}").lower()
    printed = _forumbot(env, "link-code", "acc-cliff")
    replies.append(printed.stderr)  # a note for the operator, not a log line
    cliff_code = printed.stdout.strip()
    assert "linked" in ask("cliff", f"link {cliff_code.replace('-', '')}").lower()
    answers.append(ask("ann", "was my zanzibar milestone funded?"))
    answers.append(ask("ann", "contract status C-7731"))
    assert TITLE in "".join(answers)  # the member's own data reaches the member, privately

    # The errors: a wrong code, a stranger's contract, a member's personal words, and bad events.
    wrong_code = new_code()
    replies.append(ask("mallory", f"link {wrong_code}"))
    replies.append(ask("mallory", "contract status C-7731"))
    replies.append(ask("ann", MEMBER_TEXT))
    bad = [
        server.post(_event("evt_bad_sig", "milestone.funded",
                           {"contract_id": "C-7731", "seq": 1}), secret="not-the-secret"),
        server.post(_event("evt_bad_amount", "milestone.created", {
            "contract_id": "C-7731", "milestone": {"seq": 3, "title": "Xylophone deck",
                                                   "amount": "-5555.12", "status": "funded"}})),
        server.post(_event("evt_bad_code", "link_code.issued",
                           {"account_id": "acc-ann", "code": "QQQ"})),
        server.post(_event("evt_unknown", "milestone.funded",
                           {"contract_id": "C-9999", "seq": 1})),
        server.post(_event("evt_409", "milestone.paid", {"contract_id": "C-7731", "seq": 2,
                                                         "available_at": "2026-12-01"})),
    ]
    assert [r.status_code for r in bad] == [401, 400, 400, 404, 409]
    replies.extend(r.text for r in bad)
    funded = server.post(_event("evt_funded", "milestone.funded",
                                {"contract_id": "C-7731", "seq": 1}))
    assert funded.json() == {"status": "applied"}
    # A stranger's path and query: a bidirectional override, a name and the secret.
    stranger = httpx.get(f"{server.base}/%E2%80%AEMarzipan?token={SECRET}")
    assert stranger.status_code == 404
    metrics = httpx.get(f"{server.base}/metrics").text
    assert 'forumbot_webhook_requests_total{result="refused",status="409"} 1.0' in metrics
    assert server.stop() in (0, -signal.SIGTERM)
    logs.append(server.log())

    secrets = [SECRET, DB_PASSWORD, webhook_code, webhook_code.replace("-", ""),
               *webhook_code.split("-"), cliff_code, cliff_code.replace("-", ""),
               *cliff_code.split("-"), wrong_code.replace("-", ""), *wrong_code.split("-"),
               ANN_NAME, "Annelise", CLIFF_NAME, "Brandquist", TITLE, "Zanzibar", MILESTONE,
               "Quillwort", "Marzipan", "Xylophone", AMOUNT, "4321", "8765", "5555",
               "DE89370400440532013000", "Secretname", "why pending", "\u202e", "\\u202e"]
    every_log = "\n".join(logs)
    lines = [line for line in every_log.splitlines() if line.strip()]
    assert any("webhook event evt_funded (milestone.funded): applied" in line for line in lines)
    assert any('"logger": "uvicorn' in line for line in lines)  # the server's own lines too
    assert any('GET (another path)' in line for line in lines)  # the stranger's request
    for line in lines:
        if line.startswith("forumbot serve:"):  # the start line printed for the operator
            continue
        record = json.loads(line)  # every log line is one JSON object
        assert {"time", "level", "logger", "message"} <= record.keys(), line
    for text in [every_log, metrics, *replies]:
        # A number counts where it stands alone: metrics and timestamps hold other digits.
        found = [s for s in secrets if re.search(
            rf"(?<!\d){re.escape(s)}(?!\d)" if s.isdigit() else re.escape(s), text, re.I)]
        assert not found, (found, text[:2000])


@pytest.mark.slow
def test_sigterm_lets_the_request_in_flight_finish_and_takes_no_new_one(
    tmp_path: Path, serve: Any,
) -> None:
    database = tmp_path / "forumbot.db"
    server = serve({"FORUMBOT_DATA_DIR": str(tmp_path / "data"),
                    "FORUMBOT_DATABASE_URL": f"sqlite+pysqlite:///{database}",
                    "FORUMBOT_WEBHOOK_SECRET": SECRET, "FORUMBOT_LOG_LEVEL": "INFO"})
    body = json.dumps(_event("evt_in_flight", "contract.created",
                             {"contract": CONTRACT, "accounts": ACCOUNTS})).encode()
    head = "".join(f"{k}: {v}\r\n" for k, v in {
        **_signed(body), "Host": "forumbot", "Content-Type": "application/json",
        "Content-Length": str(len(body)), "Expect": "100-continue"}.items())
    with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
        sock.sendall(f"POST /hooks/marketplace HTTP/1.1\r\n{head}\r\n".encode())
        # "100 Continue" comes when the webhook's handler starts reading the body: in flight.
        assert sock.recv(1024).startswith(b"HTTP/1.1 100")
        sock.sendall(body[:len(body) // 2])
        server.process.send_signal(signal.SIGTERM)
        server.wait_for("Waiting for connections to close")
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.base}/healthz")
        sock.sendall(body[len(body) // 2:])
        response = b""
        while chunk := sock.recv(65536):
            response += chunk
    assert response.startswith(b"HTTP/1.1 200"), response
    assert response.endswith(b'{"status":"applied"}'), response
    assert server.process.wait(timeout=60) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in server.log()

    engine = make_engine(f"sqlite+pysqlite:///{database}")
    with Session(engine) as session:
        assert list(session.scalars(select(WebhookEventRow.id))) == ["evt_in_flight"]
        assert list(session.scalars(select(ContractRow.id))) == ["C-7731"]
    engine.dispose()
