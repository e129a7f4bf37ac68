"""`forumbot faq add|edit|...`, `forumbot moderators` and `forumbot audit` at the console.

The operator running the command line on the server is a moderator; `--as WHO` names who
makes a change, for the history and the audit log.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from adapters.cli.user_input import read_standard_input
from bot.app import App, utc_now
from bot.commands import FAQ_MODERATOR_WORDS
from bot.errors import NotFound, UserError
from bot.faq.commands import define, request_from_args
from bot.faq.desk import FaqDesk
from bot.faq.knowledge_pack import dump_entry
from bot.moderators import checked_actor, checked_identity

OPERATOR = "cli"  # the actor of read-only commands, which take no `--as`
MAX_AUDIT_LIMIT = 1_000_000


def define_commands(sub: argparse._SubParsersAction[Any],
                    faq_sub: argparse._SubParsersAction[Any]) -> None:
    """Add the FAQ editing subcommands to `faq`, and the `moderators` and `audit` commands."""
    define(faq_sub, command_line=True)
    moderators = sub.add_parser("moderators", help="who may edit the FAQ")
    m_sub = moderators.add_subparsers(dest="moderators_command", required=True,
                                      metavar="SUBCOMMAND")
    for name, summary in (("add", "make an identity a moderator"),
                          ("remove", "stop an identity being a moderator")):
        p = m_sub.add_parser(name, help=summary)
        p.add_argument("identity", help="platform-qualified: console:ana, slack:T1/U2, "
                       "discord:1234")
        p.add_argument("--as", dest="actor", metavar="WHO",
                       help="who makes the change, for the audit log (default: cli:LOGIN)")
    m_sub.add_parser("list", help="every moderator")
    audit = sub.add_parser("audit", help="the moderators' actions, newest first")
    audit.add_argument("--limit", type=int, default=50, help="how many (default: 50)")


def is_editing(args: argparse.Namespace) -> bool:
    """Whether a `forumbot faq` command is one of the editing subcommands."""
    return str(args.faq_command) in FAQ_MODERATOR_WORDS


def actor_of(args: argparse.Namespace) -> str:
    """Who acts: the `--as` name, checked, or the operator for commands without `--as`."""
    actor: str | None = getattr(args, "actor", None)
    return OPERATOR if actor is None else checked_actor(actor)


def edit_faq(app: App, args: argparse.Namespace) -> int:
    """Carry out `forumbot faq add|edit|alias|...` and print the reply."""
    actor = actor_of(args)
    request = request_from_args(args, read_stdin=read_standard_input)
    reply = FaqDesk(app.editor).handle(request, actor, granted=True)
    print(app.renderer.render(reply, "text"))
    return 0


def show_entry(app: App, entry_id: str) -> int:
    """`forumbot faq show ID`: the live entry as pack YAML; a removed one is named as such."""
    entry_id = entry_id.strip().lower()
    found = app.faq.get(entry_id)
    if found is not None:
        print(dump_entry(found), end="")
        return 0
    try:
        removed = app.editor.current(entry_id).removed
    except NotFound:
        removed = False
    if removed:
        raise UserError(f"{entry_id!r} is removed; `forumbot faq restore {entry_id} --as WHO` "
                        "brings it back (`forumbot faq history` shows its versions)")
    raise UserError(f"there is no entry {entry_id!r}; `forumbot faq list` shows them")


def list_all(app: App) -> int:
    """`forumbot faq list --all`: removed entries too, marked."""
    for version in app.editor.versions.all_latest():
        e = version.entry
        print(f"{e.id:28} {e.kind:9} {e.title}{'  (removed)' if version.removed else ''}")
    return 0


def moderators(app: App, args: argparse.Namespace) -> int:
    """`forumbot moderators add|remove|list`."""
    if args.moderators_command == "list":
        for m in app.moderators.all():
            print(f"{m.identity:40} added by {m.added_by} on {m.added_at:%Y-%m-%d %H:%M}")
        return 0
    identity = checked_identity(args.identity)
    actor = f"cli:{getpass.getuser()}" if args.actor is None else checked_actor(args.actor)
    if args.moderators_command == "add":
        done = app.moderators.add(identity, actor, utc_now())
        print(f"{identity} is {'now' if done else 'already'} a moderator")
    else:
        done = app.moderators.remove(identity, actor, utc_now())
        print(f"{identity} is {'no longer' if done else 'not'} a moderator")
    return 0


def audit(app: App, args: argparse.Namespace) -> int:
    """`forumbot audit [--limit N]`: one line per action, newest first."""
    if not 1 <= args.limit <= MAX_AUDIT_LIMIT:
        raise UserError(f"--limit must be from 1 to {MAX_AUDIT_LIMIT:,}, not {args.limit}")
    records = app.audit.recent(args.limit)
    if not records:
        print("no moderator actions yet")
    for r in records:
        print(f"{r.at:%Y-%m-%d %H:%M:%S} {r.actor} {r.action} {r.target}: {r.detail}")
    return 0
