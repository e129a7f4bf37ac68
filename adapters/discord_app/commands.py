"""The slash commands members use: `/faq`, `/contract`, `/link`; always answered to the member
only, deferred first when the answer takes longer than Discord's 3 seconds allow."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

import discord
from discord import app_commands

from adapters.discord_app import translate
from adapters.discord_app.buttons import view_for
from adapters.discord_app.desk import DiscordDesk, guarded, may_post
from bot.messages import Reply

QUESTION_LIMIT = 1000
CONTRACT_LIMIT = 100
CODE_LIMIT = 40
# Longer than this without an answer, an interaction is deferred (Discord allows 3 seconds).
DEFER_AFTER = 2.0
AUTOCOMPLETE_LIMIT = 25
STALE_COMMAND = ("That command changed in a newer version of me, so I did nothing. Try it "
                 "again (Discord may take a minute to show the new one).")


def register(tree: app_commands.CommandTree[Any], desk: DiscordDesk) -> None:
    """Add the members' commands to the tree."""

    @tree.command(name="faq", description="Ask the FAQ; the answer is shown to you only")
    @app_commands.describe(question="Your question, or an answer's title")
    async def faq(interaction: discord.Interaction[Any],
                  question: app_commands.Range[str, 1, QUESTION_LIMIT]) -> None:
        await faq_command(desk, interaction, question)

    @faq.autocomplete("question")
    async def faq_titles(interaction: discord.Interaction[Any],
                         current: str) -> list[app_commands.Choice[str]]:
        if not desk.suggest_limit.allow(interaction.user.id):
            return []
        return [app_commands.Choice(name=name, value=value)
                for name, value in await desk.call(titles, desk, current)]

    @tree.command(name="contract",
                  description="Where your contracts stand (linked members; shown to you only)")
    @app_commands.rename(contract="id")
    @app_commands.describe(contract="A contract id or words of its title; empty: all of them")
    async def contract(interaction: discord.Interaction[Any],
                       contract: app_commands.Range[str, 0, CONTRACT_LIMIT] | None = None
                       ) -> None:
        await contract_command(desk, interaction, contract)

    @tree.command(name="link",
                  description="Link your Discord account with a code from the marketplace site")
    @app_commands.describe(code="The one-time code the marketplace showed you")
    async def link(interaction: discord.Interaction[Any],
                   code: app_commands.Range[str, 1, CODE_LIMIT]) -> None:
        await link_command(desk, interaction, code)


async def respond(desk: DiscordDesk, interaction: discord.Interaction[Any],
                  compute: Awaitable[Reply], *, can_post: bool = False) -> None:
    """Answer a command privately (ephemeral); deferred first if the answer is slow."""
    task = asyncio.ensure_future(compute)
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done:
        await interaction.response.defer(ephemeral=True, thinking=True)
    reply = await task
    view = view_for(reply, can_post=can_post and may_post(interaction))
    await desk.respond_with(interaction, reply, ephemeral=True, view=view)


@guarded
async def faq_command(desk: DiscordDesk, interaction: discord.Interaction[Any],
                      question: str) -> None:
    """`/faq question:`: the answer, to the asker only, with "Post in channel"; a question
    passed to the moderators (`moderator`) is posted in their channel."""
    if await desk.over_limit(interaction):
        return
    incoming = desk.incoming_of(interaction, question, private=True)
    answer = asyncio.ensure_future(desk.call(desk.app.assistant.handle, incoming))
    try:
        await respond(desk, interaction, answer, can_post=True)
    finally:  # queued: the moderators get it even when Discord refused a late answer
        if answer.done() and not answer.cancelled() and answer.exception() is None:
            where = f"https://discord.com/channels/{interaction.guild_id or '@me'}/" \
                    f"{incoming.channel}"
            await desk.pass_on(interaction.user, answer.result(), where)


@guarded
async def contract_command(desk: DiscordDesk, interaction: discord.Interaction[Any],
                           contract: str | None) -> None:
    """`/contract id:`: the member's own contracts, always ephemeral."""
    if await desk.over_limit(interaction):
        return
    words = " ".join((contract or "").split())
    text = f"contract status {words}" if words else "contracts"
    incoming = desk.incoming_of(interaction, text, private=True)
    await respond(desk, interaction, desk.call(desk.app.assistant.handle, incoming))
    for content in await desk.held_notifications(interaction.user.id):
        await interaction.followup.send(content, ephemeral=True)


@guarded
async def link_command(desk: DiscordDesk, interaction: discord.Interaction[Any],
                       code: str) -> None:
    """`/link code:`: link the member's Discord account, always ephemeral."""
    if await desk.over_limit(interaction):
        return
    incoming = desk.incoming_of(interaction, f"link {code}", private=True)
    await respond(desk, interaction, desk.call(desk.app.assistant.handle, incoming))


def titles(desk: DiscordDesk, typed: str) -> list[tuple[str, str]]:
    """Autocomplete for `/faq`: entry titles holding what was typed, as (name, value)."""
    needle = " ".join(typed.casefold().split())
    found = sorted((e.title for e in desk.app.assistant.entries.values()
                    if e.kind != "meta" and needle in e.title.casefold()),
                   key=lambda title: (not title.casefold().startswith(needle), title))
    return [(translate.clipped(t, 100), translate.clipped(t, 100))
            for t in found[:AUTOCOMPLETE_LIMIT]]


@guarded
async def stale_command(desk: DiscordDesk, interaction: discord.Interaction[Any]) -> None:
    """A command or an option this version does not have: said so, privately."""
    if interaction.type is discord.InteractionType.application_command and \
            not interaction.response.is_done():
        reply = Reply("error", {"message": STALE_COMMAND})
        await interaction.response.send_message(desk.render(reply), ephemeral=True)
