"""Messages the bot sees: DMs and mentions answered, help posts (and their authors' follow-ups
in a help-forum thread) answered when confident, a moderator's reply in a hand-off thread
relayed to the member; everything else left alone.

Each message is claimed by its id in the database before it is answered, so that two
processes that both receive it (two copies of one shard, or the old and the new process
during a restart) answer it once.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord_app import handoff_posts, translate
from adapters.discord_app.buttons import view_for
from adapters.discord_app.desk import DiscordDesk, guarded, kwargs_for
from bot.faq.entries import PERSONAL_TOPICS
from bot.faq.policy import Outcome
from bot.messages import Delivery, Incoming, Reply, deliveries
from bot.storage.database import DATABASE_AWAY

log = logging.getLogger(__name__)
FOLLOW_UP_HISTORY = 50  # messages of a help-forum thread searched for an answer given already


@guarded
async def on_message(desk: DiscordDesk, message: discord.Message) -> None:
    """A message the bot can see: a DM, a mention, a help post, or a moderator's reply in
    a hand-off thread; anything else is left alone, Discord's own notices too (a thread
    renamed, someone added: they carry a member's name, a rename its new name as text)."""
    if message.author.bot or message.webhook_id is not None or message.is_system() or \
            not desk.bot_id:
        return
    channel = message.channel
    if not _addressed(desk, message):
        return
    if not desk.limit.allow(message.author.id):
        log.info("discord: user %s is over the rate limit; message left alone",
                 message.author.id)
        return
    if isinstance(channel, discord.DMChannel):
        await _answer(desk, message, message.content, private=True)
        return
    if isinstance(channel, discord.Thread) and \
            channel.parent_id == desk.config.moderator_channel:
        await _relay(desk, message, channel)
        return
    if translate.mentions(message.content, desk.bot_id):
        text = translate.without_mentions_of(message.content, desk.bot_id)
        await _answer(desk, message, text, private=False)
        return
    if channel.id in desk.config.help_channels or (
            isinstance(channel, discord.Thread) and channel.id == message.id
            and channel.parent_id in desk.config.help_forums):
        title = channel.name if isinstance(channel, discord.Thread) else ""
        await _help_post(desk, message, translate.forum_post_text(title, message.content))
        return
    if isinstance(channel, discord.Thread) and channel.parent_id in desk.config.help_forums \
            and channel.owner_id == message.author.id:
        await _help_post(desk, message, message.content, follow_up=channel)


def _addressed(desk: DiscordDesk, message: discord.Message) -> bool:
    """Whether the bot has anything to do with a message (cheap: no database)."""
    channel = message.channel
    if isinstance(channel, discord.DMChannel):
        return True
    if message.guild is None:  # a server this process does not run (another shard's)
        return False
    return (translate.mentions(message.content, desk.bot_id)
            or channel.id in desk.config.help_channels
            or (isinstance(channel, discord.Thread) and (
                channel.parent_id in desk.config.help_forums
                or channel.parent_id == desk.config.moderator_channel)))


async def _answer(desk: DiscordDesk, message: discord.Message, text: str, *, private: bool) -> None:
    moderator = desk.is_moderator_member(message.author)
    incoming = translate.incoming(text, message.author.id, message.channel.id,
                                  private=private, moderator=moderator)
    answered = await desk.call(_answered, desk, message.id, incoming)
    if answered is None:
        return
    reply, rendered = answered
    sent_private: discord.Message | None = None
    for delivery, parts in rendered:
        view = view_for(delivery.reply)
        if delivery.reply.template == "sent_privately" and sent_private is None:
            parts = [desk.render(Reply("dm_closed"))]
        for number, content in enumerate(parts, 1):
            extra = kwargs_for(view) if number == len(parts) else {}
            if delivery.private and not private:
                try:
                    sent_private = await message.author.send(content, **extra)
                except discord.Forbidden:
                    log.info("discord: DMs closed for user %s; told them in the channel",
                             message.author.id)
                    break
            elif private:
                await message.channel.send(content, **extra)
            else:
                await message.reply(content, mention_author=False, **extra)
    await desk.pass_on(message.author, reply, message.jump_url)
    if reply.template == "forgotten":
        await handoff_posts.withdraw(desk, message.author.id)
    if private:
        await _pending_notifications(desk, message)


def _answered(desk: DiscordDesk, message_id: int, incoming: Incoming
              ) -> tuple[Reply, list[tuple[Delivery, list[str]]]] | None:
    """The core's reply and its deliveries rendered (each in as many messages as it takes),
    in a worker thread (the event loop only sends them); None when another process claimed
    the message first. While the database is not answering, the message is answered from
    memory without its claim (a second answer, were another process to receive it too, is
    better than none)."""
    try:
        if not desk.claim(message_id):
            return None
    except DATABASE_AWAY as exc:
        log.warning("discord message %s: the database is not answering (%s); answered "
                    "without its once-only claim", message_id, type(exc).__name__)
    reply = desk.app.assistant.handle(incoming)
    return reply, [(d, desk.render_pieces(d.reply)) for d in deliveries(incoming, reply)]


async def _pending_notifications(desk: DiscordDesk, message: discord.Message) -> None:
    """Notifications held while the member's DMs were closed, now that they wrote in one."""
    for content in await desk.held_notifications(message.author.id):
        await message.channel.send(content)


async def _help_post(desk: DiscordDesk, message: discord.Message, text: str, *,
                     follow_up: discord.Thread | None = None) -> None:
    """A post in an opted-in channel or forum, or its author's follow-up in the post's thread:
    answered only when the match is confident, and a follow-up only with an answer the
    thread has not had from the bot yet."""
    decision = await desk.call(desk.app.assistant.decide, text)
    if decision.outcome is not Outcome.ANSWER or decision.entry_id in PERSONAL_TOPICS:
        return
    if follow_up is not None and await _answered_in(desk, follow_up, str(decision.entry_id)):
        return
    incoming = translate.incoming(text, message.author.id, message.channel.id,
                                  private=False)
    answered = await desk.call(_answered, desk, message.id, incoming)
    if answered is None:
        return
    reply, rendered = answered
    if reply.template != "answer" or reply.private:
        return
    await message.reply(rendered[0][1][0], mention_author=False, **kwargs_for(view_for(reply)))


async def _answered_in(desk: DiscordDesk, thread: discord.Thread, entry_id: str) -> bool:
    """Whether the bot's recent answers in a thread include this entry (its rating buttons
    carry the entry's id)."""
    rating = translate.rate_id(entry_id, True)
    async for earlier in thread.history(limit=FOLLOW_UP_HISTORY):
        if earlier.author.id != desk.bot_id:
            continue
        for row in earlier.components:
            for component in getattr(row, "children", [row]):
                if getattr(component, "custom_id", None) == rating:
                    return True
    return False


async def _relay(desk: DiscordDesk, message: discord.Message, thread: discord.Thread) -> None:
    """A moderator's reply in a hand-off thread reaches the member in a DM, with the links of
    the files it carries; anyone else's is not sent (the member is told "a moderator
    replied")."""
    member_id = await _handoff_member(desk, thread)
    if member_id is None or not await desk.call(desk.claim, message.id):
        return
    author = translate.incoming("", message.author.id, thread.id, private=False,
                                moderator=desk.is_moderator_member(message.author))
    if not await desk.call(desk.app.assistant.moderation.is_moderator, author):
        log.info("discord: user %s is not a moderator; their reply in a hand-off thread was "
                 "not sent", message.author.id)
        await message.reply(desk.render(Reply("relay_refused")), mention_author=False)
        return
    if member_id == handoff_posts.WITHDRAWN:
        await message.reply(desk.render(Reply("relay_withdrawn")), mention_author=False)
        return
    text = translate.without_mentions_of(message.content, desk.bot_id)
    files = translate.file_links(a.url for a in message.attachments)
    if not text and not files:
        await message.reply(desk.render(Reply("relay_unreadable")), mention_author=False)
        return
    reply = Reply("moderator_reply", {"text": text, "files": files}, private=True)
    try:
        for part in desk.render_pieces(reply):
            await desk.send_dm(member_id, part)
    except discord.Forbidden:
        log.info("discord: DMs closed for user %s; the moderator's reply was not sent",
                 member_id)
        await message.reply(desk.render(Reply("relay_failed")), mention_author=False)
        return
    await message.add_reaction("\N{WHITE HEAVY CHECK MARK}")


async def _handoff_member(desk: DiscordDesk, thread: discord.Thread) -> int | None:
    """The member a hand-off thread is about: the one the bot's first post mentions
    (`WITHDRAWN` when the member was forgotten since)."""
    parent = thread.parent
    if not isinstance(parent, discord.TextChannel):
        return None
    try:
        starter = await parent.fetch_message(thread.id)
    except discord.NotFound:
        return None
    if starter.author.id != desk.bot_id:
        return None
    if not starter.raw_mentions:  # edited when the member asked to be forgotten
        return handoff_posts.WITHDRAWN
    return starter.raw_mentions[0]
