"""`forumbot handoffs` at the console: the open hand-offs, and answering or closing one.

The operator running the command line on the server is a moderator; `--as WHO` names who acts,
for the audit log.
"""

from __future__ import annotations

import argparse
from typing import Any

from adapters.cli.faq import actor_of
from bot.app import App
from bot.inbox.handoffs import define, request_from_args

DEMO_QUEUE_HELP = "the demo database's (what `chat --demo` asked), not your own"


def define_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the `handoffs` command."""
    handoffs = sub.add_parser(
        "handoffs", help="the questions members passed to the moderators; reply, close")
    handoffs.add_argument("--demo", action="store_true", help=DEMO_QUEUE_HELP)
    define(handoffs, command_line=True)


def handoffs(app: App, args: argparse.Namespace) -> int:
    """`forumbot handoffs [reply N TEXT | close N]`: print the reply."""
    reply = app.assistant.queue.handle(request_from_args(args), actor_of(args), granted=True)
    print(app.renderer.render(reply, "text"))
    return 0
