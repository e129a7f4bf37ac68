"""What moderators get on Discord: `/faq-admin add|edit|inbox|stats`, the "Add to FAQ" message
command, the forms (modals) that change entries, and the inbox's buttons.

Moderators are the configured role, anyone with Manage Messages, or the moderators table;
everyone else is refused privately and nothing changes (the core checks it again).
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, ClassVar, cast

import discord
from discord import app_commands

from adapters.discord_app import translate
from adapters.discord_app.desk import DiscordDesk, guarded
from bot.app import utc_now
from bot.errors import UserError
from bot.faq.editing import EntryChanges
from bot.faq.entries import FaqEntry
from bot.inbox.commands import InboxRequest
from bot.inbox.stats import stats_report
from bot.messages import Incoming, Reply

FORM_PREFIX = "forumbot:form:"
FORM_TIMEOUT = 60 * 60.0  # seconds a form (and its "open again" button) stays usable
FORGET_AFTER = 60.0  # seconds a submitted form's id is kept
STATS_DAYS = 30
OPTIONS_LIMIT = 25  # choices in one select menu
GROUPS_WITH_BUTTONS = 2
PICKS_WITH_BUTTONS = 2
INBOX_ACTION_ID = r"forumbot:inbox:(?P<action>dismiss|create|accept|reject):(?P<number>\d{1,12})"
INBOX_ATTACH_ID = r"forumbot:inbox:attach:(?P<number>\d{1,12})"
REFUSED = ("Only moderators can do that: the moderators' role, Manage Messages, or the "
           "moderators table (`forumbot moderators add discord:{user}`). Nothing was changed.")


def desk_of(interaction: discord.Interaction[Any]) -> DiscordDesk:
    """The desk of the client that received the interaction."""
    return cast(DiscordDesk, interaction.client.desk)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _tags(text: str) -> tuple[str, ...]:
    return tuple(t.strip() for t in re.split(r"[,\n]", text) if t.strip())


@dataclass(frozen=True)
class FormValues:
    """What a form shows, and what a moderator typed into it."""

    kind: str  # add | edit | create
    entry_id: str = ""
    title: str = ""
    answer: str = ""
    phrasings: str = ""
    tags: str = ""
    reason: str = ""
    base: int = 0  # the version an edit was shown
    group: int = 0  # the inbox group a new entry is made from


# (field, label, long, max length) for each kind of form; a modal holds at most five.
FIELDS: dict[str, tuple[tuple[str, str, bool, int], ...]] = {
    "add": (("title", "Title", False, 200), ("answer", "Answer (Markdown)", True, 1800),
            ("phrasings", "Ways members ask it, one per line", True, 4000),
            ("tags", "Tags, comma separated", False, 200), ("reason", "Reason", False, 200)),
    "add-id": (("entry_id", "Id (lowercase-with-dashes)", False, 64),
               ("title", "Title", False, 200), ("answer", "Answer (Markdown)", True, 1800),
               ("phrasings", "Ways members ask it, one per line", True, 4000),
               ("reason", "Reason", False, 200)),
    "edit": (("title", "Title", False, 200), ("answer", "Answer (Markdown)", True, 1800),
             ("phrasings", "Ways members ask it, one per line", True, 4000),
             ("tags", "Tags, comma separated", False, 200), ("reason", "Reason", False, 200)),
    "create": (("entry_id", "Id (lowercase-with-dashes)", False, 64),
               ("title", "Title", False, 200), ("answer", "Answer (Markdown)", True, 1800),
               ("tags", "Tags, comma separated", False, 200), ("reason", "Reason", False, 200)),
}


class EntryForm(discord.ui.Modal):
    """A form that adds or changes an entry; what was typed survives a refusal."""

    def __init__(self, desk: DiscordDesk, values: FormValues, layout: str) -> None:
        titles = {"add": "New FAQ entry", "edit": f"Edit {values.entry_id}",
                  "create": f"New entry from inbox #{values.group}"}
        super().__init__(title=translate.clipped(titles[values.kind], 45),
                         timeout=FORM_TIMEOUT,
                         custom_id=f"{FORM_PREFIX}{desk.boot}:{secrets.token_hex(6)}")
        self.values, self.layout, self.desk = values, layout, desk
        desk.open_forms.add(self.custom_id)
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for name, label, long, limit in FIELDS[layout]:
            field: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=label, style=discord.TextStyle.paragraph if long else
                discord.TextStyle.short, default=translate.clipped(getattr(values, name),
                                                                   limit) or None,
                max_length=limit, required=name != "tags")
            self.inputs[name] = field
            self.add_item(field)

    def typed(self) -> FormValues:
        """The form's values as submitted."""
        typed: dict[str, Any] = {n: f.value for n, f in self.inputs.items()}
        return replace(self.values, **typed)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        # Forgotten a little later, not now: the client's check of this same submission
        # (`expired_form`) may run after this.
        asyncio.get_running_loop().call_later(FORGET_AFTER, self.desk.open_forms.discard,
                                              self.custom_id)
        await submit(interaction, self.typed(), self.layout)

    async def on_timeout(self) -> None:
        self.desk.open_forms.discard(self.custom_id)


class ReopenView(discord.ui.View):
    """"Open the form again" under a refusal: the form comes back with what was typed."""

    def __init__(self, values: FormValues, layout: str) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.values, self.layout = values, layout

    @discord.ui.button(label="Open the form again", style=discord.ButtonStyle.primary)
    async def reopen(self, interaction: discord.Interaction[Any],
                     _: discord.ui.Button[Any]) -> None:
        await interaction.response.send_modal(
            EntryForm(desk_of(interaction), self.values, self.layout))


def _save(desk: DiscordDesk, actor: Incoming, values: FormValues) -> Reply:
    """Carry out a submitted form through the core (which checks the moderator again)."""
    editor = desk.app.editor
    if values.kind == "create":
        return desk.app.assistant.inbox.handle(InboxRequest(
            "create", number=values.group, entry_id=values.entry_id.strip(),
            title=values.title, answer=values.answer, tags=_tags(values.tags),
            reason=values.reason), actor.user, granted=actor.moderator)
    if values.kind == "add":
        entry = FaqEntry(values.entry_id.strip(), values.title.strip(), "faq", values.answer,
                         _lines(values.phrasings), _tags(values.tags))
        version = editor.add(actor.user, entry, values.reason, granted=actor.moderator)
    else:
        changes = EntryChanges(title=values.title.strip(), answer=values.answer,
                               alternates=_lines(values.phrasings), tags=_tags(values.tags))
        version = editor.edit(actor.user, values.entry_id, changes, values.reason,
                              base=values.base, granted=actor.moderator)
    return Reply("faq_saved", {"action": values.kind, "entry_id": values.entry_id.strip(),
                               "version": version, "versions": []})


def _attempt(desk: DiscordDesk, actor: Incoming, values: FormValues) -> Reply | str:
    try:
        return _save(desk, actor, values)
    except UserError as exc:
        return exc.message


@guarded
async def submit(interaction: discord.Interaction[Any], values: FormValues, layout: str) -> None:
    """A submitted form: saved and said so, or refused privately with what was typed."""
    desk = desk_of(interaction)
    actor = desk.incoming_of(interaction, "", private=True)
    outcome = await desk.call(_attempt, desk, actor, values)
    if isinstance(outcome, Reply):
        await interaction.response.send_message(desk.render(outcome), ephemeral=True)
        return
    typed = [{"label": label, "value": getattr(values, name)}
             for name, label, _, _ in FIELDS[layout] if getattr(values, name)]
    reply = Reply("form_refused", {"message": outcome, "typed": typed})
    await interaction.response.send_message(desk.render(reply), ephemeral=True,
                                            view=ReopenView(values, layout))


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
        needle = current.casefold().strip()
        found = [e for e in desk.app.assistant.entries.values()
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
        view = inbox_view(listing, list(desk.app.assistant.entries))
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
        titles = {e.id: e.title for e in desk.app.assistant.entries.values()}
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


def expired_form(custom_id: str, open_forms: set[str]) -> bool:
    """Whether a submitted form is one of the bot's that is no longer open: it timed out, or
    an earlier run of the bot opened it."""
    return custom_id.startswith(FORM_PREFIX) and custom_id not in open_forms


def known_custom_id(custom_id: str) -> bool:
    """Whether one of the moderators' components answers this custom id."""
    return bool(re.fullmatch(INBOX_ACTION_ID, custom_id) or
                re.fullmatch(INBOX_ATTACH_ID, custom_id))


def register(tree: app_commands.CommandTree[Any]) -> None:
    """Add `/faq-admin` and the "Add to FAQ" message command."""
    tree.add_command(FaqAdmin())
    tree.add_command(app_commands.ContextMenu(name="Add to FAQ", callback=add_to_faq))
