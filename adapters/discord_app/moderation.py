"""What moderators get on Discord: `/faq-admin add|edit|inbox|stats`, the "Add to FAQ" message
command, the forms (modals) that change entries, and the inbox's buttons.

Moderators are the configured role, anyone with Manage Messages, or the moderators table;
everyone else is refused privately and nothing changes (the core checks it again).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, ClassVar

import discord
from discord import app_commands

from adapters.discord_app import translate
from adapters.discord_app.desk import desk_of, guarded
from adapters.discord_app.forms import EntryForm, FormValues
from bot.app import utc_now
from bot.errors import UserError
from bot.inbox.commands import InboxRequest
from bot.inbox.stats import stats_report
from bot.messages import Incoming, Reply

STATS_DAYS = 30
OPTIONS_LIMIT = 25  # choices in one select menu
GROUPS_WITH_BUTTONS = 2
PICKS_WITH_BUTTONS = 2
INBOX_ACTION_ID = r"forumbot:inbox:(?P<action>dismiss|create|accept|reject):(?P<number>\d{1,12})"
INBOX_ATTACH_ID = r"forumbot:inbox:attach:(?P<number>\d{1,12})"
REFUSED = ("Only moderators can do that: the moderators' role, Manage Messages, or the "
           "moderators table (`forumbot moderators add discord:{user}`). Nothing was changed.")


async def _moderator(interaction: discord.Interaction[Any]) -> Incoming | None:
    """The moderator behind an interaction, or None after refusing them privately."""
    desk = desk_of(interaction)
    actor = desk.incoming_of(interaction, "", private=True)
    if await desk.call(desk.app.assistant.moderation.is_moderator, actor):
        return actor
    await interaction.response.send_message(
        translate.clipped(REFUSED.format(user=interaction.user.id)), ephemeral=True)
    return None


class FaqAdmin(app_commands.Group):
    """`/faq-admin`: moderators change the FAQ and work the inbox."""

    def __init__(self) -> None:
        super().__init__(name="faq-admin", description="Moderators: change the FAQ, the inbox",
                         guild_only=True)

    @app_commands.command(name="add", description="Add an FAQ entry (opens a form)")
    @app_commands.describe(id="The new entry's id, lowercase-with-dashes")
    async def add(self, interaction: discord.Interaction[Any],
                  id: app_commands.Range[str, 1, 64]) -> None:
        if await _moderator(interaction) is not None:
            values = FormValues("add", entry_id=id.strip().lower())
            await interaction.response.send_modal(EntryForm(desk_of(interaction), values, "add"))

    @app_commands.command(name="edit", description="Change an FAQ entry (opens a form)")
    @app_commands.describe(entry="The entry to change")
    async def edit(self, interaction: discord.Interaction[Any],
                   entry: app_commands.Range[str, 1, 100]) -> None:
        if await _moderator(interaction) is None:
            return
        desk = desk_of(interaction)
        try:
            current = await desk.call(desk.app.editor.current, entry.strip().lower())
        except UserError as exc:
            await interaction.response.send_message(
                desk.render(Reply("error", {"message": exc.message})), ephemeral=True)
            return
        e = current.entry
        values = FormValues("edit", entry_id=e.id, title=e.title, answer=e.answer,
                            phrasings="\n".join(e.alternates), tags=", ".join(e.tags),
                            base=current.version)
        await interaction.response.send_modal(EntryForm(desk, values, "edit"))

    @edit.autocomplete("entry")
    async def entries(self, interaction: discord.Interaction[Any],
                      current: str) -> list[app_commands.Choice[str]]:
        desk = desk_of(interaction)
        if not desk.suggest_limit.allow(interaction.user.id):
            return []
        needle = current.casefold().strip()
        entries = await desk.call(lambda: desk.app.assistant.entries)
        found = [e for e in entries.values()
                 if needle in e.id or needle in e.title.casefold()]
        return [app_commands.Choice(name=translate.clipped(f"{e.id}: {e.title}", 100),
                                    value=e.id) for e in found[:OPTIONS_LIMIT]]

    @app_commands.command(name="inbox", description="Unanswered questions and picked choices")
    async def inbox(self, interaction: discord.Interaction[Any]) -> None:
        actor = await _moderator(interaction)
        if actor is None:
            return
        desk = desk_of(interaction)
        listing = await desk.call(desk.app.assistant.inbox.handle, InboxRequest("list"),
                                  actor.user, granted=actor.moderator)
        entry_ids = await desk.call(lambda: list(desk.app.assistant.entries))
        view = inbox_view(listing, entry_ids)
        if view is None:
            await interaction.response.send_message(desk.render(listing), ephemeral=True)
        else:
            await interaction.response.send_message(desk.render(listing), ephemeral=True,
                                                    view=view)

    @app_commands.command(name="stats", description="Times asked, answered, helpful, per entry")
    async def stats(self, interaction: discord.Interaction[Any]) -> None:
        if await _moderator(interaction) is None:
            return
        desk = desk_of(interaction)
        since = utc_now() - timedelta(days=STATS_DAYS)
        counts, totals = await desk.call(desk.app.questions.activity, since)
        entries = await desk.call(lambda: desk.app.assistant.entries)
        titles = {e.id: e.title for e in entries.values()}
        report = stats_report(since, counts, totals, titles)
        reply = Reply("stats", {"days": STATS_DAYS, "totals": {
            "questions": report.totals.questions, "answered": report.totals.answered,
            "suggested": report.totals.suggested, "declined": report.totals.declined},
            "review": [{"id": r.entry_id, "title": r.title, "ratings": r.ratings,
                        "helpful": round((r.helpful_share or 0) * 100)}
                       for r in report.to_review],
            "rows": [{"id": r.entry_id, "asked": r.asked, "answered": r.answered,
                      "helpful": None if r.helpful_share is None
                      else round(r.helpful_share * 100)} for r in report.rows[:15]]})
        await interaction.response.send_message(desk.render(reply), ephemeral=True)


async def add_to_faq(interaction: discord.Interaction[Any], message: discord.Message) -> None:
    """The "Add to FAQ" message command: the add form, its first phrasing the message."""
    if await _moderator(interaction) is None:
        return
    desk = desk_of(interaction)
    text = translate.without_mentions_of(message.content, desk.bot_id)
    values = FormValues("add", phrasings=translate.clipped(" ".join(text.split()), 500))
    await interaction.response.send_modal(EntryForm(desk, values, "add-id"))


class InboxButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=INBOX_ACTION_ID):
    """Dismiss a group, make a new entry of it, accept or reject a pick."""

    LABELS: ClassVar[dict[str, str]] = {"dismiss": "Dismiss #{}", "create": "New entry from #{}",
              "accept": "Accept pick #{}", "reject": "Reject pick #{}"}

    def __init__(self, action: str, number: int) -> None:
        super().__init__(discord.ui.Button(
            label=self.LABELS[action].format(number),
            style=discord.ButtonStyle.danger if action in ("dismiss", "reject")
            else discord.ButtonStyle.secondary,
            custom_id=f"forumbot:inbox:{action}:{number}"))
        self.action, self.number = action, number

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str], /
                             ) -> InboxButton:
        return cls(match["action"], int(match["number"]))

    @guarded
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actor = await _moderator(interaction)
        if actor is None:
            return
        if self.action == "create":
            await interaction.response.send_modal(
                EntryForm(desk_of(interaction), FormValues("create", group=self.number), "create"))
            return
        await _inbox_change(interaction, actor, InboxRequest(self.action, number=self.number))


class AttachSelect(discord.ui.DynamicItem[discord.ui.Select[Any]], template=INBOX_ATTACH_ID):
    """Attach a group's questions to the entry chosen."""

    def __init__(self, number: int, entry_ids: list[str] | None = None) -> None:
        options = [discord.SelectOption(label=e, value=e) for e in (entry_ids or ["-"])]
        super().__init__(discord.ui.Select(
            placeholder=f"Attach #{number} to an entry", options=options[:OPTIONS_LIMIT],
            custom_id=f"forumbot:inbox:attach:{number}"))
        self.number = number

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction[Any],
                             item: discord.ui.Item[Any], match: re.Match[str], /
                             ) -> AttachSelect:
        return cls(int(match["number"]))

    @guarded
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        actor = await _moderator(interaction)
        if actor is None:
            return
        data: dict[str, Any] = dict(interaction.data or {})
        chosen = [str(v) for v in data.get("values", [])]
        if not chosen:
            return
        await _inbox_change(interaction, actor,
                            InboxRequest("attach", number=self.number, entry_id=chosen[0]))


async def _inbox_change(interaction: discord.Interaction[Any], actor: Incoming,
                        request: InboxRequest) -> None:
    desk = desk_of(interaction)

    def change() -> Reply:
        try:
            return desk.app.assistant.inbox.handle(request, actor.user, granted=actor.moderator)
        except UserError as exc:
            return Reply("error", {"message": exc.message})

    reply = await desk.call(change)
    await interaction.response.send_message(desk.render(reply), ephemeral=True)


def inbox_view(listing: Reply, entry_ids: list[str]) -> discord.ui.View | None:
    """Buttons under an inbox listing: its first groups and picks."""
    view = discord.ui.View(timeout=None)
    groups = list(listing.context.get("groups", []))[:GROUPS_WITH_BUTTONS]
    for group in groups:
        suggested = [e for e in group["suggested"] if e in entry_ids]
        ordered = suggested + [e for e in sorted(entry_ids) if e not in suggested]
        view.add_item(AttachSelect(int(group["key"]), ordered[:OPTIONS_LIMIT]))
    for group in groups:
        view.add_item(InboxButton("create", int(group["key"])))
        view.add_item(InboxButton("dismiss", int(group["key"])))
    for pick in list(listing.context.get("candidates", []))[:PICKS_WITH_BUTTONS]:
        view.add_item(InboxButton("accept", int(pick["id"])))
        view.add_item(InboxButton("reject", int(pick["id"])))
    return view if view.children else None


MODERATOR_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (InboxButton, AttachSelect)


def known_custom_id(custom_id: str) -> bool:
    """Whether one of the moderators' components answers this custom id."""
    return bool(re.fullmatch(INBOX_ACTION_ID, custom_id) or
                re.fullmatch(INBOX_ATTACH_ID, custom_id))


def register(tree: app_commands.CommandTree[Any]) -> None:
    """Add `/faq-admin` and the "Add to FAQ" message command."""
    tree.add_command(FaqAdmin())
    tree.add_command(app_commands.ContextMenu(name="Add to FAQ", callback=add_to_faq))
