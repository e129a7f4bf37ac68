"""Discord benchmark: mentions through a fake gateway into one `forumbot serve` process.

Starts the fake Discord of the tests (tests/adapters/fake_discord.py) on 127.0.0.1 and one
`forumbot serve` subprocess (the real CLI, discord.py pointed at the fake by patching
`discord.http.Route.BASE` before `main()`), waits until it is connected, then injects
MESSAGE_CREATE mentions at a fixed rate from many members and measures, on the fake's side:
  * answers per second: the intervals between the first answer and the last, per second
    (answers - 1) / (last answer - first answer): the offered rate for a process that keeps
    up, its own rate for one that falls behind (answers / (last answer - first mention), the
    formula before, stays below the offered rate by construction);
  * latency from the event sent on the gateway to the answer's REST post, p50/p99/max.
Bounded: --count mentions (default 3,000), --timeout seconds (default 90). The questions mix
confident answers, "did you mean" choices and declines, as members ask. Nothing is asserted;
targets are printed next to the figures.

Run from the repo root:  .venv/bin/python bench/discord_bench.py [--rate 250] [--count 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "adapters"))

from fake_discord import FakeDiscord  # noqa: E402

CHANNEL = "920000000000000001"
QUESTIONS = [
    "who sets the milestones?", "what is escrow", "how do refunds work",
    "can the client get a refund after approving", "milestone", "payment",
    "tell me a joke about cats", "my payment says pending, why?",
    "how long is the review period for a submitted milestone",
    "what happens if the client never approves my work",
]
BOOT = """
import sys
import discord.http
discord.http.Route.BASE = sys.argv[1]
from adapters.cli.main import main
sys.argv = ["forumbot", "serve", "--port", sys.argv[2]]
main()
"""


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def bench(rate: float, count: int, timeout: float, users: int, database: str | None
                ) -> None:
    fake = FakeDiscord(text_channels={CHANNEL: "general"})
    await fake.start()
    data = tempfile.mkdtemp(prefix="forumbot-discord-bench-")  # removed when done
    environ = dict(os.environ, DISCORD_TOKEN="bench-token", FORUMBOT_DATA_DIR=data,
                   FORUMBOT_LOG_LEVEL="WARNING")
    schema = None
    if database:
        schema, url = _own_schema(database)
        environ["FORUMBOT_DATABASE_URL"] = url
    port = str(_free_port())
    serve = subprocess.Popen([sys.executable, "-c", BOOT, fake.api_base, port], env=environ,
                             cwd=ROOT)
    try:
        started = time.monotonic()
        await fake.wait_for(lambda: any(c.identified for c in fake.connections), timeout=60)
        await fake.wait_for(lambda: fake.posts("PUT", r"/applications/.*/commands"), timeout=30)
        await asyncio.sleep(1.0)  # GUILD_CREATE handled, the client ready
        print(f"forumbot serve connected in {time.monotonic() - started:.1f} s "
              f"(pid {serve.pid}); sending {count} mentions at {rate:g}/s")
        sent: dict[str, float] = {}
        cpu_before, loop_before = _cpu_seconds(serve.pid), _cpu_seconds(serve.pid, serve.pid)
        own_before = time.process_time()
        first = time.monotonic()
        for n in range(count):
            due = first + n / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            user = str(950000000000000000 + n % users)
            message = await fake.mention(user, QUESTIONS[n % len(QUESTIONS)], CHANNEL)
            sent[message["id"]] = time.monotonic()
            if time.monotonic() - first > timeout:
                break
        deadline = time.monotonic() + 30

        def answers() -> dict[str, float]:
            found = {}
            for r in fake.requests:
                if r.method == "POST" and r.path == f"/channels/{CHANNEL}/messages" and \
                        isinstance(r.body, dict) and r.body.get("message_reference"):
                    found[str(r.body["message_reference"]["message_id"])] = r.at
            return found

        while len(answers()) < len(sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        got = answers()
        cpu = _cpu_seconds(serve.pid) - cpu_before
        loop_cpu = _cpu_seconds(serve.pid, serve.pid) - loop_before
        own_cpu = time.process_time() - own_before
    finally:
        serve.terminate()
        serve.wait(30)
        await fake.stop()
        if database and schema:
            _drop_schema(database, schema)
        shutil.rmtree(data, ignore_errors=True)
    latencies = [(got[i] - sent[i]) * 1000 for i in sent if i in got]
    if not latencies:
        print("no answers arrived")
        return
    answered_at = [got[i] for i in sent if i in got]
    span = max(answered_at) - min(answered_at)
    per_second = (len(answered_at) - 1) / span if span > 0 else 0.0
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    print(f"{'mentions':>10} {'answered':>9} {'answers/s':>10} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8}")
    print(f"{len(sent):>10} {len(latencies):>9} {per_second:>10.1f} {p50:>8.1f} {p99:>8.1f} "
          f"{max(latencies):>8.1f}")
    print(f"forumbot serve used {cpu:.1f} s of CPU: {cpu * 1000 / len(latencies):.2f} ms per "
          f"answer, so one free core answers about {len(latencies) / cpu:.0f}/s"
          if cpu > 0 else "CPU time of forumbot serve: not available here")
    if cpu > 0:
        loop_ms, other_ms = (loop_cpu * 1000 / len(latencies),
                             (cpu - loop_cpu) * 1000 / len(latencies))
        print(f"  of which its event loop thread (discord.py, aiohttp, uvicorn, the adapter) "
              f"{loop_ms:.2f} ms, other threads (the core answering in worker threads, the "
              f"model, delivery) {other_ms:.2f} ms")
    print(f"the fake Discord and this load generator used {own_cpu * 1000 / len(latencies):.2f} "
          f"ms of CPU per answer (same cores)")
    print(f"target: >= 200 answers/s: {'pass' if per_second >= 200 else 'FAIL'}; "
          f"p99 <= 200 ms: {'pass' if p99 <= 200 else 'FAIL'} "
          f"(offered {rate:g}/s: a process that keeps up answers at about that rate)")


def _own_schema(server: str) -> tuple[str, str]:
    """A fresh schema on the PostgreSQL server, and a URL whose connections use it."""
    import uuid

    from sqlalchemy import create_engine, text

    schema = f"discord_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(server)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    separator = "&" if "?" in server else "?"
    return schema, f"{server}{separator}options=-csearch_path%3D{schema}"


def _drop_schema(server: str, schema: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(server)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _cpu_seconds(pid: int, thread: int | None = None) -> float:
    """User plus system CPU seconds a process (or one of its threads) used so far (Linux
    /proc); 0 elsewhere."""
    where = f"/proc/{pid}/stat" if thread is None else f"/proc/{pid}/task/{thread}/stat"
    try:
        fields = Path(where).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=250.0, help="mentions per second")
    parser.add_argument("--count", type=int, default=3000, help="mentions to send (max)")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds of sending (max)")
    parser.add_argument("--users", type=int, default=5000, help="distinct members asking")
    parser.add_argument("--postgres", dest="database_url", metavar="URL",
                        help="a PostgreSQL server (the bench uses a schema of its own and drops "
                        "it); default: a SQLite file in a temporary folder")
    args = parser.parse_args()
    asyncio.run(bench(args.rate, min(args.count, 100_000), min(args.timeout, 600.0),
                      max(args.users, 1), args.database_url))


if __name__ == "__main__":
    main()
