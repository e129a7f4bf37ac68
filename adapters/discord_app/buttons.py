"""The members' buttons and what a click does: persistent (stable custom ids, no per-message
state), so that a button on a message sent before a restart still works after it.

Rating, "did you mean" choices, "Post in channel" and "Ask a moderator"; each button parses
its custom id and carries out the click. A click counts against the member's rate limit like
a message: a choice or "Post in channel" clicked again and again would fill the channel.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from adapters.discord_app import translate
from adapters.discord_app.desk import DiscordDesk, desk_of, guarded, kwargs_for, may_post
from bot.faq.entries import PERSONAL_TOPICS
from bot.handoff import OFFER_LIFETIME
from bot.messages import Reply

log = logging.getLogger(__name__)


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
        await rate(desk_of(interaction), interaction, self.entry_id, self.helpful)


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
        await pick(desk_of(interaction), interaction, self.entry_id)


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
        await post_in_channel(desk_of(interaction), interaction, self.entry_id)


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
        await ask_moderator(desk_of(interaction), interaction)


BUTTONS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (
    RateButton, PickButton, PostButton, AskModeratorButton)


def known_custom_id(custom_id: str) -> bool:
    """Whether one of the bot's buttons answers this custom id."""
    return _item_for(custom_id, "") is not None


def view_for(reply: Reply, *, can_post: bool = False) -> discord.ui.View | None:
    """The buttons a reply gets: rating under an answer, "Post in
    channel" where the answer is the asker's alone, choices under "did you mean", and "Ask a
    moderator" after a decline. None when the reply has none."""
    view = discord.ui.View(timeout=None)
    if reply.template == "answer":
        entry_id = str(reply.context["entry"]["id"])
        for helpful in (True, False):
            view.add_item(RateButton(entry_id, helpful))
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


@guarded
async def rate(desk: DiscordDesk, interaction: discord.Interaction[Any], entry_id: str,
               helpful: bool) -> None:
    """Helpful / Not helpful: recorded, the rating buttons disabled, thanks to the rater."""
    if await desk.over_limit(interaction):
        return
    incoming = desk.incoming_of(interaction, "", private=True)
    reply = await desk.call(desk.app.assistant.rate, incoming, entry_id, helpful)
    if reply.template != "rated" or interaction.message is None:
        await interaction.response.send_message(desk.render(reply), ephemeral=True)
        return
    view = rebuild(interaction.message, disable_rating=True)
    await interaction.response.edit_message(**kwargs_for(view))
    await interaction.followup.send(desk.render(reply), ephemeral=True)


@guarded
async def pick(desk: DiscordDesk, interaction: discord.Interaction[Any], entry_id: str) -> None:
    """A "did you mean" choice: its answer, privately if the choices were."""
    if await desk.over_limit(interaction):
        return
    message = interaction.message
    question = ""
    reference = message.reference if message is not None else None
    if reference is not None and isinstance(reference.resolved, discord.Message):
        question = translate.without_mentions_of(reference.resolved.content, desk.bot_id)
    hidden = message is not None and message.flags.ephemeral
    private = interaction.guild_id is None
    incoming = desk.incoming_of(interaction, question, private=private or hidden)
    reply = await desk.call(desk.app.assistant.pick, incoming, entry_id, question)
    ephemeral = hidden or reply.private or reply.template in ("error", "oops")
    view = view_for(reply, can_post=ephemeral and may_post(interaction))
    await desk.respond_with(interaction, reply, ephemeral=ephemeral, view=view)


@guarded
async def post_in_channel(desk: DiscordDesk, interaction: discord.Interaction[Any],
                          entry_id: str) -> None:
    """An answer only the asker saw, posted in the channel under their name."""
    if await desk.over_limit(interaction):
        return
    entries = await desk.call(lambda: desk.app.assistant.entries)
    entry = entries.get(entry_id)
    if entry is None or entry.id in PERSONAL_TOPICS or interaction.guild_id is None:
        reply = Reply("error", {"message": "That answer can't be posted here any more."})
        await interaction.response.send_message(desk.render(reply), ephemeral=True)
        return
    if not may_post(interaction):
        reply = Reply("error", {"message": "You can't post in this channel, so I won't post "
                                           "the answer for you."})
        await interaction.response.send_message(desk.render(reply), ephemeral=True)
        return
    answer = {"id": entry.id, "title": entry.title, "answer": entry.answer,
              "kind": entry.kind}
    shared = Reply("shared", {"name": interaction.user.display_name, "entry": answer})
    await interaction.response.send_message(
        desk.render(shared), **kwargs_for(view_for(Reply("answer", {"entry": answer}))))


@guarded
async def ask_moderator(desk: DiscordDesk, interaction: discord.Interaction[Any]) -> None:
    """The member's last declined question to the moderators' queue and channel."""
    if await desk.over_limit(interaction):
        return
    user = interaction.user
    handoff = await desk.call(desk.app.handoffs.queue_last_offer,
                              translate.identity(user.id), OFFER_LIFETIME)
    reply = Reply("handoff", {"queued": handoff is not None, "answer": ""})
    try:
        await interaction.response.send_message(desk.render(reply), ephemeral=True)
    finally:  # queued: the moderators get it even when Discord refused a late answer
        if handoff is not None:
            await desk.post_to_moderators(user, handoff.question,
                                          _asked_at(interaction.message, user.id))


def _asked_at(declined: discord.Message | None, user_id: int) -> str:
    """The link to the question a declined answer replied to, when `user_id` asked it: a
    member pressing "Ask a moderator" under someone else's answer passes on their own last
    question, which must not point the moderators at the other member's message. An answer
    that replied to nothing (in a DM, or seen only by the asker) is itself the place."""
    if declined is None:
        return ""
    reference = declined.reference
    if reference is None:
        return declined.jump_url
    asked = reference.resolved
    return reference.jump_url if isinstance(asked, discord.Message) and \
        asked.author.id == user_id else ""


@guarded
async def unknown_button(desk: DiscordDesk, interaction: discord.Interaction[Any]) -> None:
    """A button the bot no longer knows (an older version's): said so, privately."""
    await interaction.response.send_message(desk.render(Reply("button_expired")),
                                            ephemeral=True)


@guarded
async def expired_form(desk: DiscordDesk, interaction: discord.Interaction[Any]) -> None:
    """A form that timed out or was opened before a restart: nothing saved, said so, and
    what was typed shown back so that it is not lost."""
    data: dict[str, Any] = dict(interaction.data or {})
    typed = [value for value in submitted_values(data.get("components", [])) if value.strip()]
    await interaction.response.send_message(
        desk.render(Reply("form_expired", {"typed": typed})), ephemeral=True)


def submitted_values(components: Any) -> list[str]:
    """The values of a submitted form's text inputs, in order (rows and labels unwrapped)."""
    values: list[str] = []
    for component in components if isinstance(components, list) else []:
        if not isinstance(component, dict):
            continue
        if component.get("type") == 4:
            values.append(str(component.get("value") or ""))
        values += submitted_values(component.get("components", []))
        if isinstance(component.get("component"), dict):
            values += submitted_values([component["component"]])
    return values
