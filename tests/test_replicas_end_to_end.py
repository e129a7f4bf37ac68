"""Several processes on one PostgreSQL behave as one assistant, proven with real processes.

Two `forumbot serve` replicas start at the same moment on an empty database; console
sessions (`forumbot chat`, `forumbot ask`) are the processes members and moderators talk to,
and the Slack and Discord cases run their own adapters against local fakes.
"""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from bot.storage.database import SCHEMA_REVISION
from tests.serve_process import signed_post, start_serve, stop, wait_healthy

SECRET = "whsec_replicas"
CODE = "K7PQM-R2XWN"
pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _iso(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def _event(event_id: str, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": event_id, "type": kind, "time": _iso(datetime.now(UTC)), "data": data}


def _contract(milestones: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": "C-1", "title": "Logo and brand kit", "type": "fixed", "client": "acc-bram",
            "freelancer": "acc-alice", "status": "active", "started_at": "2026-10-01",
            "currency": "USD", "milestones": milestones}


class Cli:
    """Runs `forumbot ...` processes on the test's database."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "adapters.cli.main", *args],
                                env=self.env, text=True, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def run(self, *args: str, stdin: str = "") -> str:
        process = self.popen(*args)
        out, _ = process.communicate(stdin, timeout=60)
        assert process.returncode == 0, out
        return out


class Chat:
    """A long-running `forumbot chat`: each line typed, the reply read up to the next prompt."""

    def __init__(self, cli: Cli, user: str) -> None:
        self.process = cli.popen("chat", "--user", user)
        self._chunks: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.greeting = self._until_prompt()

    def _read(self) -> None:
        assert self.process.stdout is not None
        while char := self.process.stdout.read(1):
            self._chunks.put(char)

    def _until_prompt(self) -> str:
        seen = ""
        while not seen.endswith("you> "):
            seen += self._chunks.get(timeout=60)
        return seen.removesuffix("you> ")

    def say(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self._until_prompt()

    def close(self) -> None:
        if self.process.poll() is None:
            self.say_last("/quit")
        self.process.wait(timeout=30)
        self._reader.join(timeout=30)
        assert self.process.stdout is not None
        self.process.stdout.close()

    def say_last(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.close()


@pytest.fixture
def replicas(postgres_database: str, tmp_path: Path) -> Iterator[tuple[Cli, list[str], Path]]:
    """Two `forumbot serve` replicas started at the same moment on an empty database."""
    env = {"FORUMBOT_DATABASE_URL": postgres_database, "FORUMBOT_WEBHOOK_SECRET": SECRET,
           "FORUMBOT_LOG_LEVEL": "INFO"}
    started = [start_serve(tmp_path, env) for _ in range(2)]
    try:
        for process, base in started:
            wait_healthy(process, base, within=60)
        yield Cli({**env, "FORUMBOT_DATA_DIR": str(tmp_path)}), [b for _, b in started], tmp_path
    finally:
        for process, _ in started:
            stop(process)


def _all_at_once(calls: list[Any]) -> list[Any]:
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def call(i: int) -> None:
        start.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_replicas_on_one_postgresql_behave_as_one_assistant(
    replicas: tuple[Cli, list[str], Path], postgres_database: str,
) -> None:
    cli, bases, data_dir = replicas
    first, second = bases

    # Migrations ran once: one replica upgraded, the other waited and found the schema at head.
    logs = "".join(p.read_text() for p in data_dir.glob("serve-*.log"))
    assert logs.count("Running upgrade  -> 0001") == 1, logs
    engine = create_engine(postgres_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() \
            == [SCHEMA_REVISION]
        entries = conn.execute(text("SELECT count(*) FROM faq_entries")).scalar()
        versions = conn.execute(text("SELECT count(*) FROM faq_versions")).scalar()
        assert entries and versions == entries, "the pack was seeded once"

    # The contract, and a link code, arrive by webhook; Bram links at the console.
    created = _event("evt_1", "contract.created", {
        "accounts": [{"id": "acc-alice", "name": "Alice Moreau", "role": "freelancer"},
                     {"id": "acc-bram", "name": "Bram Industries", "role": "client"}],
        "contract": _contract([{"seq": 1, "title": "Sketches", "amount": "50.00",
                                "status": "not_funded"}])})
    assert signed_post(first, SECRET, created).json() == {"status": "applied"}
    issued = _event("evt_2", "link_code.issued", {"account_id": "acc-bram", "code": CODE})
    assert signed_post(second, SECRET, issued).json() == {"status": "applied"}

    # Lockouts count across processes: wrong codes from two processes add up.
    for n in range(3):
        assert f"{4 - n} tries left" in cli.run("ask", "--user", "mallory",
                                                f"link AAAAA-AAAA{2 + n}")
    assert "1 try left" in cli.run("ask", "--user", "mallory", "link AAAAA-AAAA5")
    assert "locked" in cli.run("ask", "--user", "mallory", "link AAAAA-AAAA6")
    assert "locked" in cli.run("ask", "--user", "mallory", f"link {CODE}")
    assert "linked" in cli.run("ask", "--user", "bram", f"link {CODE}").lower()

    # One event reaching both replicas at once is applied once and told once.
    funded = _event("evt_3", "milestone.funded", {"contract_id": "C-1", "seq": 1})
    answers = _all_at_once([lambda base=base: signed_post(base, SECRET, funded).json()
                            for base in bases])
    assert sorted(a["status"] for a in answers) == ["applied", "duplicate"]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notifications")).scalar() == 1

    # The notification is delivered once, however many sessions start at once.
    shown = _all_at_once([lambda: cli.run("chat", "--user", "bram", stdin="/quit\n")
                          for _ in range(2)])
    assert sum(out.count("Update on Logo and brand kit") for out in shown) == 1, shown

    # A payment that becomes available with time is told once by replicas that all scan.
    soon = datetime.now(UTC) + timedelta(seconds=2)
    paid = _event("evt_4", "contract.updated", {"contract": _contract([
        {"seq": 1, "title": "Sketches", "amount": "50.00", "status": "paid",
         "funded_at": "2026-10-02", "approved_at": "2026-10-05", "available_at": _iso(soon)}])})
    assert signed_post(first, SECRET, paid).json() == {"status": "applied"}
    restarted = [start_serve(data_dir, cli.env) for _ in range(2)]  # each scans as it starts
    try:
        time.sleep(max(0.0, (soon - datetime.now(UTC)).total_seconds()) + 0.5)
        for process, base in restarted:
            wait_healthy(process, base, within=60)
        deadline = time.monotonic() + 60
        while "payment_available" not in _events(engine):
            assert time.monotonic() < deadline, _events(engine)
            time.sleep(0.2)
    finally:
        for process, _ in restarted:
            stop(process)
    assert _events(engine).count("payment_available") == 1

    # A moderator's edit in one process answers in another within 2 s.
    cli.run("moderators", "add", "console:ana", "--as", "ops")
    member = Chat(cli, "dana")
    moderator = Chat(cli, "ana")
    try:
        assert "moderator" in member.say("purple walrus deposit")  # declined: not in the FAQ
        saved = moderator.say("faq alias escrow-basics purple walrus deposit")
        assert "escrow-basics" in saved, saved
        time.sleep(2)
        assert "escrow" in member.say("purple walrus deposit").lower()
    finally:
        member.close()
        moderator.close()
    engine.dispose()


def _events(engine: Any) -> list[str]:
    with engine.connect() as conn:
        return [str(e) for e in conn.execute(text(
            "SELECT context->>'event' FROM notifications ORDER BY id")).scalars()]


DISCORD_BOOT = """
import sys
import discord.gateway
import discord.http
import yarl
discord.http.Route.BASE = sys.argv[1]
discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(sys.argv[3])
from adapters.cli.main import main
sys.argv = ["forumbot", "serve", "--port", sys.argv[2]]
main()
"""


def test_discord_shards_split_over_two_replicas_answer_once_and_notify_once(
    postgres_database: str, tmp_path: Path,
) -> None:
    """Two `forumbot serve` processes run the two halves of one bot's shards (as the README
    shows), against a fake Discord: each shard runs in one process; during a rolling restart,
    when the old and the new process both run a shard, a message is answered once; a member
    linked on one replica gets a webhook's notification from the other once."""
    from tests.adapters.fake_discord import FakeDiscord
    from tests.serve_process import free_port

    general, member = "920000000000000001", "940000000000000001"

    def posted(fake: FakeDiscord, channel: str) -> list[Any]:
        return [r.body for r in fake.posts("POST", f"/channels/{channel}/messages")]

    async def scenario() -> None:
        fake = FakeDiscord(text_channels={general: "general"})
        await fake.start()
        env = {**os.environ, "FORUMBOT_DATABASE_URL": postgres_database,
               "FORUMBOT_WEBHOOK_SECRET": SECRET, "FORUMBOT_DATA_DIR": str(tmp_path),
               "DISCORD_TOKEN": "replica-token", "FORUMBOT_DISCORD_SHARDS": "2",
               "FORUMBOT_LOG_LEVEL": "INFO"}
        started: list[tuple[subprocess.Popen[bytes], str]] = []
        for shard in ("0", "1"):
            port = free_port()
            with (tmp_path / f"serve-{port}.log").open("wb") as log:
                started.append((subprocess.Popen(
                    [sys.executable, "-c", DISCORD_BOOT, fake.api_base, str(port),
                     fake.gateway_url],
                    env={**env, "FORUMBOT_DISCORD_SHARD_IDS": shard}, stdout=log,
                    stderr=subprocess.STDOUT), f"http://127.0.0.1:{port}"))
        try:
            for process, base in started:
                await asyncio.to_thread(wait_healthy, process, base, 60)
            await fake.wait_for(lambda: sum(c.identified for c in fake.connections) == 2,
                                timeout=60)
            # Each shard runs in exactly one process.
            shards = sorted(op["d"]["shard"] for op in fake.gateway_ops if op["op"] == 2)
            assert shards == [[0, 2], [1, 2]]
            await asyncio.sleep(1.0)  # the guild's shard has its guild

            # A mention reaches the guild's shard (the first process) and is answered once.
            await fake.mention(member, "who sets the milestones?", general)
            await fake.wait_for(lambda: posted(fake, general), timeout=30)

            # A rolling restart: the first process's successor runs shard 0 too until the
            # old one stops. A mention reaching both sessions is answered once.
            port = free_port()
            with (tmp_path / f"serve-{port}.log").open("wb") as log:
                successor = subprocess.Popen(
                    [sys.executable, "-c", DISCORD_BOOT, fake.api_base, str(port),
                     fake.gateway_url],
                    env={**env, "FORUMBOT_DISCORD_SHARD_IDS": "0"}, stdout=log,
                    stderr=subprocess.STDOUT)
            started.append((successor, f"http://127.0.0.1:{port}"))
            await fake.wait_for(lambda: sum(c.identified for c in fake.connections) == 3,
                                timeout=60)
            await asyncio.sleep(1.0)  # the successor has the guild too
            await fake.mention(member, "what is escrow", general)
            await fake.wait_for(lambda: posted(fake, general)[1:], timeout=30)
            await asyncio.sleep(1.0)
            assert len(posted(fake, general)) == 2
            await asyncio.to_thread(stop, started[0][0])

            # Linked with /link in a DM (shard 0), notified after a webhook on the other
            # replica: one DM.
            second, successor_base = started[1][1], started[2][1]
            issued = _event("evt_d1", "link_code.issued", {"account_id": "acc-bram",
                                                             "code": CODE})
            created = _event("evt_d2", "contract.created", {
                "accounts": [{"id": "acc-alice", "name": "Alice Moreau", "role": "freelancer"},
                             {"id": "acc-bram", "name": "Bram Industries", "role": "client"}],
                "contract": _contract([{"seq": 1, "title": "Sketches", "amount": "50.00",
                                        "status": "not_funded"}])})
            for event in (created, issued):
                answer = await asyncio.to_thread(signed_post, second, SECRET, event)
                assert answer.json() == {"status": "applied"}
            command = {"id": "1", "name": "link", "type": 1,
                       "options": [{"name": "code", "type": 3, "value": CODE}]}
            linking = await fake.interaction(2, command, member)
            told, = await fake.wait_for(lambda: fake.callbacks(linking), timeout=30)
            assert "linked" in told["data"]["content"].lower()
            funded = _event("evt_d3", "milestone.funded", {"contract_id": "C-1", "seq": 1})
            answers = await asyncio.gather(*(asyncio.to_thread(signed_post, base, SECRET,
                                                               funded)
                                             for base in (successor_base, second)))
            assert sorted(a.json()["status"] for a in answers) == ["applied", "duplicate"]
            dm = fake.dm_channel_of(member)
            updates = lambda: [b for b in posted(fake, dm)  # noqa: E731
                               if "Logo and brand kit" in str(b.get("content"))]
            await fake.wait_for(updates, timeout=60)
            await asyncio.sleep(6.0)  # both delivery loops (every 5 s) have looked again
            assert len(updates()) == 1
        finally:
            for process, _ in started:
                await asyncio.to_thread(stop, process)
            await fake.stop()
        logs = "".join(p.read_text() for p in tmp_path.glob("serve-*.log"))
        assert "Traceback" not in logs, logs

    asyncio.run(scenario())


def test_two_replicas_answer_a_slack_event_once_and_relay_a_moderators_reply(
    postgres_database: str, tmp_path: Path,
) -> None:
    from tests.adapters.slack_fake import (
        BOT_USER,
        FakeSlack,
        SlackClient,
        buttons,
        mention_event,
        message_event,
        texts,
    )
    from tests.adapters.slack_fake import SECRET as SLACK_SECRET

    fake = FakeSlack(moderators=["UMOD"])
    stop_fake = fake.start()
    env = {"FORUMBOT_DATABASE_URL": postgres_database, "FORUMBOT_MATCHER": "lexical",
           "FORUMBOT_LOG_LEVEL": "INFO", "SLACK_BOT_TOKEN": "xoxb-replicas",
           "SLACK_SIGNING_SECRET": SLACK_SECRET, "SLACK_API_URL": fake.api_url,
           "FORUMBOT_SLACK_MODERATOR_CHANNEL": "CMODS", "FORUMBOT_SLACK_MODERATOR_GROUP": "S1"}
    started = [start_serve(tmp_path, env) for _ in range(2)]
    clients: list[SlackClient] = []
    try:
        for process, base in started:
            wait_healthy(process, base, within=60)
        clients = [SlackClient(base, fake) for _, base in started]
        first, second = clients

        def posts(channel: str) -> list[dict[str, Any]]:
            return [m for m in fake.of("chat.postMessage") if m["channel"] == channel]

        def settled(count: int) -> None:
            """Wait for one DM answer from each replica, sent after what came before."""
            first.event(message_event("escrow", channel=f"DFIRST{count}"))
            second.event(message_event("escrow", channel=f"DSECOND{count}"))
            deadline = time.monotonic() + 30
            while not (posts(f"DFIRST{count}") and posts(f"DSECOND{count}")):
                assert time.monotonic() < deadline, fake.of("chat.postMessage")
                time.sleep(0.05)

        # A mention and Slack's retry of it, reaching the two replicas at once: one answer.
        asked = mention_event(f"<@{BOT_USER}> who sets the milestones?",
                              ts="1700002000.000100")
        acks = _all_at_once([lambda: first.event(asked).status_code,
                             lambda: second.event(asked, retry=1).status_code])
        assert acks == [200, 200]
        settled(1)
        answers = posts("CGENERAL")
        assert len(answers) == 1 and answers[0]["thread_ts"] == "1700002000.000100"

        # Declined on one replica, passed to the moderators on the other, and the moderator's
        # reply (delivered to both, as a retry) relayed once to the member's thread.
        second.event(mention_event(f"<@{BOT_USER}> what is the weather on mars",
                                   ts="1700002100.000100"))
        deadline = time.monotonic() + 30
        while len(posts("CGENERAL")) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        decline = posts("CGENERAL")[1]
        ask = next(b for b in buttons(decline["blocks"])
                   if b["text"]["text"] == "Ask a moderator")
        first.click(ask, message=decline | {"ts": "1700002101.000100",
                                            "thread_ts": "1700002100.000100"})
        question, = fake.wait_for("chat.postMessage", 5, timeout=30)[4:]
        assert question["channel"] == "CMODS" and "weather on mars" in question["text"]
        fake.wait_for("response_url", timeout=30)  # the member is told: the thread relays
        reply = message_event("Cold there, take a coat.", user="UMOD", channel="CMODS",
                              ts="1700002200.000100", thread_ts=question["_ts"])
        assert second.event(reply).status_code == 200
        assert first.event(reply, retry=1).status_code == 200
        settled(2)
        relayed = [m for m in posts("CGENERAL") if "take a coat" in texts(m["blocks"])]
        assert len(relayed) == 1 and relayed[0]["thread_ts"] == "1700002100.000100"
    finally:
        for client in clients:
            client.close()
        for process, _ in started:
            stop(process)
        stop_fake()
