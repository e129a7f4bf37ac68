"""The bot's buttons: persistent (stable custom ids, no per-message state), so that a button
on a message sent before a restart still works after it.

Each button parses its custom id and hands the click to the client's desk.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, cast

import discord

from adapters.discord_app import translate

if TYPE_CHECKING:
    from adapters.discord_app.desk import DiscordDesk
from bot.messages import Reply


def desk_of(interaction: discord.Interaction[Any]) -> DiscordDesk:
    """The desk of the client that received the interaction."""
    return cast("DiscordDesk", interaction.client.desk)


class RateButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=translate.RATE_ID):
    """Helpful / Not helpful under an answer."""

    def __init__(self, entry_id: str, helpful: bool) -> None:
        super().__init__(discord.ui.Button(
            label="Helpful" if helpful else "Not helpful",
            style=discord.ButtonStyle.success if helpful else discord.ButtonStyle.secondary,
            custom_id=translate.rate_id(entry_id, helpful)))
        self.entry_id, self.helpful = entry_id, helpful

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str], /) -> RateButton:
        return cls(match["entry"], match["helpful"] == "y")

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await desk_of(interaction).rate(interaction, self.entry_id, self.helpful)


class PickButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=translate.PICK_ID):
    """One "did you mean" choice."""

    def __init__(self, entry_id: str, title: str = "") -> None:
        super().__init__(discord.ui.Button(
            label=translate.clipped(title or entry_id, translate.LABEL_LIMIT),
            style=discord.ButtonStyle.primary, custom_id=translate.pick_id(entry_id)))
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str], /) -> PickButton:
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await desk_of(interaction).pick(interaction, self.entry_id)


class PostButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=translate.POST_ID):
    """"Post in channel" under an answer only the asker sees."""

    def __init__(self, entry_id: str) -> None:
        super().__init__(discord.ui.Button(
            label="Post in channel", style=discord.ButtonStyle.secondary,
            custom_id=translate.post_id(entry_id)))
        self.entry_id = entry_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str], /) -> PostButton:
        return cls(match["entry"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await desk_of(interaction).post_in_channel(interaction, self.entry_id)


class AskModeratorButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                         template=translate.ASK_MODERATOR_ID):
    """"Ask a moderator" under a declined question."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(
            label="Ask a moderator", style=discord.ButtonStyle.primary,
            custom_id=translate.ASK_MODERATOR_ID))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> AskModeratorButton:
        return cls()

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await desk_of(interaction).ask_moderator(interaction)


BUTTONS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    RateButton, PickButton, PostButton, AskModeratorButton)


def known_custom_id(custom_id: str) -> bool:
    """Whether one of the bot's buttons answers this custom id."""
    return any(re.fullmatch(pattern, custom_id) for pattern in (
        translate.RATE_ID, translate.PICK_ID, translate.POST_ID, translate.ASK_MODERATOR_ID))


def view_for(reply: Reply, *, can_post: bool = False, rated: bool | None = None,
             ) -> discord.ui.View | None:
    """The buttons a reply gets: rating under an answer (disabled once `rated`), "Post in
    channel" where the answer is the asker's alone, choices under "did you mean", and "Ask a
    moderator" after a decline. None when the reply has none."""
    view = discord.ui.View(timeout=None)
    if reply.template == "answer":
        entry_id = str(reply.context["entry"]["id"])
        for helpful in (True, False):
            button = RateButton(entry_id, helpful)
            button.item.disabled = rated is not None
            view.add_item(button)
        if can_post:
            view.add_item(PostButton(entry_id))
    elif reply.template == "suggest":
        for choice in reply.context.get("choices", [])[:5]:
            view.add_item(PickButton(str(choice["id"]), str(choice["title"])))
    elif reply.template == "decline":
        view.add_item(AskModeratorButton())
    return view if view.children else None


def rebuild(message: discord.Message, *, disable_rating: bool) -> discord.ui.View | None:
    """The bot's buttons on a message, rebuilt from their custom ids; others are dropped."""
    view = discord.ui.View(timeout=None)
    for row in message.components:
        for component in getattr(row, "children", [row]):
            custom_id = getattr(component, "custom_id", None) or ""
            label = getattr(component, "label", None) or ""
            item = _item_for(custom_id, label)
            if item is None:
                continue
            if isinstance(item, RateButton) and disable_rating:
                item.item.disabled = True
            view.add_item(item)
    return view if view.children else None


def _item_for(custom_id: str, label: str) -> discord.ui.DynamicItem[Any] | None:
    if match := re.fullmatch(translate.RATE_ID, custom_id):
        return RateButton(match["entry"], match["helpful"] == "y")
    if match := re.fullmatch(translate.PICK_ID, custom_id):
        return PickButton(match["entry"], label)
    if match := re.fullmatch(translate.POST_ID, custom_id):
        return PostButton(match["entry"])
    if re.fullmatch(translate.ASK_MODERATOR_ID, custom_id):
        return AskModeratorButton()
    return None
