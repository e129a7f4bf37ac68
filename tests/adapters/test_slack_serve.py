"""`forumbot serve` starts Slack when its variables are set: the whole command in a
subprocess, against a fake Slack on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
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
from tests.serve_process import free_port, start_serve, stop, wait_healthy


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    stop = fake.start()
    yield fake
    stop()


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
    port = free_port()
    server, base = start_serve(tmp_path, {
        "FORUMBOT_DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": "", "SLACK_API_URL": fake.api_url,
        "FORUMBOT_LOG_LEVEL": "INFO"}, port)
    try:
        wait_healthy(server, base, within=20)
        body = json.dumps(mention_event(f"<@{BOT_USER}> who sets the milestones?"))
        response = httpx.post(f"{base}/slack/events", content=body,
                              headers={"Content-Type": "application/json"} |
                              signed_headers(body))
        assert response.status_code == 200
        posts = fake.wait_for("chat.postMessage", 2)
        assert sorted(p["channel"] for p in posts) == ["CGENERAL", "DUALICE"]
    finally:
        stop(server)
    output = (tmp_path / f"serve-{port}.log").read_text()
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
