"""Slow and idle connections against a real `forumbot serve` with few file descriptors."""

from __future__ import annotations

import contextlib
import resource
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from adapters.http_server import limits_from_environ
from bot.errors import SettingsError
from tests.serve_process import signed_post, start_serve, stop, wait_healthy

SECRET = "whsec_for_tests"
EVENT = {"id": "evt_slow_1", "type": "contract.created", "time": "2026-11-25T10:00:00Z",
         "data": {"accounts": [{"id": "acc-alice", "name": "Alice", "role": "freelancer"},
                               {"id": "acc-bram", "name": "Bram", "role": "client"}],
                  "contract": {"id": "C-1", "title": "Logo", "type": "fixed",
                               "client": "acc-bram", "freelancer": "acc-alice",
                               "status": "active", "started_at": "2026-11-20",
                               "currency": "USD", "milestones": []}}}


def _few_files() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128))


def _slow(port: int, n: int) -> socket.socket:
    """A connection that sends half its headers, or its headers and a sliver of its body."""
    sock = socket.create_connection(("127.0.0.1", port))
    if n % 2:
        sock.sendall(b"POST /hooks/marketplace HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    else:
        sock.sendall(b"POST /hooks/marketplace HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
    return sock


def _answer(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(30)
    answer = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(4096):
            answer += chunk
    return answer


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[int, str]]:
    process, base = start_serve(tmp_path, {
        "FORUMBOT_DATABASE_URL": f"sqlite+pysqlite:///{tmp_path}/forumbot.db",
        "FORUMBOT_WEBHOOK_SECRET": SECRET, "FORUMBOT_HTTP_REQUEST_TIMEOUT": "2"},
        preexec_fn=_few_files)
    try:
        wait_healthy(process, base)
        yield int(base.rsplit(":", 1)[1]), base
    finally:
        stop(process)


@pytest.mark.slow
def test_hundreds_of_slow_connections_do_not_keep_a_signed_webhook_from_being_answered(
    server: tuple[int, str],
) -> None:
    port, base = server
    held = [_slow(port, n) for n in range(300)]
    try:
        response = signed_post(base, SECRET, EVENT)
        assert (response.status_code, response.json()) == (200, {"status": "applied"})
        assert httpx.get(f"{base}/healthz", timeout=15).json() == {"status": "ok"}
    finally:
        for sock in held:
            sock.close()


@pytest.mark.slow
def test_a_connection_that_never_finishes_its_headers_gets_408_and_is_closed(
    server: tuple[int, str],
) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b'{"error": "the request did not arrive in time"}')


@pytest.mark.slow
def test_a_webhook_body_that_does_not_arrive_in_time_gets_408(server: tuple[int, str]) -> None:
    port, _ = server
    with _slow(port, 0) as sock:
        answer = _answer(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b'{"error":"body: not received within 2 seconds"}')


def test_the_connection_cap_stays_within_the_file_descriptor_limit() -> None:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    limits = limits_from_environ({"FORUMBOT_HTTP_MAX_CONNECTIONS": "1000000"})
    assert limits.max_connections <= soft - 64
    defaults = limits_from_environ({})
    assert (defaults.max_connections, defaults.request_timeout) == (min(1000, soft - 64), 10.0)
    assert defaults.max_connections + defaults.backlog <= soft - 32
    with pytest.raises(SettingsError, match="FORUMBOT_HTTP_REQUEST_TIMEOUT='soon'"):
        limits_from_environ({"FORUMBOT_HTTP_REQUEST_TIMEOUT": "soon"})


@pytest.mark.slow
def test_when_every_open_connection_is_busy_a_new_one_gets_503_at_once(tmp_path: Path) -> None:
    database = tmp_path / "forumbot.db"
    process, base = start_serve(tmp_path, {
        "FORUMBOT_DATABASE_URL": f"sqlite+pysqlite:///{database}",
        "FORUMBOT_WEBHOOK_SECRET": SECRET, "FORUMBOT_HTTP_MAX_CONNECTIONS": "2"})
    answers: list[int] = []
    try:
        wait_healthy(process, base)
        writer = sqlite3.connect(database, isolation_level=None)
        writer.execute("BEGIN IMMEDIATE")  # another program holds the write lock a while
        senders = [threading.Thread(target=lambda n=n: answers.append(signed_post(
            base, SECRET, {**EVENT, "id": f"evt_busy_{n}"}, timeout=60).status_code))
            for n in range(2)]
        for sender in senders:
            sender.start()
        time.sleep(1.5)  # both requests are in, waiting for the database
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1]))) as sock:
            sock.sendall(b"GET /robots.txt HTTP/1.1\r\nHost: x\r\n\r\n")  # needs no database
            refused = _answer(sock)
        writer.rollback()
        writer.close()
        for sender in senders:
            sender.join()
    finally:
        stop(process)
    assert refused.startswith(b"HTTP/1.1 503 ")
    assert sorted(answers) == [200, 200]
