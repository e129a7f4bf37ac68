"""`forumbot inbox` and `forumbot stats` at the console.

The operator running the command line on the server is a moderator; `--as WHO` names who acts,
for the FAQ history and the audit log.
"""

from __future__ import annotations

import argparse
import math
from datetime import timedelta
from typing import Any

from adapters.cli.faq import actor_of
from adapters.cli.handoffs import DEMO_QUEUE_HELP
from adapters.cli.user_input import read_standard_input
from bot.app import App, utc_now
from bot.errors import UserError
from bot.inbox.commands import define, request_from_args
from bot.inbox.stats import (
    DEFAULT_DAYS,
    LOW_HELPFUL_SHARE,
    MIN_RATINGS_FOR_REVIEW,
    StatsReport,
    stats_report,
)

_ENTRY_WIDTH = 32  # the entry column at its narrowest; a longer id shown widens it
MAX_DAYS = 36_500  # a century: the whole history of any forum


def define_commands(sub: argparse._SubParsersAction[Any]) -> None:
    """Add the `inbox` and `stats` commands."""
    inbox = sub.add_parser("inbox", help="unanswered questions grouped, and picked choices; "
                           "attach, create, dismiss, accept, reject")
    inbox.add_argument("--demo", action="store_true", help=DEMO_QUEUE_HELP)
    define(inbox, command_line=True)
    stats = sub.add_parser("stats", help="how often each entry was asked, answered, suggested "
                           "and found helpful")
    stats.add_argument("--demo", action="store_true", help=DEMO_QUEUE_HELP)
    stats.add_argument("--days", type=int, default=DEFAULT_DAYS,
                       help=f"the period, in days up to now (default: {DEFAULT_DAYS})")


def inbox(app: App, args: argparse.Namespace) -> int:
    """`forumbot inbox [--limit N]` and `forumbot inbox attach|create|...`: print the reply."""
    actor = actor_of(args)
    request = request_from_args(args, read_stdin=read_standard_input)
    reply = app.assistant.inbox.handle(request, actor, granted=True)
    print(app.renderer.render(reply, "text"))
    return 0


def stats(app: App, args: argparse.Namespace) -> int:
    """`forumbot stats [--days N]`: the table, the totals and the entries to review."""
    if not 1 <= args.days <= MAX_DAYS:
        raise UserError(f"--days must be from 1 to {MAX_DAYS:,}, not {args.days}")
    since = utc_now() - timedelta(days=args.days)
    counts, totals = app.questions.activity(since)
    titles = {e.id: e.title for e in app.faq.all_entries()}
    print("\n".join(stats_lines(stats_report(since, counts, totals, titles), args.days)))
    return 0


def _percent(share: float | None) -> str:
    """A share as a whole percent, rounded down: 49.75% is not yet 50%."""
    return "-" if share is None else f"{math.floor(share * 100)}%"


def stats_lines(report: StatsReport, days: int) -> list[str]:
    """The report as a table and a few lines of text."""
    width = max([_ENTRY_WIDTH, *(len(r.entry_id) for r in report.rows)])
    lines = [f"{'entry':{width}} {'asked':>6} {'answered':>8} {'suggested':>9} "
             f"{'helpful':>8} {'ratings':>7}  last asked",
             "-" * (width + 61)]
    for r in report.rows:
        last = f"{r.last_asked:%Y-%m-%d %H:%M}" if r.last_asked else "-"
        lines.append(f"{r.entry_id:{width}} {r.asked:6} {r.answered:8} "
                     f"{r.suggested:9} {_percent(r.helpful_share):>8} {r.ratings:7}  {last}")
    t = report.totals
    period = f"last {days} day{'s' if days != 1 else ''}"
    lines += ["", f"{period} (since {report.since:%Y-%m-%d %H:%M} UTC): "
              f"{t.questions} questions, {t.answered} answered, {t.suggested} with choices, "
              f"{t.declined} declined; decline rate {_percent(t.decline_rate)}"]
    rule = (f"at least {MIN_RATINGS_FOR_REVIEW} ratings, under {LOW_HELPFUL_SHARE:.0%} "
            "helpful")
    if not report.to_review:
        lines.append(f"no entry to review ({rule})")
        return lines
    lines.append(f"to review ({rule}):")
    lines += [f"- {r.entry_id}: {_percent(r.helpful_share)} helpful of {r.ratings} ratings "
              f"({r.title})" for r in report.to_review]
    return lines
