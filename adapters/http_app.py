"""The HTTP server of `forumbot serve`: the marketplace webhook, health, readiness, metrics.

Starlette under uvicorn; the Slack adapter will mount its endpoints on the same app. Members'
data is private: logs carry event ids, types and statuses, never a body or a reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from datetime import datetime

import anyio
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from adapters.delivery_loop import start_delivery
from adapters.metrics import CONTENT_TYPE, Metrics
from adapters.payment_scan_loop import start_payment_scan
from bot.app import App, utc_now
from bot.contracts.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, parse_event, verify_signature
from bot.contracts.webhook_events import Event
from bot.delivery import Sender
from bot.errors import Unavailable, WebhookRejected
from bot.storage.database import POOL_SIZE
from bot.storage.event_store import SqlEventStore
from bot.storage.outbox_store import SqlOutbox
from bot.storage.payment_scan import SqlPaymentScan

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # bytes
BODY_TIMEOUT = 10.0  # seconds for the whole body to arrive
NO_SECRET = "the webhook secret is not configured: set FORUMBOT_WEBHOOK_SECRET"


async def limited_body(request: Request, limit: int, timeout: float) -> bytes:
    """The request body, refused with 413 as soon as it is known to pass `limit` bytes, and
    with 408 when it has not all arrived within `timeout` seconds."""
    too_large = WebhookRejected(413, f"body: more than {limit} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    try:
        with anyio.fail_after(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise too_large
                chunks.append(chunk)
    except TimeoutError:
        raise WebhookRejected(408, f"body: not received within {timeout:g} seconds") from None
    except ClientDisconnect:
        raise WebhookRejected(400, "body: the connection closed before the body ended") from None
    return b"".join(chunks)


def _refused(event: Event | None, exc: WebhookRejected) -> JSONResponse:
    if event is None and exc.status == 401:
        # Which signature check failed (the reason names headers and rules, no secret).
        log.warning("webhook request refused: 401 %s", exc.reason)
    elif event is None:
        log.warning("webhook request refused: %d", exc.status)
    else:
        log.warning("webhook event %s (%s) refused: %d", event.id, event.type.value, exc.status)
    return JSONResponse({"error": exc.reason}, status_code=exc.status)


def create_http_app(
    app: App,
    secret: str | None,
    senders: Sequence[Sender] = (),
    clock: Callable[[], datetime] = utc_now,
    max_body: int = MAX_BODY,
    body_timeout: float = BODY_TIMEOUT,
    metrics: Metrics | None = None,
    routes: Sequence[BaseRoute] = (),
    running: Sequence[Callable[[], AbstractAsyncContextManager[None]]] = (),
) -> Starlette:
    """The Starlette app: `GET /healthz`, `/readyz`, `/metrics`, `POST /hooks/marketplace`,
    and outbox delivery.

    Without a `secret` the webhook answers 503 and accepts nothing. The delivery loop sends
    the outbox through `senders` while the app runs. `metrics` are the ones the composition
    root was given, so that `/metrics` counts the assistant's questions too. Chat platforms
    add their `routes` and what keeps `running` while the app does (a Socket Mode connection).
    """
    events = SqlEventStore(app.engine)
    outbox = SqlOutbox(app.engine)
    metrics = metrics or Metrics()
    # Events applied at once: as many as the pool's connections, so that a burst waits its
    # turn instead of opening a connection per event (made on the event loop, at first use).
    appliers: list[anyio.CapacityLimiter] = []
    if not secret:
        log.warning("%s; POST /hooks/marketplace answers 503", NO_SECRET)

    async def healthz(request: Request) -> JSONResponse:
        """The process is up and serving: no database and no thread, so that it stays cheap."""
        return JSONResponse({"status": "ok"})

    def readyz(request: Request) -> JSONResponse:
        """Ready for traffic: the database answers."""
        try:
            with app.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            log.warning("readiness check: the database did not answer: %s", type(exc).__name__)
            return JSONResponse({"status": "unavailable", "error": "the database did not answer"},
                                status_code=503)
        return JSONResponse({"status": "ok"})

    def metrics_page(request: Request) -> Response:
        """Prometheus' text format; the outbox figures are read at each scrape."""
        try:
            pending, oldest = outbox.backlog()
        except SQLAlchemyError as exc:
            log.warning("metrics: the outbox could not be read: %s", type(exc).__name__)
            metrics.outbox(None, None, clock())
        else:
            metrics.outbox(pending, oldest, clock())
        return Response(metrics.exposition(), media_type=CONTENT_TYPE)

    async def marketplace_hook(request: Request) -> JSONResponse:
        started = time.perf_counter()
        response, result = await receive(request)
        metrics.webhook(response.status_code, result, time.perf_counter() - started)
        return response

    async def receive(request: Request) -> tuple[JSONResponse, str]:
        event: Event | None = None
        try:
            if not secret:
                raise WebhookRejected(503, NO_SECRET)
            body = await limited_body(request, max_body, body_timeout)
            verify_signature(secret, request.headers.get(TIMESTAMP_HEADER),
                             request.headers.get(SIGNATURE_HEADER), body, clock())
            event = parse_event(body)
            if not appliers:
                appliers.append(anyio.CapacityLimiter(POOL_SIZE))
            applied = await anyio.to_thread.run_sync(events.apply, event, clock(),
                                                     limiter=appliers[0])
        except WebhookRejected as exc:
            return _refused(event, exc), "refused"
        except Unavailable:
            return _refused(event, WebhookRejected(503, "the database is not answering; send "
                                                        "the event again later")), "failed"
        except Exception as exc:  # database errors quote the rows' values: log the type only
            what = f"event {event.id} ({event.type.value})" if event else "request"
            log.error("webhook %s failed: %s", what, type(exc).__name__)
            return JSONResponse({"error": "internal error; send the event again later"},
                                status_code=500), "failed"
        outcome = "applied" if applied else "duplicate"
        log.info("webhook event %s (%s): %s", event.id, event.type.value, outcome)
        return JSONResponse({"status": outcome}), outcome

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        stop = start_delivery(outbox, senders, clock=clock)
        stop_scan = start_payment_scan(SqlPaymentScan(app.engine), clock)
        try:
            async with AsyncExitStack() as stack:
                for platform in running:
                    await stack.enter_async_context(platform())
                yield
        finally:
            await run_in_threadpool(stop_scan)
            await run_in_threadpool(stop)

    return Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_page, methods=["GET"]),
            Route("/hooks/marketplace", marketplace_hook, methods=["POST"]),
            *routes,
        ],
        lifespan=lifespan,
    )
