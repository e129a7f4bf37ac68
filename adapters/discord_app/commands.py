"""The slash commands members use: `/faq`, `/contract`, `/link`."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord_app.desk import DiscordDesk

QUESTION_LIMIT = 1000
CONTRACT_LIMIT = 100
CODE_LIMIT = 40


def register(tree: app_commands.CommandTree[Any], desk: DiscordDesk) -> None:
    """Add the members' commands to the tree."""

    @tree.command(name="faq", description="Ask the FAQ; the answer is shown to you only")
    @app_commands.describe(question="Your question, or an answer's title")
    async def faq(interaction: discord.Interaction[Any],
                  question: app_commands.Range[str, 1, QUESTION_LIMIT]) -> None:
        await desk.faq_command(interaction, question)

    @faq.autocomplete("question")
    async def faq_titles(interaction: discord.Interaction[Any],
                         current: str) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=value)
                for name, value in desk.titles(current)]

    @tree.command(name="contract",
                  description="Where your contracts stand (linked members; shown to you only)")
    @app_commands.rename(contract="id")
    @app_commands.describe(contract="A contract id or words of its title; empty: all of them")
    async def contract(interaction: discord.Interaction[Any],
                       contract: app_commands.Range[str, 0, CONTRACT_LIMIT] | None = None
                       ) -> None:
        await desk.contract_command(interaction, contract)

    @tree.command(name="link",
                  description="Link your Discord account with a code from the marketplace site")
    @app_commands.describe(code="The one-time code the marketplace showed you")
    async def link(interaction: discord.Interaction[Any],
                   code: app_commands.Range[str, 1, CODE_LIMIT]) -> None:
        await desk.link_command(interaction, code)
