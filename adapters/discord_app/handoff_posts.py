"""A forgotten member's questions taken back from the moderators' channel.

`forget me confirm` deletes what the core kept about a member; the questions it passed on
still sit in the moderators' channel with their name, a mention and their words. Each such
post is edited to say that the question was withdrawn (nothing personal left) and its
thread renamed; a moderator's later reply in the thread is answered "withdrawn", not sent.
"""

from __future__ import annotations

import logging

import discord

from adapters.discord_app.desk import DiscordDesk
from bot.messages import Reply

log = logging.getLogger(__name__)
SEARCHED = 1000  # newest messages of the moderators' channel searched for the member's posts
WITHDRAWN = 0    # the member of a hand-off thread whose question was withdrawn
THREAD_NAME = "Withdrawn question"


def is_posted_for(post: discord.Message, bot_id: int, user_id: int) -> bool:
    """Whether a message is the bot's hand-off post of this member's question (it mentions
    the member first)."""
    return post.author.id == bot_id and post.raw_mentions[:1] == [user_id]


async def withdraw(desk: DiscordDesk, user_id: int) -> int:
    """Edit the bot's posts of the member's questions in the moderators' channel to say they
    were withdrawn, and rename their threads; returns how many posts were edited."""
    channel_id = desk.config.moderator_channel
    if channel_id is None or desk.client is None:
        return 0
    channel = desk.client.get_channel(channel_id)
    if not isinstance(channel, discord.TextChannel):
        return 0
    edited = 0
    async for post in channel.history(limit=SEARCHED):
        if not is_posted_for(post, desk.bot_id, user_id):
            continue
        await post.edit(content=desk.render(Reply("handoff_withdrawn")))
        edited += 1
        await _rename_thread(desk, channel, post.id)
    log.info("discord: user %s forgotten; %d question(s) in the moderators' channel withdrawn",
             user_id, edited)
    return edited


async def _rename_thread(desk: DiscordDesk, channel: discord.TextChannel, post_id: int) -> None:
    """The thread on a withdrawn post loses the member's name (it is named after them)."""
    thread = channel.get_thread(post_id)
    try:
        if thread is None and desk.client is not None:
            found = await desk.client.fetch_channel(post_id)
            thread = found if isinstance(found, discord.Thread) else None
        if thread is not None and thread.name != THREAD_NAME:
            await thread.edit(name=THREAD_NAME)
    except discord.NotFound:
        return
    except discord.HTTPException as exc:  # an archived thread, or no right to rename it
        log.info("discord: thread %s not renamed: %s (code %s)", post_id, exc.status, exc.code)
