"""`forumbot discord invite-url`: the link a server admin opens to add the bot."""

from __future__ import annotations

import argparse
import base64
import binascii
from collections.abc import Mapping

from adapters.discord_app.config import invite_url
from bot.errors import UserError

WHERE = ("give --application-id (Developer Portal, General Information, Application ID) or "
         "set DISCORD_TOKEN")


def define_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `forumbot discord invite-url`."""
    discord = sub.add_parser("discord", help="the Discord bot")
    d_sub = discord.add_subparsers(dest="discord_command", required=True, metavar="SUBCOMMAND")
    invite = d_sub.add_parser("invite-url", help="print the link that adds the bot to a server, "
                              "with exactly the scopes and permissions it needs")
    invite.add_argument("--application-id", metavar="ID",
                        help="the bot's application id (default: read from DISCORD_TOKEN)")


def application_id(given: str | None, environ: Mapping[str, str]) -> int:
    """The application id as given, or the one a bot token starts with (its base64 user id)."""
    raw = (given or "").strip()
    if not raw:
        first = environ.get("DISCORD_TOKEN", "").strip().split(".")[0]
        try:
            raw = base64.b64decode(first + "=" * (-len(first) % 4), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raw = ""
        if not raw:
            raise UserError(f"no application id: {WHERE}")
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 20:
        raise UserError(f"{raw[:40]!r} is not an application id (a number): {WHERE}")
    return int(raw)


def print_invite(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Print the invite link alone on standard output."""
    print(invite_url(application_id(args.application_id, environ)))
    return 0
