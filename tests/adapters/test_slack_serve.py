"""`forumbot serve` starts Slack when its variables are set: the whole command in a
subprocess, against a fake Slack on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import Session

from bot.settings import Settings
from bot.storage.database import make_engine, upgrade
from bot.storage.outbox_store import add_notification
from tests.adapters.slack_fake import (
    BOT_USER,
    SECRET,
    FakeSlack,
    mention_event,
    signed_headers,
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    stop = fake.start()
    yield fake
    stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_forumbot_serve_answers_slack_and_sends_notifications_as_direct_messages(
        tmp_path: Path, fake: FakeSlack) -> None:
    url = f"sqlite+pysqlite:///{tmp_path}/forumbot.db"
    engine = make_engine(Settings(database_url=url).database_url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        add_notification(session, "slack:T1/UALICE", "slack", "linked", {"account": "acc-1"},
                         datetime.now(UTC))
    engine.dispose()
    port = _free_port()
    env = {**os.environ, "FORUMBOT_DATA_DIR": str(tmp_path), "FORUMBOT_DATABASE_URL": url,
           "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": fake.api_url, "FORUMBOT_LOG_LEVEL": "INFO"}
    env.pop("SLACK_APP_TOKEN", None)
    server = subprocess.Popen([sys.executable, "-m", "adapters.cli.main", "serve",
                               "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        body = json.dumps(mention_event(f"<@{BOT_USER}> who sets the milestones?"))
        response = httpx.post(f"{base}/slack/events", content=body,
                              headers={"Content-Type": "application/json"} |
                              signed_headers(body))
        assert response.status_code == 200
        posts = fake.wait_for("chat.postMessage", 2)
        assert sorted(p["channel"] for p in posts) == ["CGENERAL", "DUALICE"]
    finally:
        server.terminate()
        output = server.communicate(timeout=20)[0].decode()
    assert server.returncode in (0, -signal.SIGTERM), output
    assert "who sets" not in output and "acc-1" not in output


@pytest.mark.slow
def test_a_half_configured_slack_stops_serve_with_the_variable_named(tmp_path: Path) -> None:
    env = {**os.environ, "FORUMBOT_DATA_DIR": str(tmp_path), "SLACK_BOT_TOKEN": "xoxb-test"}
    for key in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "FORUMBOT_DATABASE_URL"):
        env.pop(key, None)
    done = subprocess.run([sys.executable, "-m", "adapters.cli.main", "serve", "--port", "0"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "SLACK_SIGNING_SECRET" in done.stderr and "xoxb-test" not in done.stderr
