"""The marketplace webhook's core: checking a request's signature and reading its event.

Pure: headers and the raw body in, an `Event` out, or `WebhookRejected` with the HTTP status
and a reason safe to send back and to log: it never quotes members' titles, names, amounts or
link codes. The format is docs/webhook.md.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from bot.contracts.records import ImportRecord
from bot.contracts.webhook_events import CODE_RULE, Event, EventType, read_change
from bot.errors import ImportProblem, WebhookRejected
from bot.strict_json import NotJson, load_json

TIMESTAMP_HEADER = "X-Forumbot-Timestamp"
SIGNATURE_HEADER = "X-Forumbot-Signature"
MAX_SKEW = timedelta(minutes=5)
EVENT_ID_LIMIT = 200  # the webhook_events.id column

# Fields holding members' private data: a problem with one is told by its rule, not its value.
_PRIVATE_RULES = {
    "title": "must be one line of text, 1 to 300 characters",
    "name": "must be one line of text, 1 to 200 characters",
    "amount": 'must be a decimal string such as "50.00"',
    "rate": 'must be a decimal string such as "30.00"',
    "hours": 'must be a decimal string such as "7.5", at most 168',
    "code": CODE_RULE,
}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The hex HMAC-SHA256, under `secret`, of `timestamp + "." + body`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify_signature(
    secret: str, timestamp_header: str | None, signature_header: str | None, raw_body: bytes,
    now: datetime,
) -> None:
    """Accept a request signed with `secret` within `MAX_SKEW` of `now`; else raise 401."""
    if not timestamp_header or not signature_header:
        raise WebhookRejected(401, f"missing the {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    timestamp = timestamp_header.strip()
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise WebhookRejected(401, f"{TIMESTAMP_HEADER}: expected unix seconds")
    scheme, _, given = signature_header.strip().partition("=")
    expected = sign(secret, timestamp, raw_body)
    if scheme != "sha256" or not hmac.compare_digest(
            given.lower().encode("utf-8", "replace"), expected.encode()):
        raise WebhookRejected(401, f"{SIGNATURE_HEADER}: not sha256=<hex> of the timestamp and "
                              "the body under the shared secret")
    if abs(now.timestamp() - int(timestamp)) > MAX_SKEW.total_seconds():
        raise WebhookRejected(401, f"{TIMESTAMP_HEADER}: more than "
                              f"{MAX_SKEW.seconds // 60} minutes from the server's clock")


def _rejected(problem: ImportProblem) -> WebhookRejected:
    rule = _PRIVATE_RULES.get(problem.path.rsplit(".", 1)[-1])
    reason = problem.reason if rule is None or problem.reason in ("missing", "is null") else rule
    return WebhookRejected(400, f"{problem.path}: {reason}")


def parse_event(raw_body: bytes) -> Event:
    """Read and check an event; raises `WebhookRejected(400)` naming the field and the reason."""
    try:
        doc = load_json(raw_body.decode("utf-8"))
    except UnicodeDecodeError:
        raise WebhookRejected(400, "body: not UTF-8") from None
    except NotJson as exc:
        raise WebhookRejected(400, f"body: not valid JSON: {exc.reason} "
                              f"(line {exc.line}, column {exc.column})") from None
    try:
        envelope = ImportRecord(doc, "", ("id", "type", "time", "data"), "an event")
        event_id = envelope.text("id", EVENT_ID_LIMIT)
        kind, time = envelope.enum("type", EventType), envelope.when("time")
        return Event(event_id, kind, time, read_change(kind, envelope.get("data"), time))
    except ImportProblem as problem:
        raise _rejected(problem) from None
