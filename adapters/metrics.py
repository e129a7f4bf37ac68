"""Prometheus metrics of `forumbot serve`, in a registry of their own (`GET /metrics`).

`Metrics` implements the core's `bot.observer.Observer` and is given to the composition root;
the HTTP app adds the webhook's results and, at each scrape, the outbox's backlog. Each
replica exposes its own counters; the outbox figures are the shared database's, the same on
every replica. No label carries an identity, a text or an amount.
"""

from __future__ import annotations

import math
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

# Seconds: a reply is usually well under a millisecond of matching plus a database write.
REPLY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
WEBHOOK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """The counters, histograms and gauges of one serve process."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._questions = Counter(
            "forumbot_questions", "Questions by outcome (answer, suggest, decline) and platform",
            ["platform", "outcome"], registry=r)
        self._replies = Histogram(
            "forumbot_reply_seconds", "Time from a member's message to the assistant's reply",
            ["platform"], buckets=REPLY_BUCKETS, registry=r)
        self._failed = Counter(
            "forumbot_replies_failed", "Messages that ended in an apology (an unexpected error)",
            ["platform"], registry=r)
        self._links = Counter(
            "forumbot_link_failures", "Refused link codes: wrong (unknown, used, expired) "
            "or locked (too many wrong codes)", ["platform", "reason"], registry=r)
        self._webhook = Counter(
            "forumbot_webhook_requests", "Webhook requests by HTTP status and result "
            "(applied, duplicate, refused, failed)", ["status", "result"], registry=r)
        self._webhook_seconds = Histogram(
            "forumbot_webhook_seconds", "Time to answer a webhook request",
            buckets=WEBHOOK_BUCKETS, registry=r)
        self._pending = Gauge(
            "forumbot_outbox_pending", "Notifications waiting to be delivered "
            "(the shared database's figure; NaN when it did not answer)", registry=r)
        self._oldest = Gauge(
            "forumbot_outbox_oldest_pending_seconds", "Age of the oldest notification "
            "waiting to be delivered (0 when none; NaN when the database did not answer)",
            registry=r)

    def question(self, platform: str, outcome: str) -> None:
        """Count a question's outcome."""
        self._questions.labels(platform=platform, outcome=outcome).inc()

    def replied(self, platform: str, seconds: float, failed: bool) -> None:
        """Time a reply; count it when it was an apology."""
        self._replies.labels(platform=platform).observe(seconds)
        if failed:
            self._failed.labels(platform=platform).inc()

    def link_refused(self, platform: str, reason: str) -> None:
        """Count a refused link code."""
        self._links.labels(platform=platform, reason=reason).inc()

    def webhook(self, status: int, result: str, seconds: float) -> None:
        """Count a webhook request by its HTTP status and result, and time it."""
        self._webhook.labels(status=str(status), result=result).inc()
        self._webhook_seconds.observe(seconds)

    def outbox(self, pending: int | None, oldest: datetime | None, now: datetime) -> None:
        """Set the outbox gauges; `pending` None when the database could not be read."""
        if pending is None:
            self._pending.set(math.nan)
            self._oldest.set(math.nan)
            return
        self._pending.set(pending)
        self._oldest.set(max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)

    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format."""
        return generate_latest(self.registry)
