"""Notifications from the outbox as Discord DMs: the `Sender` of `discord:` identities.

The delivery loop runs in its own thread; each send is handed to the client's event loop.
A member whose DMs are closed is `Unreachable`: logged by id, the notification held for
their next message to the bot, not retried every few minutes.
"""

from __future__ import annotations

import asyncio
import logging

import discord

from adapters.discord_app import translate
from adapters.discord_app.desk import DiscordDesk
from bot.delivery import Unreachable
from bot.messages import Reply

log = logging.getLogger(__name__)
SEND_TIMEOUT = 30.0  # seconds for one DM, rate limits included
CANNOT_MESSAGE_USER = 50007  # Discord's code for closed DMs


class DiscordSender:
    """Sends replies as DMs through a running client."""

    platform = translate.PLATFORM

    def __init__(self, desk: DiscordDesk, loop: asyncio.AbstractEventLoop) -> None:
        self.desk = desk
        self.loop = loop

    def send(self, identity: str, reply: Reply) -> None:
        """Deliver `reply` to the member by DM, or raise (`Unreachable` for closed DMs)."""
        user_id = translate.user_id_of(identity)
        if user_id is None:
            raise ValueError("not a discord identity")
        content = self.desk.render(reply)
        future = asyncio.run_coroutine_threadsafe(self.desk.send_dm(user_id, content), self.loop)
        try:
            future.result(SEND_TIMEOUT)
        except discord.Forbidden as exc:
            if exc.code != CANNOT_MESSAGE_USER:
                raise
            log.info("discord: DMs closed for user %s; notification held", user_id)
            raise Unreachable() from None
        except TimeoutError:
            future.cancel()
            raise
