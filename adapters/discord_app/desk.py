"""The thin handlers between Discord events and the assistant: translate in, ask, send out.

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
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import discord

from adapters.discord_app import translate
from adapters.discord_app.config import DiscordConfig
from adapters.discord_app.limits import RateLimit
from bot.app import App
from bot.delivery import take_pending
from bot.faq.entries import PERSONAL_TOPICS
from bot.faq.policy import Outcome
from bot.handoff import OFFER_LIFETIME
from bot.messages import Incoming, Reply, deliveries
from bot.rendering import Trusted
from bot.storage.outbox_store import SqlOutbox

log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")
# Longer than this without an answer, an interaction is deferred (Discord allows 3 seconds).
DEFER_AFTER = 2.0
AUTOCOMPLETE_LIMIT = 25
WORKERS = 4  # threads answering at once (the matcher holds the GIL; the database waits)
READY_TIMEOUT = 20.0  # seconds a DM waits for the client to connect


Handler = Callable[P, Coroutine[Any, Any, None]]


def guarded(handler: Handler[P]) -> Handler[P]:
    """Run a handler so that Discord's refusals are one log line and nothing else escapes.

    An interaction older than its token, a message deleted meanwhile, closed DMs: logged
    by status and code. Anything else is logged with its traceback, never the member's words.
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
        except Exception as exc:
            log_failure(handler.__name__, exc)
    return run


def log_failure(what: str, exc: BaseException) -> None:
    """An unexpected failure: its type and where it happened, not its message (database
    errors quote the rows' values, which can be members' words)."""
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("discord: %s failed: %s\n%s", what, type(exc).__name__, frames)


def _kwargs(view: discord.ui.View | None) -> dict[str, Any]:
    return {} if view is None else {"view": view}


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
        self.boot = secrets.token_hex(4)  # in the custom ids of forms this process opened
        self.open_forms: set[str] = set()  # custom ids of the forms open now
        self._workers = ThreadPoolExecutor(WORKERS, thread_name_prefix="forumbot-discord")

    def attach(self, client: discord.Client) -> None:
        """The client this desk answers for."""
        self.client = client

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

    def render(self, reply: Reply) -> str:
        """The reply as Discord text, within one message."""
        return translate.clipped(self.app.renderer.render(reply, "discord"))

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

    def incoming_of(self, interaction: discord.Interaction[Any], text: str, *,
                    private: bool) -> Incoming:
        """An interaction as the core's message from its user."""
        moderator = self.is_moderator_member(interaction.user, interaction.permissions)
        return translate.incoming(text, interaction.user.id, interaction.channel_id or 0,
                                  private=private, moderator=moderator)

    # ---- messages --------------------------------------------------------------------------

    @guarded
    async def on_message(self, message: discord.Message) -> None:
        """A message the bot can see: a DM, a mention, a help post, or a moderator's reply in
        a hand-off thread; anything else is left alone."""
        if message.author.bot or message.webhook_id is not None or not self.bot_id:
            return
        channel = message.channel
        if not self._addressed(message):
            return
        if not self.limit.allow(message.author.id):
            log.info("discord: user %s is over the rate limit; message left alone",
                     message.author.id)
            return
        if isinstance(channel, discord.DMChannel) or message.guild is None:
            await self._answer(message, message.content, private=True)
            return
        if isinstance(channel, discord.Thread) and \
                channel.parent_id == self.config.moderator_channel:
            await self._relay(message, channel)
            return
        if translate.mentions(message.content, self.bot_id):
            text = translate.without_mentions_of(message.content, self.bot_id)
            await self._answer(message, text, private=False)
            return
        if channel.id in self.config.help_channels or (
                isinstance(channel, discord.Thread) and channel.id == message.id
                and channel.parent_id in self.config.help_forums):
            title = channel.name if isinstance(channel, discord.Thread) else ""
            await self._help_post(message, translate.forum_post_text(title, message.content))

    def _addressed(self, message: discord.Message) -> bool:
        """Whether the bot has anything to do with a message (cheap: no database)."""
        channel = message.channel
        return (message.guild is None or translate.mentions(message.content, self.bot_id)
                or channel.id in self.config.help_channels
                or (isinstance(channel, discord.Thread) and (
                    channel.parent_id in self.config.help_forums
                    or channel.parent_id == self.config.moderator_channel)))

    async def _answer(self, message: discord.Message, text: str, *, private: bool) -> None:
        moderator = self.is_moderator_member(message.author)
        incoming = translate.incoming(text, message.author.id, message.channel.id,
                                      private=private, moderator=moderator)
        reply = await self.call(self.app.assistant.handle, incoming)
        sent_private: discord.Message | None = None
        for delivery in deliveries(incoming, reply):
            view = _view(delivery.reply)
            content = self.render(delivery.reply)
            if delivery.private and not private:
                try:
                    sent_private = await message.author.send(content, **_kwargs(view))
                except discord.Forbidden:
                    log.info("discord: DMs closed for user %s; told them in the channel",
                             message.author.id)
                continue
            if delivery.reply.template == "sent_privately" and sent_private is None:
                content = self.render(Reply("dm_closed"))
            if private:
                await message.channel.send(content, **_kwargs(view))
            else:
                await message.reply(content, mention_author=False, **_kwargs(view))
        if private:
            await self._pending_notifications(message)

    async def _pending_notifications(self, message: discord.Message) -> None:
        """Notifications kept while the member's DMs were closed, now that they wrote in one."""
        outbox = SqlOutbox(self.app.engine)
        replies = await self.call(take_pending, outbox, translate.identity(message.author.id),
                                  self.clock())
        for reply in replies:
            await message.channel.send(self.render(reply))

    async def _help_post(self, message: discord.Message, text: str) -> None:
        """A post in an opted-in channel or forum: answered only when the match is confident."""
        decision = await self.call(self.app.assistant.decide, text)
        if decision.outcome is not Outcome.ANSWER or decision.entry_id in PERSONAL_TOPICS:
            return
        incoming = translate.incoming(text, message.author.id, message.channel.id,
                                      private=False)
        reply = await self.call(self.app.assistant.handle, incoming)
        if reply.template != "answer":
            return
        await message.reply(self.render(reply), mention_author=False, **_kwargs(_view(reply)))

    async def _relay(self, message: discord.Message, thread: discord.Thread) -> None:
        """A moderator's reply in a hand-off thread reaches the member in a DM."""
        member_id = await self._handoff_member(thread)
        if member_id is None:
            return
        text = translate.without_mentions_of(message.content, self.bot_id)
        if not text:
            await message.reply(self.render(Reply("relay_unreadable")), mention_author=False)
            return
        reply = Reply("moderator_reply", {"text": text}, private=True)
        try:
            await self.send_dm(member_id, self.render(reply))
        except discord.Forbidden:
            log.info("discord: DMs closed for user %s; the moderator's reply was not sent",
                     member_id)
            await message.reply(self.render(Reply("relay_failed")), mention_author=False)
            return
        await message.add_reaction("\N{WHITE HEAVY CHECK MARK}")

    async def _handoff_member(self, thread: discord.Thread) -> int | None:
        """The member a hand-off thread is about: the one the bot's first post mentions."""
        parent = thread.parent
        if not isinstance(parent, discord.TextChannel):
            return None
        try:
            starter = await parent.fetch_message(thread.id)
        except discord.NotFound:
            return None
        if starter.author.id != self.bot_id or not starter.raw_mentions:
            return None
        return starter.raw_mentions[0]

    # ---- buttons ---------------------------------------------------------------------------

    @guarded
    async def rate(self, interaction: discord.Interaction[Any], entry_id: str,
                   helpful: bool) -> None:
        """Helpful / Not helpful: recorded, the rating buttons disabled, thanks to the rater."""
        incoming = self.incoming_of(interaction, "", private=True)
        reply = await self.call(self.app.assistant.rate, incoming, entry_id, helpful)
        if reply.template != "rated" or interaction.message is None:
            await interaction.response.send_message(self.render(reply), ephemeral=True)
            return
        view = rebuilt_view(interaction.message, disable_rating=True)
        await interaction.response.edit_message(**_kwargs(view))
        await interaction.followup.send(self.render(reply), ephemeral=True)

    @guarded
    async def pick(self, interaction: discord.Interaction[Any], entry_id: str) -> None:
        """A "did you mean" choice: its answer, privately if the choices were."""
        message = interaction.message
        question = ""
        reference = message.reference if message is not None else None
        if reference is not None and isinstance(reference.resolved, discord.Message):
            question = translate.without_mentions_of(reference.resolved.content, self.bot_id)
        hidden = message is not None and message.flags.ephemeral
        private = interaction.guild_id is None
        incoming = self.incoming_of(interaction, question, private=private or hidden)
        reply = await self.call(self.app.assistant.pick, incoming, entry_id, question)
        ephemeral = hidden or reply.private or reply.template in ("error", "oops")
        view = _view(reply, can_post=ephemeral and not private)
        await interaction.response.send_message(self.render(reply), ephemeral=ephemeral,
                                                **_kwargs(view))

    @guarded
    async def post_in_channel(self, interaction: discord.Interaction[Any], entry_id: str) -> None:
        """An answer only the asker saw, posted in the channel under their name."""
        entry = self.app.assistant.entries.get(entry_id)
        if entry is None or entry.id in PERSONAL_TOPICS or interaction.guild_id is None:
            reply = Reply("error", {"message": "That answer can't be posted here any more."})
            await interaction.response.send_message(self.render(reply), ephemeral=True)
            return
        answer = {"id": entry.id, "title": entry.title, "answer": entry.answer,
                  "kind": entry.kind}
        shared = Reply("shared", {"name": interaction.user.display_name, "entry": answer})
        await interaction.response.send_message(
            self.render(shared), **_kwargs(_view(Reply("answer", {"entry": answer}))))

    @guarded
    async def ask_moderator(self, interaction: discord.Interaction[Any]) -> None:
        """The member's last declined question to the moderators' queue and channel."""
        user = interaction.user
        handoff = await self.call(self.app.handoffs.queue_last_offer,
                                  translate.identity(user.id), OFFER_LIFETIME)
        reply = Reply("handoff", {"queued": handoff is not None, "answer": ""})
        await interaction.response.send_message(self.render(reply), ephemeral=True)
        channel_id = self.config.moderator_channel
        if handoff is None or channel_id is None:
            return
        channel = interaction.client.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            log.warning("discord: the moderators' channel %s is not a text channel I can see",
                        channel_id)
            return
        message = interaction.message
        reference = message.reference if message is not None else None
        jump = reference.jump_url if reference is not None else (
            message.jump_url if message is not None else "")
        post = await channel.send(self.render(Reply("moderator_question", {
            "mention": Trusted(f"<@{user.id}>"), "name": user.display_name,
            "question": handoff.question, "jump": Trusted(jump)})))
        await post.create_thread(name=translate.clipped(f"Question from {user.display_name}",
                                                        100))

    @guarded
    async def unknown_button(self, interaction: discord.Interaction[Any]) -> None:
        """A button the bot no longer knows (an older version's): said so, privately."""
        await interaction.response.send_message(self.render(Reply("button_expired")),
                                                ephemeral=True)

    @guarded
    async def expired_form(self, interaction: discord.Interaction[Any]) -> None:
        """A form that timed out or was opened before a restart: nothing saved, said so."""
        await interaction.response.send_message(self.render(Reply("form_expired")),
                                                ephemeral=True)

    # ---- slash commands --------------------------------------------------------------------

    async def respond(self, interaction: discord.Interaction[Any],
                      compute: Awaitable[Reply], *, can_post: bool = False) -> None:
        """Answer a command privately (ephemeral); deferred first if the answer is slow."""
        task = asyncio.ensure_future(compute)
        done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
        if not done:
            await interaction.response.defer(ephemeral=True, thinking=True)
        reply = await task
        view = _view(reply, can_post=can_post and interaction.guild_id is not None)
        content = self.render(reply)
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, **_kwargs(view))
        else:
            await interaction.response.send_message(content, ephemeral=True, **_kwargs(view))

    async def over_limit(self, interaction: discord.Interaction[Any]) -> bool:
        """Whether the member is over the rate limit (then told so privately)."""
        if self.limit.allow(interaction.user.id):
            return False
        log.info("discord: user %s is over the rate limit; command refused", interaction.user.id)
        await interaction.response.send_message(self.render(Reply("slow_down")), ephemeral=True)
        return True

    @guarded
    async def faq_command(self, interaction: discord.Interaction[Any], question: str) -> None:
        """`/faq question:`: the answer, to the asker only, with "Post in channel"."""
        if await self.over_limit(interaction):
            return
        incoming = self.incoming_of(interaction, question, private=True)
        await self.respond(interaction, self.call(self.app.assistant.handle, incoming),
                           can_post=True)

    @guarded
    async def contract_command(self, interaction: discord.Interaction[Any],
                               contract: str | None) -> None:
        """`/contract id:`: the member's own contracts, always ephemeral."""
        if await self.over_limit(interaction):
            return
        words = " ".join((contract or "").split())
        text = f"contract status {words}" if words else "contracts"
        incoming = self.incoming_of(interaction, text, private=True)
        await self.respond(interaction, self.call(self.app.assistant.handle, incoming))

    @guarded
    async def link_command(self, interaction: discord.Interaction[Any], code: str) -> None:
        """`/link code:`: link the member's Discord account, always ephemeral."""
        if await self.over_limit(interaction):
            return
        incoming = self.incoming_of(interaction, f"link {code}", private=True)
        await self.respond(interaction, self.call(self.app.assistant.handle, incoming))

    def titles(self, typed: str) -> list[tuple[str, str]]:
        """Autocomplete for `/faq`: entry titles holding what was typed, as (name, value)."""
        needle = " ".join(typed.casefold().split())
        found = sorted((e.title for e in self.app.assistant.entries.values()
                        if e.kind != "meta" and needle in e.title.casefold()),
                       key=lambda title: (not title.casefold().startswith(needle), title))
        return [(translate.clipped(t, 100), translate.clipped(t, 100))
                for t in found[:AUTOCOMPLETE_LIMIT]]


def _view(reply: Reply, *, can_post: bool = False) -> discord.ui.View | None:
    from adapters.discord_app.components import view_for

    return view_for(reply, can_post=can_post)


def rebuilt_view(message: discord.Message, *, disable_rating: bool) -> discord.ui.View | None:
    """The bot's buttons on a message, rebuilt from their custom ids (rating disabled)."""
    from adapters.discord_app.components import rebuild

    return rebuild(message, disable_rating=disable_rating)
