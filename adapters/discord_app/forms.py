"""The moderators' forms (Discord modals) that add or change an FAQ entry, or make one from
an inbox group: what they show, what a submission does, and what a refusal keeps.

A refusal ("changed since version 3", a validation error) comes back privately with what was
typed and a button that opens the form again, filled in.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass, replace
from typing import Any

import discord

from adapters.discord_app import translate
from adapters.discord_app.desk import DiscordDesk, desk_of, guarded
from bot.errors import UserError
from bot.faq.editing import EntryChanges
from bot.faq.entries import FaqEntry
from bot.inbox.commands import InboxRequest
from bot.messages import Incoming, Reply

FORM_PREFIX = "forumbot:form:"
FORM_TIMEOUT = 60 * 60.0  # seconds a form (and its "open again" button) stays usable
FORGET_AFTER = 60.0  # seconds a submitted form's id is kept


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
    """"Open the form again" under a refusal: the form comes back with what was typed. Its
    custom id is a form's, open as long as the view is: the client leaves it to the view
    while open, and says the form is no longer open after."""

    def __init__(self, desk: DiscordDesk, values: FormValues, layout: str) -> None:
        super().__init__(timeout=FORM_TIMEOUT)
        self.values, self.layout, self.desk = values, layout, desk
        self.reopen.custom_id = f"{FORM_PREFIX}{desk.boot}:{secrets.token_hex(6)}"
        desk.open_forms.add(self.reopen.custom_id)

    async def on_timeout(self) -> None:
        self.desk.open_forms.discard(self.reopen.custom_id or "")

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
                                            view=ReopenView(desk, values, layout))


def expired_form(custom_id: str, open_forms: set[str]) -> bool:
    """Whether a submitted form is one of the bot's that is no longer open: it timed out, or
    an earlier run of the bot opened it."""
    return custom_id.startswith(FORM_PREFIX) and custom_id not in open_forms
