"""What moderators do in Slack: `/faq-admin` (modals to add and edit entries, the inbox and
the stats) and the "Add to FAQ" message shortcut. Every change goes through the core's desks,
so the history and the audit log are the same as from the command line.

Moderators are the members of FORUMBOT_SLACK_MODERATOR_GROUP or identities in the moderators
table; anyone else is told so, only they see it, and nothing changes.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.cli.inbox import MAX_DAYS, stats_lines
from adapters.slack import modals
from adapters.slack.blocks import actions, button, cut, section
from adapters.slack.failures import guarded
from adapters.slack.runtime import SlackRuntime
from adapters.slack.translate import identity, is_id, plain_text, team_of
from bot.errors import EditConflict, UserError
from bot.faq.commands import FaqRequest
from bot.faq.editing import EntryChanges
from bot.inbox.commands import InboxRequest
from bot.inbox.stats import DEFAULT_DAYS, stats_report
from bot.messages import Reply
from bot.rendering import escape_slack
from bot.whole_numbers import whole_number

log = logging.getLogger(__name__)

MODERATOR_COMMANDS = ("/faq-admin",)
ADD_TO_FAQ = "add_to_faq"
SHORTCUTS = (ADD_TO_FAQ,)
INBOX_ACTIONS = {"inbox_attach_open": "attach", "inbox_create_open": "create",
                 "inbox_dismiss": "dismiss", "inbox_accept": "accept",
                 "inbox_reject": "reject"}
USAGE = ("`/faq-admin` adds or edits an entry, `/faq-admin edit ID` edits one, "
         "`/faq-admin inbox` shows the unanswered questions, `/faq-admin stats [DAYS]` the "
         "stats.")


class _Moderator:
    """Who acts: the identity, and whether the user group granted it."""

    def __init__(self, actor: str, granted: bool) -> None:
        self.actor, self.granted = actor, granted


async def _moderator(rt: SlackRuntime, team: str, user: str) -> _Moderator:
    """The acting moderator; raises `NotAllowed` (the core's words) for anyone else."""
    actor = identity(team, user)
    allowed, granted = await rt.is_moderator(team, user)
    if not allowed:  # the core's refusal (NotAllowed), unless the table changed meanwhile
        await rt.call(rt.app.editor.require_moderator, actor, granted)
    return _Moderator(actor, granted)


def _who(body: dict[str, Any]) -> tuple[str, str] | None:
    """(team, user) of an interactivity payload or a command."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    return (team_of(body), str(user)) if is_id(user) else None


def _inbox_blocks(rt: SlackRuntime, reply: Reply) -> list[dict[str, Any]]:
    """The inbox as sections with the buttons that act on each group and pick."""
    ctx = reply.context
    blocks: list[dict[str, Any]] = []
    if not ctx["groups"] and not ctx["candidates"]:
        return [section(rt.text(reply))]
    if ctx["groups"]:
        blocks.append(section(f"*Unanswered questions*: {ctx['total_questions']} in "
                              f"{ctx['total_groups']} groups, most asked first"))
    for group in ctx["groups"]:
        key = str(group["key"])
        blocks.append(section(rt.text(Reply("inbox_group", group))))
        blocks.append(actions(button("Attach to…", "inbox_attach_open", key),
                              button("New entry", "inbox_create_open", key),
                              button("Dismiss", "inbox_dismiss", key, "danger")))
    if ctx["candidates"]:
        blocks.append(section("*Picked \"did you mean\" choices*"))
    for pick in ctx["candidates"]:
        key = str(pick["id"])
        blocks.append(section(rt.text(Reply("inbox_pick", pick))))
        blocks.append(actions(button("Accept", "inbox_accept", key, "primary"),
                              button("Reject", "inbox_reject", key)))
    return blocks[:50]


def _stats_blocks(rt: SlackRuntime, days: int) -> list[dict[str, Any]]:
    """The stats table as preformatted sections (each within Slack's limit)."""
    since = rt.clock() - timedelta(days=days)
    counts, totals = rt.app.questions.activity(since)
    titles = {e.id: e.title for e in rt.app.faq.all_entries()}
    lines = stats_lines(stats_report(since, counts, totals, titles), days)
    blocks: list[dict[str, Any]] = []
    chunk: list[str] = []
    for line in (escape_slack(x) for x in lines):
        if sum(len(c) + 1 for c in chunk) + len(line) > 2900:
            blocks.append(section("```" + "\n".join(chunk) + "```"))
            chunk = []
        chunk.append(line)
    blocks.append(section("```" + "\n".join(chunk) + "```"))
    return blocks[:50]


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    """Add the moderators' listeners."""

    async def refuse(respond: AsyncRespond, exc: UserError) -> None:
        await respond(response_type="ephemeral", replace_original=False,
                      text=escape_slack(exc.message))

    @bolt.command("/faq-admin")
    @guarded(rt)
    async def faq_admin(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient,
                        respond: AsyncRespond) -> None:
        await ack()
        who = _who(command)
        if who is None:
            return
        words = plain_text(str(command.get("text") or "")).split()
        sub, rest = (words[0].lower(), words[1:]) if words else ("", [])
        try:
            mod = await _moderator(rt, *who)
            if sub in ("", "add", "edit") and not (sub == "edit" and not rest):
                view = await rt.call(_form_for, rt, sub, rest)
                await client.views_open(trigger_id=command["trigger_id"], view=view)
            elif sub == "edit":
                await client.views_open(trigger_id=command["trigger_id"],
                                        view=modals.picker(rt.app.assistant.entries.values()))
            elif sub == "inbox":
                reply = await rt.call(rt.app.assistant.inbox.handle, InboxRequest("list"),
                                      mod.actor, granted=mod.granted)
                await respond(response_type="ephemeral", text="The inbox",
                              blocks=_inbox_blocks(rt, reply))
            elif sub == "stats":
                days = _days(rest)
                await respond(response_type="ephemeral", text="FAQ stats",
                              blocks=await rt.call(_stats_blocks, rt, days))
            else:
                await respond(response_type="ephemeral", text=USAGE)
        except UserError as exc:
            await refuse(respond, exc)

    @bolt.action(modals.PICK_ENTRY)
    @guarded(rt)
    async def entry_picked(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                           client: AsyncWebClient) -> None:
        await ack()
        chosen = (action.get("selected_option") or {}).get("value")
        view, who = body.get("view") or {}, _who(body)
        if not isinstance(chosen, str) or who is None:
            return
        try:
            await _moderator(rt, *who)
            form = await rt.call(_form_for, rt, "add" if chosen == modals.NEW_ENTRY else "edit",
                                 [] if chosen == modals.NEW_ENTRY else [chosen])
        except UserError as exc:
            form = modals.result("FAQ entries", escape_slack(exc.message))
        await client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=form)

    @bolt.view(modals.ADD)
    @bolt.view(modals.EDIT)
    async def entry_saved(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        given = modals.values(view)
        meta = modals.metadata(view)
        editing = view.get("callback_id") == modals.EDIT
        request = FaqRequest(
            "edit" if editing else "add",
            entry_id=str(meta.get("id", "")) if editing else given.get("id", "").strip().lower(),
            changes=EntryChanges(title=given.get("title"), answer=given.get("answer"),
                                 kind=None if editing else "faq",
                                 alternates=modals.lines(given.get("phrasings", "")),
                                 tags=modals.tags(given.get("tags", ""))),
            reason=given.get("reason", ""),
            base=int(meta["base"]) if editing and isinstance(meta.get("base"), int) else None)
        await _submit(rt, ack, body, given, lambda mod: rt.app.assistant.moderation.handle(
            request, mod.actor, granted=mod.granted), "FAQ saved")

    @bolt.action(re.compile(r"^inbox_(attach_open|create_open|dismiss|accept|reject)$"))
    @guarded(rt)
    async def inbox_action(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any],
                           client: AsyncWebClient, respond: AsyncRespond) -> None:
        await ack()
        who = _who(body)
        number = whole_number(str(action.get("value", "")), low=0, high=10**18 - 1)
        if who is None or number is None:
            return  # not a number the inbox could list
        command = INBOX_ACTIONS[str(action["action_id"])]
        try:
            mod = await _moderator(rt, *who)
            if command == "attach":
                await client.views_open(trigger_id=body["trigger_id"], view=modals.attach_form(
                    number, rt.app.assistant.entries.values()))
                return
            if command == "create":
                await client.views_open(trigger_id=body["trigger_id"],
                                        view=modals.create_form(number))
                return
            reply = await rt.call(rt.app.assistant.inbox.handle,
                                  InboxRequest(command, number=number), mod.actor,
                                  granted=mod.granted)
            await respond(response_type="ephemeral", replace_original=False,
                          text=cut(rt.text(reply)))
        except UserError as exc:
            await refuse(respond, exc)

    @bolt.view(modals.INBOX_ATTACH)
    @bolt.view(modals.INBOX_CREATE)
    async def inbox_saved(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        given, meta = modals.values(view), modals.metadata(view)
        number = meta.get("number") if isinstance(meta.get("number"), int) else 0
        creating = view.get("callback_id") == modals.INBOX_CREATE
        request = InboxRequest(
            "create" if creating else "attach", number=int(number or 0),
            entry_id=given.get("id", "").strip().lower() if creating else given.get("entry", ""),
            title=given.get("title") if creating else None,
            answer=given.get("answer") if creating else None,
            tags=modals.tags(given.get("tags", "")), reason=given.get("reason") or None)
        await _submit(rt, ack, body, given, lambda mod: rt.app.assistant.inbox.handle(
            request, mod.actor, granted=mod.granted), "Inbox")

    @bolt.shortcut(ADD_TO_FAQ)
    @guarded(rt)
    async def add_to_faq(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient,
                         respond: AsyncRespond) -> None:
        await ack()
        who = _who(body)
        if who is None:
            return
        try:
            await _moderator(rt, *who)
        except UserError as exc:
            await refuse(respond, exc)
            return
        said = plain_text(str((body.get("message") or {}).get("text") or ""))
        first = " ".join(said.split())[:500]
        await client.views_open(trigger_id=body["trigger_id"],
                                view=modals.entry_form(phrasings=[first] if first else []))


def _days(words: list[str]) -> int:
    if not words:
        return DEFAULT_DAYS
    days = whole_number(words[0], high=MAX_DAYS)
    if days is None:
        raise UserError(f"The days are a number from 1 to {MAX_DAYS:,}, not {words[0][:20]!r}.")
    return days


def _form_for(rt: SlackRuntime, sub: str, rest: list[str]) -> dict[str, Any]:
    """The modal `/faq-admin [add|edit ID]` opens: the picker, the add form or an edit form."""
    if sub == "add":
        return modals.entry_form()
    if sub == "edit":
        current = rt.app.editor.current(rest[0].lower())  # NotFound names it
        if current.removed:
            raise UserError(f"`{current.entry.id}` is removed; restore it first "
                            f"(`faq restore {current.entry.id}`).")
        return modals.entry_form(current.entry, current.version)
    return modals.picker(rt.app.assistant.entries.values())


async def _submit(rt: SlackRuntime, ack: AsyncAck, body: dict[str, Any], given: dict[str, str],
                  work: Callable[[_Moderator], Reply], title: str) -> None:
    """Carry out a modal's submission before acknowledging it: errors go under the fields
    (the "changed since" refusal of an edit too), success replaces the modal with what it did."""
    who = _who(body)
    if who is None:
        await ack()
        return
    fields = list(given) or ["answer"]
    try:
        mod = await _moderator(rt, *who)
        reply = await rt.call(work, mod)
    except EditConflict as exc:
        field = "answer" if "answer" in fields else fields[0]
        await ack(response_action="errors", errors={field: modals.field_error(exc.message)})
        return
    except UserError as exc:
        await ack(response_action="errors", errors={
            modals.field_of(exc.message, fields): modals.field_error(exc.message)})
        return
    except Exception as exc:  # logged by type: the form holds a moderator's draft
        log.error("slack: a moderator's form failed: %s", type(exc).__name__)
        await ack(response_action="errors", errors={fields[0]: "Something went wrong on my "
                                                               "side; nothing was saved."})
        return
    await ack(response_action="update", view=modals.result(title, rt.text(reply)))

