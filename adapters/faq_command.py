"""`forumbot faq add|edit|...`, `forumbot moderators` and `forumbot audit` at the console.

The operator running the command line on the server is a moderator; `--as WHO` names who
makes a change, for the history and the audit log.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from bot.app import App, utc_now
from bot.commands import FAQ_MODERATOR_WORDS
from bot.errors import UserError
from bot.faq_commands import define, request_from_args
from bot.faq_desk import FaqDesk
from bot.moderators import checked_identity

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


def edit_faq(app: App, args: argparse.Namespace) -> int:
    """Carry out `forumbot faq add|edit|alias|...` and print the reply."""
    actor = getattr(args, "actor", None) or OPERATOR
    if not actor.strip():
        raise UserError("--as needs a name, for the history and the audit log")
    request = request_from_args(args, read_stdin=sys.stdin.read)
    reply = FaqDesk(app.editor).handle(request, actor.strip(), granted=True)
    print(app.renderer.render(reply, "text"))
    return 0


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
    actor = args.actor or f"cli:{getpass.getuser()}"
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
