"""Webhook benchmark: signed events per second and latency through real `forumbot serve` processes.

For each configuration (SQLite file or PostgreSQL; one or two serve processes on the same
database) it starts the processes on loopback ports, seeds contracts whose parties are linked
(so that each event also writes two notifications), then 20 sender threads post signed
`milestone.funded` events, each to a milestone of its own, spread over the processes, with
keep-alive connections. The first `--warmup` events (default 300) are sent the same way but
not counted: they fill each process's connection pool and statement caches, so the figures
are those of a process that has been serving for a while. Bounded: `--events` in all and
`--seconds` of sending, whichever comes first. It prints events per second (answered 200
"applied"), p50 / p99 / max latency, the serve processes' CPU time per event, the other
answers by status, and each process's memory (RSS) at rest and at its peak.

The load generator runs on the same cores as the servers: on a shared 2-core machine the
figures are noisy and only comparable within one run.

Run from the repo root:  .venv/bin/python bench/webhook_bench.py [--quick]
    [--events N] [--warmup N] [--senders N] [--seconds S] [--only sqlite|postgres]
    [--processes 1|2]
PostgreSQL: FORUMBOT_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bot.app import build_app
from bot.contracts.importing import dataset_from_json
from bot.contracts.webhook import sign
from bot.settings import Settings, sqlite_url

POSTGRES_URL = os.environ.get(
    "FORUMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET = "whsec_bench"
MILESTONES = 10  # per contract; each event funds one milestone
TARGETS = {"postgresql": (300.0, 0.250), "sqlite": (None, 0.500)}  # events/s, p99 s (issue 14)


@dataclass
class Result:
    """What one configuration measured."""

    name: str
    sent: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    rest_kib: list[int] = field(default_factory=list)
    peak_kib: list[int] = field(default_factory=list)
    cpu_seconds: float = 0.0  # used by the serve processes while sending


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _memory_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process, in KiB."""
    fields = dict(line.split(":", 1) for line in
                  Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _dataset(contracts: int) -> dict[str, Any]:
    accounts = [{"id": f"acc-f{i}", "name": f"Freelancer {i}", "role": "freelancer"}
                for i in range(contracts)]
    accounts += [{"id": f"acc-c{i}", "name": f"Client {i}", "role": "client"}
                 for i in range(contracts)]
    return {"accounts": accounts, "contracts": [
        {"id": f"C-{i}", "title": f"Contract {i}", "type": "fixed", "client": f"acc-c{i}",
         "freelancer": f"acc-f{i}", "status": "active", "started_at": "2026-10-01",
         "currency": "USD", "milestones": [
             {"seq": s, "title": f"Milestone {s}", "amount": "100.00", "status": "not_funded"}
             for s in range(1, MILESTONES + 1)]}
        for i in range(contracts)]}


def _seed(url: str, events: int) -> None:
    """Migrate, seed the pack, import the contracts and link both parties of each."""
    contracts = -(-events // MILESTONES)
    app = build_app(Settings(database_url=url))
    try:
        app.contracts.import_dataset(dataset_from_json(json.dumps(_dataset(contracts))))
        now = datetime.now(UTC)
        for i in range(contracts):
            for side in ("f", "c"):
                code = app.links.issue_code(f"acc-{side}{i}", now)
                app.links.redeem(f"slack:T1/U{side}{i}", "slack", code, now)
    finally:
        app.engine.dispose()


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield sqlite_url(folder / f"bench-{uuid.uuid4().hex[:8]}.db")
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextmanager
def _servers(url: str, count: int, folder: Path) -> Iterator[list[tuple[int, int]]]:
    """`count` serve processes on `url`: (pid, port) each; all stopped with SIGTERM after."""
    env = {**os.environ, "FORUMBOT_DATABASE_URL": url, "FORUMBOT_WEBHOOK_SECRET": SECRET,
           "FORUMBOT_DATA_DIR": str(folder), "FORUMBOT_LOG_LEVEL": "WARNING"}
    started: list[tuple[subprocess.Popen[bytes], int]] = []
    try:
        for _ in range(count):
            port = _free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "adapters.cli.main", "serve", "--port", str(port)],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            started.append((process, port))
        for process, port in started:
            _wait_ready(process, port)
        yield [(p.pid, port) for p, port in started]
    finally:
        for process, _ in started:
            process.send_signal(signal.SIGTERM)
        for process, _ in started:
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_ready(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"forumbot serve on port {port} exited with {process.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"forumbot serve on port {port} did not become ready")


def _event_body(i: int) -> bytes:
    contract, seq = divmod(i, MILESTONES)
    return json.dumps({"id": f"evt_bench_{i}", "type": "milestone.funded",
                       "time": datetime.now(UTC).isoformat(timespec="seconds"),
                       "data": {"contract_id": f"C-{contract}", "seq": seq + 1}}).encode()


def _send(ports: list[int], work: queue.SimpleQueue[int], stop_at: float, result: Result,
          lock: threading.Lock, sender: int) -> None:
    port = ports[sender % len(ports)]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies, statuses = [], Counter[str]()
    while time.monotonic() < stop_at:
        try:
            i = work.get_nowait()
        except queue.Empty:
            break
        body = _event_body(i)
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "X-Forumbot-Timestamp": stamp,
                   "X-Forumbot-Signature": f"sha256={sign(SECRET, stamp, body)}"}
        started = time.perf_counter()
        try:
            conn.request("POST", "/hooks/marketplace", body=body, headers=headers)
            response = conn.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            statuses[type(exc).__name__] += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        latencies.append(time.perf_counter() - started)
        ok = response.status == 200 and b"applied" in answer
        statuses["200 applied" if ok else f"{response.status} {answer[:60]!r}"] += 1
    conn.close()
    with lock:
        result.latencies += latencies
        result.statuses += statuses


def _send_all(ports: list[int], numbers: range, senders: int, seconds: float,
              result: Result) -> None:
    """Send the events numbered `numbers` from `senders` threads, for at most `seconds`."""
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in numbers:
        work.put(i)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    threads = [threading.Thread(target=_send, args=(ports, work, stop_at, result, lock, n))
               for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(kind: str, processes: int, events: int, warmup: int, senders: int, seconds: float,
        folder: Path) -> Result:
    """One configuration, measured after `warmup` events."""
    result = Result(f"{kind} x{processes}")
    with _database(kind, folder) as url:
        _seed(url, warmup + events)
        with _servers(url, processes, folder) as servers:
            time.sleep(1.0)  # let start-up settle before reading memory at rest
            result.rest_kib = [_memory_kib(pid)[0] for pid, _ in servers]
            ports = [port for _, port in servers]
            _send_all(ports, range(warmup), senders, seconds, Result("warm-up"))
            cpu_before = sum(_cpu_seconds(pid) for pid, _ in servers)
            started = time.perf_counter()
            _send_all(ports, range(warmup, warmup + events), senders, seconds, result)
            result.seconds = time.perf_counter() - started
            result.cpu_seconds = sum(_cpu_seconds(pid) for pid, _ in servers) - cpu_before
            result.peak_kib = [_memory_kib(pid)[1] for pid, _ in servers]
    result.sent = sum(result.statuses.values())
    return result


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def report(result: Result) -> str:
    """One line of figures and, below it, any answer that was not 200 applied."""
    applied = result.statuses["200 applied"]
    rate = applied / result.seconds if result.seconds else 0.0
    lat = result.latencies
    backend = "postgresql" if result.name.startswith("postgres") else "sqlite"
    want_rate, want_p99 = TARGETS[backend]
    verdict = []
    if want_rate is not None:
        verdict.append(f"events/s >= {want_rate:.0f}: {'pass' if rate >= want_rate else 'FAIL'}")
    p99 = _quantile(lat, 0.99)
    verdict.append(f"p99 <= {want_p99 * 1000:.0f} ms: {'pass' if p99 <= want_p99 else 'FAIL'}")
    mem = " ".join(f"{r // 1024}/{p // 1024}" for r, p in
                   zip(result.rest_kib, result.peak_kib, strict=True))
    cpu_ms = result.cpu_seconds * 1000 / applied if applied else float("nan")
    line = (f"{result.name:14} {applied:6d} {rate:8.1f} {_quantile(lat, 0.5) * 1000:8.1f} "
            f"{p99 * 1000:8.1f} {max(lat, default=float('nan')) * 1000:8.1f} {cpu_ms:7.1f}  "
            f"{mem:14}  {'; '.join(verdict)}")
    others = [f"    {count} x {status}" for status, count in result.statuses.items()
              if status != "200 applied"]
    return "\n".join([line, *others])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--warmup", type=int, default=300, help="events sent first, not counted")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="send for at most this long")
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    parser.add_argument("--processes", type=int, choices=[1, 2])
    parser.add_argument("--quick", action="store_true", help="500 events, at most 20 s each")
    args = parser.parse_args()
    if args.quick:
        args.events, args.seconds = 500, 20.0
    kinds = [args.only] if args.only else ["sqlite", "postgres"]
    counts = [args.processes] if args.processes else [1, 2]
    print(f"{args.events} signed milestone.funded events (each writes 2 notifications) after "
          f"{args.warmup} not counted, "
          f"{args.senders} senders on loopback, at most {args.seconds:.0f} s per row; "
          f"{os.cpu_count()} CPUs shared with the load generator")
    print(f"{'database x procs':14} {'ok':>6} {'events/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
          f"{'max ms':>8} {'CPU ms':>7}  {'MiB rest/peak':14}  target")
    print("-" * 110)
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            for count in counts:
                print(report(run(kind, count, args.events, args.warmup, args.senders,
                                 args.seconds, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
