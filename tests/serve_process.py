"""Starting real `forumbot serve` processes for end-to-end tests, on free loopback ports."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serve(
    data_dir: Path, env: Mapping[str, str], port: int | None = None,
    preexec_fn: Callable[[], None] | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    """A `forumbot serve` process with `env` over the test's environment, and its base URL.

    Its output goes to `data_dir/serve-PORT.log`.
    """
    port = port or free_port()
    with (data_dir / f"serve-{port}.log").open("wb") as log:  # the process keeps its copy
        process = subprocess.Popen(
            [sys.executable, "-m", "adapters.cli.main", "serve", "--port", str(port)],
            env={**os.environ, "FORUMBOT_DATA_DIR": str(data_dir), **env},
            stdout=log, stderr=subprocess.STDOUT, preexec_fn=preexec_fn)
    return process, f"http://127.0.0.1:{port}"


def wait_healthy(process: subprocess.Popen[bytes], base: str, within: float = 30.0) -> None:
    """Wait until `GET /healthz` answers ok; fails if the process ends first."""
    deadline = time.monotonic() + within
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, f"forumbot serve ended with {process.returncode}"
        assert time.monotonic() < deadline, "forumbot serve did not become healthy"
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def signed_post(base: str, secret: str, event: dict[str, Any],
                timeout: float = 15.0) -> httpx.Response:
    """POST one event signed now, as the marketplace does."""
    body = json.dumps(event).encode()
    stamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), stamp.encode() + b"." + body,
                         hashlib.sha256).hexdigest()
    return httpx.post(f"{base}/hooks/marketplace", content=body, timeout=timeout, headers={
        "Content-Type": "application/json", "X-Forumbot-Timestamp": stamp,
        "X-Forumbot-Signature": f"sha256={signature}"})
