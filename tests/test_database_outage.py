"""A database outage, for real: PostgreSQL behind a TCP proxy that the test stops and restarts."""

from __future__ import annotations

import contextlib
import json
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
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


class TcpProxy:
    """Forwards 127.0.0.1:`port` to a server; `stop` closes every connection, `start` listens
    again on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self._target = target
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.port = 0
        self.start()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            for sock in (*self._sockets, *([self._listener] if self._listener else [])):
                with contextlib.suppress(OSError):  # wakes a thread blocked on it, on Linux
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._listener = None
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self._target)
            with self._lock:
                self._sockets.update((client, server))
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()

    def _pipe(self, client: socket.socket, server: socket.socket) -> None:
        other = {client: server, server: client}
        with selectors.DefaultSelector() as selector:
            for sock in other:
                selector.register(sock, selectors.EVENT_READ)
            try:
                while True:
                    for key, _ in selector.select():
                        sock = key.fileobj
                        assert isinstance(sock, socket.socket)
                        data = sock.recv(65536)
                        if not data:
                            return
                        other[sock].sendall(data)
            except (OSError, ValueError):
                return
            finally:
                for sock in other:
                    sock.close()


@pytest.fixture
def proxy(postgres_database: str) -> Iterator[tuple[TcpProxy, str]]:
    """A proxy to the test's PostgreSQL, and a database URL through it."""
    url = make_url(postgres_database)
    tcp = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    yield tcp, url.set(port=tcp.port).render_as_string(hide_password=False)
    tcp.stop()


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
