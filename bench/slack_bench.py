"""Slack benchmark: signed `app_mention` events on loopback into one `forumbot serve` process.

Starts `forumbot serve` (HTTP mode) on a fresh database with SLACK_API_URL pointing at a
fake Web API served by this script, then sends correctly signed events to
`POST /slack/events` and measures:

- acks: how many events per second were acknowledged (HTTP 200) with `--concurrency`
  requests in flight ((acks - 1) / (last ack - first ack), like answers/s below: a whole
  phase's acks over the time from its first send would stay below the offered rate by
  construction), and each ack's latency (request sent to response read); "503" counts
  the events refused while the process had FORUMBOT_SLACK_MAX_PENDING answers in hand
  (Slack would deliver them again later);
- answers: the time from sending an event to the fake receiving the threaded
  `chat.postMessage` that answers it, and answers/s ((answers - 1) / (last answer - first
  answer): the offered rate for a process that keeps up, its own when it falls behind);
- cpu/ev: the serve process's CPU time per event acked (ack and answer; the refused ones'
  cost included), which a busy machine does not inflate the way it inflates latencies:
  1000 / cpu/ev is what one core could do;
- loop/ev: the part of it spent on the event loop's thread (HTTP, Bolt, the acks and the
  Web API calls; the core's work runs in other threads): 1000 / loop/ev bounds the acks/s;
- gen/ev: this script's own CPU per event sent (signing, sending, the fake Web API), which
  the same two cores pay: it sends through `Loopback`, not an HTTP library, to keep it small.

Two phases: "burst" sends `--events` as fast as `--concurrency` allows (throughput); "paced"
sends `--rate` events per second for `--seconds` (latency at the target rate). Both are
bounded in count and time and the script stops by itself; it sends only to 127.0.0.1.
Targets (2 cores), judged on the paced phase: at least 300 events/s acked (none refused),
ack p99 <= 100 ms, answer p99 <= 500 ms. The paced phase offers 320/s by default: a process
that keeps up acks at the offered rate, never above it, so a rate judged against 300 is
offered above 300 (at exactly 300 the verdict would turn on timer jitter).

Run from the repo root:  .venv/bin/python bench/slack_bench.py [--events N] [--rate R]
    [--seconds S] [--concurrency C] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from sqlalchemy import create_engine, text

POSTGRES_URL = os.environ.get(
    "FORUMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

SECRET = "bench-signing-secret"
BOT_USER = "UBOT"
QUESTIONS = ("who sets the milestones?", "how do I get a refund?", "what is escrow?",
             "my payment says pending, why?", "how does a dispute work?",
             "can I change a milestone?", "what is the weather on mars?")
MAX_SECONDS = 120.0  # a phase never runs longer than this
TARGET_RATE, TARGET_ACK_P99_MS, TARGET_ANSWER_P99_MS = 300.0, 100.0, 500.0
OFFERED_RATE = 320.0  # paced: above the target rate, which a process that keeps up matches


@dataclass
class FakeWebApi:
    """The Web API methods the answers call; records when each threaded answer arrived."""

    answered: dict[str, float] = field(default_factory=dict)
    calls: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response({"ok": True, "user_id": BOT_USER, "team_id": "T1",
                                      "bot_id": "BBOT"})
        if method == "chat.postMessage":
            params = await request.json()
            thread = params.get("thread_ts")
            if isinstance(thread, str):
                self.answered.setdefault(thread, time.perf_counter())
            return web.json_response({"ok": True, "ts": "1.1", "channel": params["channel"]})
        if method == "conversations.open":
            return web.json_response({"ok": True, "channel": {"id": "DBENCH"}})
        return web.json_response({"ok": True})


class Loopback:
    """HTTP/1.1 keep-alive connections to 127.0.0.1:`port`, each carrying one request at a time.

    The load generator shares the 2 cores with the server it measures, so it has to cost far
    less CPU than an event does there: httpx spent about 3.5 ms of CPU per request, more than
    half of what forumbot spends on the event. This writes each request as bytes and reads
    the status line, the headers and a Content-Length body.
    """

    IDLE = 2.0  # seconds: a connection idle longer is opened anew (uvicorn closes after 5)
    Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter, float]

    def __init__(self, port: int, size: int) -> None:
        self._port = port
        self._free = asyncio.Semaphore(size)
        self._idle: list[Loopback.Connection] = []

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self._idle:
            reader, writer, used = self._idle.pop()
            if not writer.is_closing() and time.monotonic() - used < self.IDLE:
                return reader, writer
            writer.close()
        return await asyncio.open_connection("127.0.0.1", self._port)

    async def request(self, method: str, path: str, body: bytes = b"",
                      headers: dict[str, str] | None = None) -> int:
        """Send one request and read its whole response; its status code."""
        async with self._free:
            reader, writer = await self._connection()
            try:
                head = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
                writer.write(f"{method} {path} HTTP/1.1\r\nhost: 127.0.0.1\r\n{head}"
                             f"content-length: {len(body)}\r\n\r\n".encode() + body)
                lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
                fields = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
                await reader.readexactly(int(fields.get("content-length", "0")))
            except BaseException:
                writer.close()
                raise
            if fields.get("connection") == "close":
                writer.close()
            else:
                self._idle.append((reader, writer, time.monotonic()))
            return int(lines[0].split()[1])

    def close(self) -> None:
        for _, writer, _ in self._idle:
            writer.close()
        self._idle.clear()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": f"v0={digest.hexdigest()}"}


def _event(n: int, run: str) -> tuple[str, bytes]:
    ts = f"{1700000000 + n}.{run}"
    event = {"type": "event_callback", "team_id": "T1", "api_app_id": "ABENCH",
             "event_id": f"Ev{run}{n:07d}", "event_time": 1700000000,
             "event": {"type": "app_mention", "user": f"U{n:07d}", "channel": "CBENCH",
                       "text": f"<@{BOT_USER}> {QUESTIONS[n % len(QUESTIONS)]}", "ts": ts,
                       "team": "T1"}}
    return ts, json.dumps(event).encode()


def _cpu_seconds(pid: int, stat: str | None = None) -> float:
    """A process's user and system CPU time so far (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(stat or f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _main_thread_cpu_seconds(pid: int) -> float:
    """The CPU time of a process's main thread (the event loop's) so far."""
    return _cpu_seconds(pid, f"/proc/{pid}/task/{pid}/stat")


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


@dataclass
class PhaseResult:
    """What one phase measured."""

    name: str
    sent: int
    acked: int
    ack_ms: list[float]
    answer_ms: list[float]
    busy: int = 0  # refused with 503 while the answers in hand were at FORUMBOT_SLACK_MAX_PENDING
    cpu_s: float = float("nan")  # the serve process's CPU time over the phase
    loop_cpu_s: float = float("nan")  # of which its main thread's (the event loop's)
    answer_span: float = 0.0  # seconds from the first answer to the last
    ack_span: float = 0.0  # seconds from the first ack (200) to the last
    own_cpu_s: float = float("nan")  # this script's CPU time over the phase

    @property
    def acks_per_second(self) -> float:
        return (self.acked - 1) / self.ack_span if self.ack_span > 0 else 0.0

    def line(self) -> str:
        rate = self.acks_per_second
        answers = (len(self.answer_ms) - 1) / self.answer_span if self.answer_span > 0 else 0.0
        cpu_ms = self.cpu_s * 1000 / self.acked if self.acked else float("nan")
        loop_ms = self.loop_cpu_s * 1000 / self.acked if self.acked else float("nan")
        own_ms = self.own_cpu_s * 1000 / self.sent if self.sent else float("nan")
        return (f"{self.name:6} {self.sent:6} {self.acked:6} {self.busy:6} {rate:9.1f} "
                f"{answers:9.1f} "
                f"{cpu_ms:8.2f} {loop_ms:8.2f} {own_ms:8.2f} "
                f"{_percentile(self.ack_ms, 0.5):8.1f} {_percentile(self.ack_ms, 0.99):8.1f} "
                f"{len(self.answer_ms):8} {_percentile(self.answer_ms, 0.5):8.1f} "
                f"{_percentile(self.answer_ms, 0.99):8.1f}")


async def _phase(name: str, client: Loopback, api: FakeWebApi, count: int,
                 concurrency: int, rate: float | None, run: str, pid: int) -> PhaseResult:
    """Send up to `count` events (`rate` per second, or as fast as `concurrency` allows)."""
    cpu_before, loop_before = _cpu_seconds(pid), _main_thread_cpu_seconds(pid)
    own_before = time.process_time()
    sent_at: dict[str, float] = {}
    ack_ms: list[float] = []
    acked_at: list[float] = []  # when each event was acked (200)
    busy = 0
    gate = asyncio.Semaphore(concurrency)
    started = time.perf_counter()

    async def one(n: int) -> None:
        nonlocal busy
        ts, body = _event(n, run)
        async with gate:
            begin = time.perf_counter()
            sent_at[ts] = begin
            status = await client.request("POST", "/slack/events", body, _signed(body))
            ack_ms.append((time.perf_counter() - begin) * 1000)
            if status == 200:
                acked_at.append(time.perf_counter())
            elif status == 503:
                busy += 1  # Slack would deliver it again later

    tasks = []
    for n in range(count):
        if time.perf_counter() - started > MAX_SECONDS:
            break
        if rate is not None:
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    own_cpu = time.process_time() - own_before
    deadline = time.perf_counter() + 30
    while len([t for t in sent_at if t in api.answered]) < len(sent_at) and \
            time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    answer_ms = [(api.answered[t] - s) * 1000 for t, s in sent_at.items() if t in api.answered]
    answered_at = [api.answered[t] for t in sent_at if t in api.answered]
    span = max(answered_at) - min(answered_at) if answered_at else 0.0
    return PhaseResult(name, len(tasks), len(acked_at), ack_ms, answer_ms, busy,
                       _cpu_seconds(pid) - cpu_before, _main_thread_cpu_seconds(pid) - loop_before,
                       answer_span=span, own_cpu_s=own_cpu,
                       ack_span=max(acked_at) - min(acked_at) if acked_at else 0.0)


async def _bench(args: argparse.Namespace, data: Path) -> list[PhaseResult]:
    api = FakeWebApi()
    app = web.Application()
    app.router.add_post("/api/{method}", api.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    api_port = _free_port()
    await web.TCPSite(runner, "127.0.0.1", api_port).start()
    port = _free_port()
    env = {**os.environ, "FORUMBOT_DATA_DIR": str(data),
           "FORUMBOT_DATABASE_URL": args.database_url,
           "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": f"http://127.0.0.1:{api_port}/api/", "FORUMBOT_LOG_LEVEL": "ERROR"}
    env.pop("SLACK_APP_TOKEN", None)
    log = (data / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "adapters.cli.main", "serve", "--port",
                               str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    results = []
    try:
        client = Loopback(port, args.concurrency)
        deadline = time.monotonic() + 30
        while True:
            try:
                if await client.request("GET", "/healthz") == 200:
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("forumbot serve did not start") from None
                await asyncio.sleep(0.1)
        await _phase("warmup", client, api, 50, 8, None, "900", server.pid)
        results.append(await _phase("burst", client, api, args.events, args.concurrency,
                                    None, "100", server.pid))
        await asyncio.sleep(1)
        results.append(await _phase("paced", client, api, int(args.rate * args.seconds),
                                    args.concurrency, args.rate, "200", server.pid))
        client.close()
    except Exception:
        print((data / "serve.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        raise
    finally:
        server.terminate()
        server.wait(30)
        log.close()
        await runner.cleanup()
    return results


@contextmanager
def _database(postgres: bool, data: Path) -> Iterator[str]:
    """A new SQLite file, or a new PostgreSQL schema dropped afterwards."""
    if not postgres:
        yield f"sqlite+pysqlite:///{data}/forumbot.db"
        return
    schema = f"bench_slack_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000, help="burst: events (3000)")
    parser.add_argument("--rate", type=float, default=OFFERED_RATE,
                        help="paced: events/s (320)")
    parser.add_argument("--seconds", type=float, default=10.0, help="paced: seconds (10)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (32)")
    parser.add_argument("--postgres", action="store_true",
                        help="a fresh schema of FORUMBOT_TEST_POSTGRES_URL (dropped afterwards) "
                        "instead of a new SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, _database(args.postgres, Path(data)) as url:
        args.database_url = url
        results = asyncio.run(_bench(args, Path(data)))
    print(f"database: {'PostgreSQL' if args.postgres else 'SQLite'}; "
          f"concurrency {args.concurrency}; paced {args.rate:.0f}/s for {args.seconds:.0f} s")
    print(f"{'phase':6} {'sent':>6} {'acked':>6} {'503':>6} {'acked/s':>9} {'answers/s':>9} "
          f"{'cpu/ev':>8} {'loop/ev':>8} {'gen/ev':>8} {'ack p50':>8} "
          f"{'ack p99':>8} {'answered':>8} {'ans p50':>8} {'ans p99':>8}   (ms)")
    for result in results:
        print(result.line())
    _, paced = results
    # At the target rate every event must be acked (a 503 is Slack delivering it again later):
    # the burst's acks per second count only what it could answer before it said 503.
    print(f"targets (paced at {args.rate:.0f}/s): acked/s >= {TARGET_RATE:.0f}: "
          f"{'pass' if paced.acks_per_second >= TARGET_RATE else 'FAIL'}; "
          f"paced ack p99 <= {TARGET_ACK_P99_MS:.0f} ms: "
          f"{'pass' if _percentile(paced.ack_ms, 0.99) <= TARGET_ACK_P99_MS else 'FAIL'}; "
          f"paced answer p99 <= {TARGET_ANSWER_P99_MS:.0f} ms: "
          f"{'pass' if _percentile(paced.answer_ms, 0.99) <= TARGET_ANSWER_P99_MS else 'FAIL'}")


if __name__ == "__main__":
    main()
