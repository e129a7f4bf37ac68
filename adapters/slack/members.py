"""What members do: mention or DM the bot, ask in help channels, `/faq`, `/contract`,
`/link`, and press the buttons under answers.

Every listener acknowledges first and works after the ack. Personal replies only ever go to
the member: in the DM, in an ephemeral message, or as a DM when asked in a channel.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import (
    ASK_MODERATOR,
    PICK,
    RATE_HELPFUL,
    RATE_UNHELPFUL,
    SHARE,
    SlackMessage,
    context,
    read_carried,
    replaced,
)
from adapters.slack.failures import guarded
from adapters.slack.relay import pass_to_moderators, relay_reply
from adapters.slack.runtime import PartlyPosted, SlackRuntime
from adapters.slack.translate import (
    answerable,
    identity,
    incoming,
    is_direct,
    is_id,
    plain_text,
    team_of,
)
from adapters.slack.web_api import refusal
from bot import commands
from bot.assistant import HELP_ENTRY, HUMAN_ENTRY, MAX_MESSAGE
from bot.errors import UserError
from bot.faq.entries import PERSONAL_TOPICS
from bot.faq.policy import Outcome
from bot.messages import Incoming, Reply, deliveries
from bot.text import clean

log = logging.getLogger(__name__)

MEMBER_COMMANDS = ("/faq", "/contract", "/link")
# Event subscriptions: mentions, and messages in public and private channels and DMs.
EVENTS = ("app_mention", "message.channels", "message.groups", "message.im")
# Entries a help channel is never answered with unasked: personal data, hand-off, help.
_NOT_UNASKED = PERSONAL_TOPICS | {HUMAN_ENTRY, HELP_ENTRY}


async def direct_message(client: AsyncWebClient, user: str, slack: SlackMessage) -> None:
    """Send a message to a member's DM with the bot."""
    opened = await client.conversations_open(users=user)
    await client.chat_postMessage(channel=opened["channel"]["id"], **slack.as_kwargs())


def deliveries_of(rt: SlackRuntime, message: Incoming, reply: Reply, question: str,
                  asked_at: str) -> list[tuple[bool, SlackMessage]]:
    """The messages of a reply, as `bot.messages.deliveries` says, each with whether it goes
    to the member's DM (a private reply to a public message) rather than where they asked."""
    return [(delivery.private and not message.private,
             rt.message(delivery.reply, question=question, asked_at=asked_at))
            for delivery in deliveries(message, reply)]


async def deliver(client: AsyncWebClient, channel: str, user: str, thread: str | None,
                  messages: list[tuple[bool, SlackMessage]]) -> None:
    """Post the messages of a reply: in the member's DM, or in `channel` (in `thread`).

    Raises `PartlyPosted` when a message fails after an earlier one was posted."""
    for posted, (direct, slack) in enumerate(messages):
        try:
            if direct:
                await direct_message(client, user, slack)
            else:
                await client.chat_postMessage(channel=channel, thread_ts=thread,
                                              **slack.as_kwargs())
        except Exception as exc:
            if posted:
                raise PartlyPosted(refusal(exc) if isinstance(exc, SlackApiError)
                                   else type(exc).__name__) from exc
            raise


async def answer(rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any],
                 event: dict[str, Any], text: str, thread: str | None) -> None:
    """Answer a member's message (once, however often Slack delivers it)."""
    team, user, channel = team_of(body, event), str(event["user"]), str(event["channel"])
    if not rt.allow(identity(team, user)):
        return
    message = incoming(text, team, user, channel, private=is_direct(channel),
                       moderator=await rt.group.contains(user))

    def prepare() -> list[tuple[bool, SlackMessage]]:
        reply = rt.app.assistant.handle(message)
        return deliveries_of(rt, message, reply, text, str(event["ts"]))

    async def send(messages: list[tuple[bool, SlackMessage]]) -> None:
        await deliver(client, channel, user, thread, messages)

    await rt.once(body, prepare, send)


async def _help_channel(rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any],
                        event: dict[str, Any], text: str) -> None:
    """A help channel's new message: answered in a thread only when the match is sure.

    Commands typed there (`link CODE`, `contracts`) are not for the bot: nothing happens."""
    try:
        if commands.parse(text) is not None:
            return
    except UserError:
        return
    if not rt.allow(identity(team_of(body, event), str(event["user"]))):
        return
    decision = await rt.call(rt.app.assistant.decide, clean(text[:MAX_MESSAGE]))
    if decision.outcome is not Outcome.ANSWER or decision.entry_id in _NOT_UNASKED:
        return
    team, user, channel = team_of(body, event), str(event["user"]), str(event["channel"])

    def prepare() -> SlackMessage | None:
        reply = rt.app.assistant.handle(incoming(text, team, user, channel, private=False))
        return rt.message(reply) if reply.template == "answer" else None

    async def send(slack: SlackMessage | None) -> None:
        if slack is not None:
            await client.chat_postMessage(channel=channel, thread_ts=event["ts"],
                                          **slack.as_kwargs())

    await rt.once(body, prepare, send)


async def _message(rt: SlackRuntime, client: AsyncWebClient, body: dict[str, Any],
                   event: dict[str, Any], bot_user: str | None) -> None:
    """A message event: a DM is answered, a reply in the moderators' channel relayed, and a
    help channel's new message answered when sure."""
    raw, channel = str(event.get("text") or ""), str(event["channel"])
    thread = event.get("thread_ts")
    if event.get("channel_type") == "im" or is_direct(channel):
        await answer(rt, client, body, event, plain_text(raw, bot_user), thread)
    elif _in_moderators_thread(rt, event):
        await relay_reply(rt, client, body, event, bot_user)
    elif (channel in rt.config.help_channels and not thread
          and not (bot_user and f"<@{bot_user}>" in raw)):  # a mention: app_mention's
        await _help_channel(rt, client, body, event, plain_text(raw, bot_user))


def _in_moderators_thread(rt: SlackRuntime, event: dict[str, Any]) -> bool:
    """Whether a message is a reply in a thread of the moderators' channel: for the relay
    only (a mention of the bot there too, as on Discord)."""
    thread = event.get("thread_ts")
    return (event["channel"] == rt.config.moderator_channel and isinstance(thread, str)
            and thread != event["ts"])


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    """Add the members' listeners."""

    @bolt.event("app_mention")
    @guarded(rt)
    async def mentioned(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any],
                        client: AsyncWebClient, context: dict[str, Any]) -> None:
        with rt.in_hand():
            await ack()
            if not answerable(event) or _in_moderators_thread(rt, event):
                return  # a reply in the moderators' thread: its message event relays it
            text = plain_text(str(event.get("text") or ""), context.get("bot_user_id"))
            await answer(rt, client, body, event, text, event.get("thread_ts") or event["ts"])

    @bolt.event("message")
    @guarded(rt)
    async def message_posted(ack: AsyncAck, body: dict[str, Any], event: dict[str, Any],
                             client: AsyncWebClient, context: dict[str, Any]) -> None:
        with rt.in_hand():
            await ack()
            if answerable(event):
                await _message(rt, client, body, event, context.get("bot_user_id"))

    @bolt.command("/faq")
    @guarded(rt)
    async def faq(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        text = plain_text(str(command.get("text") or ""))
        await _command(rt, command, respond, text or "faq list", question=text, share=True)

    @bolt.command("/contract")
    @guarded(rt)
    async def contract(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        named = plain_text(str(command.get("text") or ""))
        await _command(rt, command, respond, f"contract status {named}".strip())

    @bolt.command("/link")
    @guarded(rt)
    async def link(ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        await _command(rt, command, respond, f"/link {plain_text(str(command.get('text') or ''))}"
                       .strip())

    @bolt.action(re.compile(f"^({RATE_HELPFUL}|{RATE_UNHELPFUL})$"))
    @guarded(rt)
    async def rated(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                    respond: AsyncRespond) -> None:
        await ack()
        message = _clicked(body, "rate")
        if message is None:
            return
        if await _slowed(rt, message.user, respond):
            return
        helpful = action.get("action_id") == RATE_HELPFUL
        reply = await rt.call(rt.app.assistant.rate, message, str(action.get("value")), helpful)
        await respond(replace_original=True,
                      **replaced(_shown_text(body), rt.text(reply)).as_kwargs())

    @bolt.action(re.compile(rf"^{PICK}_\d+$"))
    @guarded(rt)
    async def picked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                     client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        carried = read_carried(action.get("value"))
        question = carried.get("q", "")
        message = _clicked(body, question or "pick")
        if message is None or "e" not in carried:
            return
        if await _slowed(rt, message.user, respond):
            return
        reply = await rt.call(rt.app.assistant.pick, message, carried["e"], question)
        user = str(body["user"]["id"])
        for delivery in deliveries(message, reply):
            slack = rt.message(delivery.reply)
            if delivery.private and not message.private:
                await direct_message(client, user, slack)
            else:
                await respond(replace_original=True, **slack.as_kwargs())

    @bolt.action(ASK_MODERATOR)
    @guarded(rt)
    async def ask_moderator(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                            client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        carried = read_carried(action.get("value"))
        message = _clicked(body, "moderator")
        if message is None:
            return
        if await _slowed(rt, message.user, respond):
            return
        await pass_to_moderators(rt, client, body, message, carried, respond)

    @bolt.action(SHARE)
    @guarded(rt)
    async def share(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                    client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        message = _clicked(body, f"faq show {action.get('value')}", private=False)
        if message is None:
            return
        if await _slowed(rt, message.user, respond):
            return
        reply = await rt.call(rt.app.assistant.handle, message)
        if reply.template != "answer":
            await respond(replace_original=False, **rt.message(reply).as_kwargs())
            return
        user = str(body["user"]["id"])
        shared = rt.message(reply)
        shared.blocks.insert(0, context(rt.text(Reply("shared", {"user": user}))))
        try:
            await client.chat_postMessage(channel=message.channel, **shared.as_kwargs())
        except Exception as exc:
            log.warning("slack: sharing an answer failed: %s", type(exc).__name__)
            await respond(replace_original=False, text=rt.text(Reply("share_failed")))
            return
        await respond(delete_original=True)


def _clicked(body: dict[str, Any], text: str, private: bool | None = None) -> Incoming | None:
    """The member who pressed a button, as a message with `text`; None for a malformed payload.

    A button in a DM or in an ephemeral message is private."""
    user = body.get("user") or {}
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id")
    if not is_id(user.get("id")) or not is_id(channel):
        return None
    ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))
    if private is None:
        private = ephemeral or is_direct(str(channel))
    return incoming(text, team_of(body), str(user["id"]), str(channel), private=private)


async def _slowed(rt: SlackRuntime, member: str, respond: AsyncRespond) -> bool:
    """Whether a member's command or click is over the rate limit (then told so, only them)."""
    if rt.allow(member):
        return False
    await respond(response_type="ephemeral", replace_original=False,
                  text=rt.text(Reply("slow_down")))
    return True


def _shown_text(body: dict[str, Any]) -> str:
    """The text of the message a button was under (our own section), if Slack sent it."""
    blocks = (body.get("message") or {}).get("blocks")
    for block in blocks if isinstance(blocks, list) else ():
        if isinstance(block, dict) and block.get("type") == "section":
            text = block.get("text")
            if isinstance(text, dict) and isinstance(text.get("text"), str):
                return str(text["text"])
    return ""


async def _command(rt: SlackRuntime, command: dict[str, Any], respond: AsyncRespond,
                   text: str, *, question: str = "", share: bool = False) -> None:
    """A member's slash command, answered with a message only they see."""
    user, channel = command.get("user_id"), command.get("channel_id")
    if not is_id(user) or not is_id(channel):
        return
    team = team_of(command)
    if await _slowed(rt, identity(team, str(user)), respond):
        return
    moderator = await rt.group.contains(str(user))
    message = incoming(text, team, str(user), str(channel), private=True, moderator=moderator)
    reply = await rt.call(rt.app.assistant.handle, message)
    slack = rt.message(reply, question=question, share=share and reply.template == "answer")
    await respond(response_type="ephemeral", **slack.as_kwargs())

