"""Ask a moderator: a declined question goes to the moderators' channel, and a moderator's
reply in its thread comes back to the member's thread, marked as from a moderator."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import SlackMessage
from adapters.slack.runtime import SlackRuntime, outcome_unknown
from adapters.slack.translate import is_id, plain_text, team_of
from bot.messages import Incoming, Reply
from bot.redaction import without_codes
from bot.rendering import Trusted
from bot.storage.platform_store import RelayTarget

log = logging.getLogger(__name__)

_PERMALINK = re.compile(r"^https://[^\s<>|]+$")


def relay_key(channel: str, ts: str) -> str:
    """The key of a thread in the moderators' channel."""
    return f"slack:{channel}:{ts}"


def mention(user: str) -> Trusted:
    """A user mention the bot means to make (the asker, named to the moderators)."""
    return Trusted(f"<@{user}>") if is_id(user) else Trusted("someone")


async def _permalink(client: AsyncWebClient, channel: str, ts: str) -> Trusted | None:
    try:
        found = await client.chat_getPermalink(channel=channel, message_ts=ts)
    except Exception as exc:
        log.warning("slack: no permalink for a question: %s", type(exc).__name__)
        return None
    link = found.get("permalink")
    return Trusted(f"<{link}|the question>") if isinstance(link, str) and _PERMALINK.match(
        link) else None


async def _member_target(client: AsyncWebClient, body: dict[str, Any], message: Incoming,
                         user: str) -> RelayTarget:
    """Where a moderator's answer reaches the member: the thread of the question, or their DM
    when the question was only in an ephemeral message."""
    container = body.get("container") or {}
    if container.get("is_ephemeral"):
        opened = await client.conversations_open(users=user)
        return RelayTarget(str(opened["channel"]["id"]), None)
    shown = body.get("message") or {}
    thread = shown.get("thread_ts") if isinstance(shown.get("thread_ts"), str) else None
    return RelayTarget(message.channel, thread)


async def pass_to_moderators(rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any],
                             clicked: Incoming, carried: dict[str, str],
                             respond: AsyncRespond) -> None:
    """Queue the member's question for the moderators and post it to their channel.

    When Slack refuses the post (or opening the DM a reply would reach), the question leaves
    the queue again: the member is told to try again (`failures`), and trying queues it once."""
    question = carried.get("q", "")
    message = Incoming(text=f"moderator {question}".strip(), user=clicked.user,
                       platform=clicked.platform, channel=clicked.channel,
                       private=clicked.private)
    reply = await rt.call(rt.app.assistant.handle, message)
    user = str(body["user"]["id"])
    channel = rt.config.moderator_channel
    if channel is not None and reply.context.get("queued"):
        asked_at = carried.get("ts", "")
        link = None
        if asked_at and not (body.get("container") or {}).get("is_ephemeral"):
            link = await _permalink(client, clicked.channel, asked_at)
        text = rt.text(Reply("moderator_question", {
            "asker": mention(user), "question": without_codes(question), "link": link}))
        try:
            target = await _member_target(client, body, clicked, user)
            posted = await client.chat_postMessage(channel=channel, text=text, blocks=[
                {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000],
                                             "verbatim": True}}])
        except Exception as exc:  # not posted (unless Slack's answer was lost): not queued
            if not outcome_unknown(exc):
                await rt.call(rt.app.handoffs.withdraw, reply.context["handoff"])
            raise
        ts = posted.get("ts")
        try:
            if not isinstance(ts, str):
                raise ValueError("Slack's answer to the post does not say where it is")
            await rt.call(rt.store.link_thread, relay_key(channel, ts), target, rt.clock())
        except Exception:  # posted, but a moderator's reply in its thread would reach nobody
            await _unposted(rt, client, channel, ts, reply.context["handoff"])
            raise
    await respond(replace_original=True, **rt.message(reply).as_kwargs())


async def _unposted(rt: SlackRuntime, client: AsyncWebClient, channel: str, ts: object,
                    handoff: int) -> None:
    """Take back a question posted to the moderators whose thread could not be linked to the
    member: the post deleted (when Slack said where it is) and the question out of the queue,
    so that the member's next click posts it again. Each as far as it goes: the failure that
    called for it is the one logged and told."""
    try:
        if isinstance(ts, str):
            await client.chat_delete(channel=channel, ts=ts)
        await rt.call(rt.app.handoffs.withdraw, handoff)
    except Exception as exc:
        log.warning("slack: a question posted to the moderators could not be taken back: %s",
                    type(exc).__name__)


async def relay_reply(rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any],
                      event: dict[str, Any], bot_user: str | None = None) -> None:
    """A reply in a moderators' thread that holds a member's question goes to the member
    (without the bot's mention, if the moderator made one)."""
    channel, thread = str(event["channel"]), str(event["thread_ts"])
    target = await rt.call(rt.store.thread_target, relay_key(channel, thread), rt.clock())
    if target is None:
        return
    team, user = team_of(body, event), str(event["user"])
    allowed, _ = await rt.is_moderator(team, user)
    if not allowed:
        await client.chat_postEphemeral(channel=channel, user=user, thread_ts=thread,
                                        text=rt.text(Reply("relay_refused")))
        return
    text = plain_text(str(event.get("text") or ""), bot_user)
    if not text:
        return

    def prepare() -> SlackMessage:
        return rt.message(Reply("moderator_reply", {"text": text}))

    async def send(slack: SlackMessage) -> None:
        await client.chat_postMessage(channel=target.channel, thread_ts=target.thread,
                                      **slack.as_kwargs())

    await rt.once(body, prepare, send)
