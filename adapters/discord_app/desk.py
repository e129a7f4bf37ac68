"""What every Discord handler shares: the app, the settings, the worker threads, rendering,
who is a moderator, the rate limit, DMs, and the guard that keeps failures to one log line.

The assistant is synchronous (database, matcher), so every call to it runs in a worker
thread and the event loop stays free for the gateway and the HTTP app. Members' words and
contract data are never logged: only ids, event kinds and exception types.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import traceback
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar, cast

import discord

from adapters.discord_app import translate
from adapters.discord_app.config import DiscordConfig
from adapters.limits import SUGGESTIONS_PER_WINDOW, RateLimit
from bot.app import App
from bot.delivery import take_pending
from bot.errors import UNAVAILABLE
from bot.messages import Incoming, Reply
from bot.rendering import Trusted
from bot.storage.database import DATABASE_AWAY
from bot.storage.outbox_store import SqlOutbox
from bot.storage.platform_store import SqlPlatformStore

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
WORKERS = 4  # threads answering at once (the matcher holds the GIL; the database waits)
READY_TIMEOUT = 20.0  # seconds a DM waits for the client to connect
CUT = " … (cut here: `forumbot handoffs` shows it all)"  # the end of a question cut to fit


Handler = Callable[P, Coroutine[Any, Any, None]]


def guarded(handler: Handler[P]) -> Handler[P]:
    """Run a handler so that Discord's refusals are one log line and nothing else escapes.

    An interaction older than its token, a message deleted meanwhile, closed DMs: logged
    by status and code. The database not answering: one line, and an interaction's user told
    to try again (`database_away`). Anything else is logged with its traceback, never the
    member's words.
    """
    @functools.wraps(handler)
    async def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await handler(*args, **kwargs)
        except discord.NotFound as exc:
            log.info("discord: %s: gone (code %s), nothing sent", handler.__name__, exc.code)
        except discord.HTTPException as exc:
            log.warning("discord: %s: refused with %s (code %s)", handler.__name__,
                        exc.status, exc.code)
        except DATABASE_AWAY as exc:
            asked = next((a for a in args if isinstance(a, discord.Interaction)), None)
            await database_away(asked, handler.__name__, exc)
        except Exception as exc:
            log_failure(handler.__name__, exc)
    return run


async def database_away(interaction: discord.Interaction[Any] | None, what: str,
                        exc: BaseException) -> None:
    """One log line, and whoever asked told privately to try again, as members are (what
    failed was rolled back: nothing is half-written)."""
    log.warning("discord: %s: the database is not answering (%s)", what, type(exc).__name__)
    if interaction is None:
        return
    content = desk_of(interaction).render(Reply("error", {"message": UNAVAILABLE}))
    try:
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.HTTPException as refused:
        log.info("discord: %s: not told (%s, code %s)", what, refused.status, refused.code)


def log_failure(what: str, exc: BaseException) -> None:
    """An unexpected failure: its type and where it happened, not its message (database
    errors quote the rows' values, which can be members' words)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("discord: %s failed: %s\n%s", what, type(exc).__name__, frames)


def kwargs_for(view: discord.ui.View | None) -> dict[str, Any]:
    """`view=` for discord.py's send calls, or nothing (some refuse `view=None`)."""
    return {} if view is None else {"view": view}


def may_post(interaction: discord.Interaction[Any]) -> bool:
    """Whether the member may post in the interaction's server channel themselves ("Post in
    channel" posts for them: not where they may only read, like announcements)."""
    permissions = interaction.permissions
    if isinstance(interaction.channel, discord.Thread):
        allowed = permissions.send_messages_in_threads
    else:
        allowed = permissions.send_messages
    return interaction.guild_id is not None and allowed


def desk_of(interaction: discord.Interaction[Any]) -> DiscordDesk:
    """The desk of the client that received the interaction."""
    return cast(DiscordDesk, interaction.client.desk)


class DiscordDesk:
    """What the bot does for each Discord event; the client routes events here."""

    def __init__(self, app: App, config: DiscordConfig,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.app = app
        self.config = config
        self.clock = clock
        self.bot_id = 0  # set when the client is ready
        self.client: discord.Client | None = None
        self.limit = RateLimit()
        self.suggest_limit = RateLimit(SUGGESTIONS_PER_WINDOW)  # autocomplete: empty past it
        self.boot = secrets.token_hex(4)  # in the custom ids of forms this process opened
        self.open_forms: set[str] = set()  # custom ids of the forms open now
        self.store = SqlPlatformStore(app.engine)
        self.stopping = False  # set on shutdown: new messages are left to other processes
        self._in_hand: set[asyncio.Task[Any]] = set()
        self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="forumbot-discord")

    def attach(self, client: discord.Client) -> None:
        """The client this desk answers for."""
        self.client = client

    async def handling(self, handler: Coroutine[Any, Any, None]) -> None:
        """Run a message's handler, counted as in hand until it ends; none after `drain`."""
        if self.stopping:
            handler.close()
            return
        task = asyncio.current_task()
        if task is not None:
            self._in_hand.add(task)
        try:
            await handler
        finally:
            if task is not None:
                self._in_hand.discard(task)

    async def drain(self, within: float) -> None:
        """Take no new messages and wait (up to `within` seconds) for those in hand to be
        answered, so that stopping does not cut answers off halfway."""
        self.stopping = True
        if self._in_hand:
            await asyncio.wait(set(self._in_hand), timeout=within)

    def close(self) -> None:
        """Stop the worker threads once the calls in hand are done."""
        self._workers.shutdown(wait=True)

    async def send_dm(self, user_id: int, content: str) -> None:
        """A direct message to a user; raises `discord.Forbidden` when their DMs are closed."""
        if self.client is None:
            raise RuntimeError("the Discord client is not running")
        await asyncio.wait_for(self.client.wait_until_ready(), READY_TIMEOUT)
        channel = await self.client.create_dm(discord.Object(user_id))
        await channel.send(content)

    # ---- shared ----------------------------------------------------------------------------

    async def call(self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a synchronous core call in one of the desk's own worker threads.

        Not the loop's default executor: aiohttp resolves names there, and a DM the outbox
        sends while it holds the database must never wait behind calls waiting for it.
        """
        return await asyncio.get_running_loop().run_in_executor(
            self._workers, functools.partial(function, *args, **kwargs))

    def claim(self, message_id: int) -> bool:
        """Claim a message for this process (in a worker thread); False when another process
        that received it too answers it."""
        return self.store.claim(f"{translate.PLATFORM}:message:{message_id}", self.clock())

    def render(self, reply: Reply) -> str:
        """The reply as Discord text, within one message."""
        return translate.clipped(self.app.renderer.render(reply, "discord"))

    def render_pieces(self, reply: Reply) -> list[str]:
        """The reply as Discord text in as many messages as it takes (a member's long list
        of contracts), cut between lines."""
        return translate.pieces(self.app.renderer.render(reply, "discord")) or [
            self.render(reply)]

    async def respond_with(self, interaction: discord.Interaction[Any], reply: Reply, *,
                           ephemeral: bool, view: discord.ui.View | None = None) -> None:
        """A reply to an interaction, in as many messages as it takes; buttons under the last."""
        parts = self.render_pieces(reply)
        for number, content in enumerate(parts, 1):
            extra = kwargs_for(view) if number == len(parts) else {}
            if interaction.response.is_done():
                await interaction.followup.send(content, ephemeral=ephemeral, **extra)
            else:
                await interaction.response.send_message(content, ephemeral=ephemeral, **extra)

    def is_moderator_member(self, user: discord.abc.User,
                            permissions: discord.Permissions | None = None) -> bool:
        """A moderator by platform: the configured role or the Manage Messages permission."""
        if not isinstance(user, discord.Member):
            return False
        role = self.config.moderator_role
        if role is not None and any(r.id == role for r in user.roles):
            return True
        perms = permissions if permissions is not None else user.guild_permissions
        return perms.manage_messages

    async def held_notifications(self, user_id: int) -> list[str]:
        """The member's notifications held while their DMs were closed, rendered, and marked
        delivered: shown wherever they next talk to the bot privately."""
        replies = await self.call(take_pending, SqlOutbox(self.app.engine),
                                  translate.identity(user_id), self.clock())
        return [self.render(reply) for reply in replies]

    async def post_to_moderators(self, user: discord.abc.User, question: str,
                                 jump: str) -> None:
        """A question passed on: posted in the moderators' channel, with a thread on it in
        which a moderator's reply reaches the member."""
        channel_id = self.config.moderator_channel
        if channel_id is None or self.client is None:
            return
        channel = self.client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning("discord: the moderators' channel %s is not a text channel I can see",
                        channel_id)
            return
        post = await channel.send(self._question_post(user, question, jump))
        await post.create_thread(
            name=translate.clipped(f"Question from {user.display_name}", 100))

    async def pass_on(self, user: discord.abc.User, reply: Reply, jump: str) -> None:
        """A reply that queued a hand-off (`moderator [QUESTION]` typed, by message or with
        `/faq`): the queued question goes to the moderators' channel too, as with the button."""
        handoff_id = reply.context.get("handoff")
        if reply.template != "handoff" or not isinstance(handoff_id, int):
            return
        handoff = await self.call(self.app.handoffs.get, handoff_id)
        if handoff is not None:
            await self.post_to_moderators(user, handoff.question, jump)

    def _question_post(self, user: discord.abc.User, question: str, jump: str) -> str:
        """The post of a passed-on question, in one message: a question too long once quoted
        and escaped is cut (the queue keeps it whole), never the moderators' instructions."""
        while True:
            content = self.app.renderer.render(Reply("moderator_question", {
                "mention": Trusted(f"<@{user.id}>"), "name": user.display_name,
                "question": question, "jump": Trusted(jump)}), "discord")
            over = len(content) - translate.MESSAGE_LIMIT
            if over <= 0 or len(question) <= len(CUT):
                return translate.clipped(content)
            question = question[:max(0, len(question) - over - len(CUT))].rstrip() + CUT

    def incoming_of(self, interaction: discord.Interaction[Any], text: str, *,
                    private: bool) -> Incoming:
        """An interaction as the core's message from its user."""
        moderator = self.is_moderator_member(interaction.user, interaction.permissions)
        return translate.incoming(text, interaction.user.id, interaction.channel_id or 0,
                                  private=private, moderator=moderator)

    async def over_limit(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether the member is over the rate limit (then told so privately)."""
        if self.limit.allow(interaction.user.id):
            return False
        log.info("discord: user %s is over the rate limit; command refused", interaction.user.id)
        await interaction.response.send_message(self.render(Reply("slow_down")), ephemeral=True)
        return True


