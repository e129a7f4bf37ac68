"""The `forumbot` command line: one entry point for the console, the pack and the database."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import make_url
from sqlalchemy.exc import OperationalError

from adapters.cli.discord_invite import define_commands as define_discord_commands
from adapters.cli.discord_invite import print_invite
from adapters.cli.faq import (
    audit,
    define_commands,
    edit_faq,
    is_editing,
    list_all,
    moderators,
    show_entry,
)
from adapters.cli.handoffs import define_commands as define_handoff_commands
from adapters.cli.handoffs import handoffs
from adapters.cli.inbox import define_commands as define_inbox_commands
from adapters.cli.inbox import inbox, stats
from adapters.cli.pack import export_faq, import_pack
from adapters.cli.user_input import check_arguments
from adapters.log_format import configure_logging
from bot.app import App, build_app, utc_now
from bot.contracts.demo import demo_dataset, link_demo_member
from bot.contracts.linking import CODE_LIFETIME
from bot.errors import UserError
from bot.faq.evaluation import predict, read_labelled, score
from bot.faq.knowledge_pack import load_pack
from bot.resources import knowledge_dir
from bot.settings import MATCHERS, Settings, settings_from_environ, sqlite_url

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

    from adapters.metrics import Metrics
    from bot.delivery import Sender

log = logging.getLogger("forumbot")
# Seconds `forumbot serve` gives requests in flight to finish after SIGTERM.
SHUTDOWN_GRACE = 20


DEMO_HELP = ("run as a linked demo member with sample contracts, on a separate demo "
             "database (DATA_DIR/demo.db)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forumbot",
        description="A help-forum assistant: curated FAQ answers, did-you-mean choices, "
        "hand-off to moderators.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ask = sub.add_parser("ask", help="answer one question and exit")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--user", help="who is asking (default: your login name)")
    ask.add_argument("--demo", action="store_true", help=DEMO_HELP)

    chat = sub.add_parser("chat", help="an interactive session at the console")
    chat.add_argument("--user", help="who is asking (default: your login name)")
    chat.add_argument("--demo", action="store_true", help=DEMO_HELP)

    faq = sub.add_parser("faq", help="the FAQ entries in the database")
    faq_sub = faq.add_subparsers(dest="faq_command", required=True, metavar="SUBCOMMAND")
    faq_list = faq_sub.add_parser("list", help="every live entry, by id")
    faq_list.add_argument("--all", action="store_true", help="removed entries too, marked")
    show = faq_sub.add_parser("show", help="one entry")
    show.add_argument("id")
    export = faq_sub.add_parser("export", help="write every entry as JSON or as pack files")
    export.add_argument("--format", choices=["json", "yaml"], default="json")
    export.add_argument("--out", type=Path,
                        help="JSON: a file; YAML: a pack folder (files go to OUT/entries/)")
    pack_import = faq_sub.add_parser(
        "import", help="apply a pack folder's entries as new versions; --dry-run shows the diff")
    pack_import.add_argument("dir", type=Path, help="a pack folder (entries/ID.yaml)")
    pack_import.add_argument("--dry-run", action="store_true", help="show the diff, change nothing")
    pack_import.add_argument("--as", dest="actor", metavar="WHO", help="who imports (required "
                             "unless --dry-run)")
    pack_import.add_argument("--reason", default="imported from a pack folder")

    define_commands(sub, faq_sub)
    define_inbox_commands(sub)
    define_discord_commands(sub)

    knowledge = sub.add_parser("knowledge", help="the knowledge pack")
    k_sub = knowledge.add_subparsers(dest="knowledge_command", required=True, metavar="SUBCOMMAND")
    sync = k_sub.add_parser("sync", help="load the pack into the database (idempotent)")
    sync.add_argument("--dir", type=Path, help="a pack folder (default: the shipped pack)")

    db = sub.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    db_sub.add_parser("upgrade", help="apply pending migrations (also done on every start)")

    evaluate = sub.add_parser("eval", help="measure the matcher on labelled questions")
    evaluate.add_argument("file", type=Path, help='JSON lines: {"q": ..., "topic": id or null}')
    evaluate.add_argument("--predictions", type=Path, help="write one decision per question here")
    evaluate.add_argument("--matcher", choices=MATCHERS,
                          help="measure this matcher instead of FORUMBOT_MATCHER's")

    define_handoff_commands(sub)

    contracts = sub.add_parser("contracts", help="members' contract data")
    c_sub = contracts.add_subparsers(dest="contracts_command", required=True, metavar="SUBCOMMAND")
    c_import = c_sub.add_parser(
        "import", help="load accounts and contracts from a JSON or CSV file: all or nothing, "
        "idempotent (docs/contracts-import.md)")
    c_import.add_argument("file", type=Path, help="a .json or .csv file")
    c_import.add_argument("--format", choices=["json", "csv"],
                          help="the file's format (default: from its extension)")

    link_code = sub.add_parser("link-code", help="print a one-time link code for an account")
    link_code.add_argument("account", help="the marketplace account id")

    serve = sub.add_parser("serve", help="run the HTTP server: the marketplace webhook "
                           "(docs/webhook.md) and GET /healthz; and the Discord bot when "
                           "DISCORD_TOKEN is set")
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on "
                       "(default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="the port (default: 8000)")
    return parser


def _prepare_demo(app: App, args: argparse.Namespace) -> None:
    from adapters.console import console_identity

    now = utc_now()
    app.contracts.import_dataset(demo_dataset(now.date()))
    link_demo_member(app.links, console_identity(args.user), now)


def _ask(app: App, args: argparse.Namespace) -> int:
    from adapters.console import ConsoleSession, console_identity

    session = ConsoleSession(app, console_identity(args.user), _is_operator(args))
    print(session.reply_to(args.question))
    return 0


def _chat(app: App, args: argparse.Namespace) -> int:
    from adapters.console import chat, console_identity

    chat(app, console_identity(args.user), app.settings.data_dir / "chat-history",
         operator=_is_operator(args))
    return 0


def _is_operator(args: argparse.Namespace) -> bool:
    """Whoever runs `chat` or `ask` without `--user` is the operator, and a moderator;
    `--user NAME` plays a member."""
    return not (args.user or "").strip()


def _faq(app: App, args: argparse.Namespace) -> int:
    if args.faq_command == "import":
        return import_pack(app, args)
    if args.faq_command == "export":
        return export_faq(app, args)
    if is_editing(args):
        return edit_faq(app, args)
    if args.faq_command == "list" and args.all:
        return list_all(app)
    if args.faq_command == "list":
        for entry in app.faq.all_entries():
            print(f"{entry.id:28} {entry.kind:9} {entry.title}")
        return 0
    return show_entry(app, args.id)


def _sync(app: App, args: argparse.Namespace) -> int:
    pack = load_pack(args.dir or app.settings.knowledge_dir or knowledge_dir())
    report = app.faq.sync(pack.entries)
    print(f"created {len(report.created)}, updated {len(report.updated)}, "
          f"unchanged {len(report.unchanged)}, conflicts {len(report.conflicts)}")
    for entry_id in report.conflicts:
        print(f"conflict: {entry_id} was changed in the database since it was seeded; "
              "the pack's version was not applied")
    for entry_id in report.only_in_database:
        print(f"only in the database: {entry_id}")
    return 0


def _eval(app: App, args: argparse.Namespace) -> int:
    try:
        lines = args.file.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {args.file}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"cannot read {args.file}: it is not UTF-8 text") from None
    rows = read_labelled(lines, str(args.file))
    unknown = sorted({r.topic for r in rows if r.topic and r.topic not in app.assistant.entries})
    if unknown:
        print(f"warning: topics not in the FAQ: {', '.join(unknown)}", file=sys.stderr)
    predictions = predict(rows, app.assistant.decide)
    report = score(rows, predictions)
    if args.predictions:
        text = "".join(json.dumps(p.to_json(), ensure_ascii=False) + "\n" for p in predictions)
        try:
            args.predictions.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UserError(f"cannot write {args.predictions}: {exc.strerror}") from None
    print(f"matcher                            {app.matcher}")
    print(f"questions                          {report.questions} "
          f"({report.in_scope} in scope, {report.off_topic} off-topic)")
    print(f"in-scope answered right            {report.answered_right:6.1%}")
    print(f"wrong answers (of all questions)   {report.wrong_answers:6.1%}")
    print(f"off-topic declined                 {report.declined_off_topic:6.1%}")
    print(f"right topic among answer/choices   {report.right_among_choices:6.1%}")
    print(f"latency p50 / p99                  {report.p50_ms:.3f} ms / {report.p99_ms:.3f} ms")
    return 0


def _port(text: str) -> int:
    """A TCP port number as typed: 0 to 65535 (0: any free port)."""
    if not (text.isascii() and text.isdecimal()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {text[:20]!r}")
    return int(text)


def run(argv: Sequence[str], environ: dict[str, str]) -> int:
    """Run one command; returns the exit status.

    Arguments that are not valid UTF-8 are refused before anything else is done; a closed
    standard output (`forumbot ... | head`) raises `BrokenPipeError` for `main` to end quietly.
    """
    try:
        check_arguments(argv)
    except UserError as exc:
        print(f"forumbot: {exc.message}", file=sys.stderr)
        return 2
    args = _parser().parse_args(argv)
    app: App | None = None
    try:
        if args.command == "discord":  # needs no database
            return print_invite(args, environ)
        settings: Settings = settings_from_environ(environ)
        if args.command == "eval" and args.matcher:
            settings = dataclasses.replace(settings, matcher=args.matcher)
        if args.command == "knowledge":
            # The sync seeds exactly the pack it is given, not the shipped one first.
            settings = dataclasses.replace(settings, seed_on_start=False)
        demo = getattr(args, "demo", False)
        if demo:
            settings = dataclasses.replace(
                settings, database_url=sqlite_url(settings.data_dir / "demo.db"))
        configure_logging(settings.log_level, settings.log_format)
        metrics = _metrics() if args.command == "serve" else None
        app = _open(settings, metrics)
        if demo and args.command in ("ask", "chat"):
            _prepare_demo(app, args)
        if args.command == "serve":  # one line at start, before the server's own
            print(start_line(args.host, args.port, environ), file=sys.stderr, flush=True)
        if args.command == "db":
            print("database is at the newest schema")
            return 0
        if args.command == "serve":
            return _serve(app, args, environ, metrics)
        handlers = {"ask": _ask, "chat": _chat, "faq": _faq, "knowledge": _sync, "eval": _eval,
                    "link-code": _link_code, "contracts": _contracts,
                    "handoffs": handoffs, "moderators": moderators, "audit": audit,
                    "inbox": inbox, "stats": stats}
        return handlers[args.command](app, args)
    except UserError as exc:
        print(f"forumbot: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("forumbot: interrupted; nothing half-done was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise
    except Exception:
        log.exception("forumbot %s failed", args.command)
        return 1
    finally:
        if app is not None:
            app.engine.dispose()


def _metrics() -> Metrics:
    """The serve process's metrics (imported only for `serve`)."""
    from adapters.metrics import Metrics

    return Metrics()


def _open(settings: Settings, metrics: Metrics | None = None) -> App:
    """The app on the configured database, or a plain reason why the database cannot be used."""
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        return build_app(settings, metrics)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise UserError(f"cannot open the database {where}: {reason}") from None
    except OSError as exc:
        raise UserError(f"cannot open the database {where}: {exc.strerror} "
                        f"({exc.filename})") from None


def _contracts(app: App, args: argparse.Namespace) -> int:
    from adapters.cli.contracts import import_contracts

    print(import_contracts(app.contracts, args.file, args.format, sys.stderr))
    return 0


def _link_code(app: App, args: argparse.Namespace) -> int:
    """The code alone on standard output, so that scripts can use it."""
    print(app.links.issue_code(args.account, utc_now()))
    print(f"valid once, for {CODE_LIFETIME.seconds // 60} minutes: the member sends "
          "`link CODE` to the assistant in a direct message", file=sys.stderr)
    return 0


def unsynced_pack(app: App) -> str | None:
    """A reminder when the pack in use has entries the database was never seeded with."""
    report = app.faq.plan(app.pack.entries)
    if not report.changed:
        return None
    return (f"the knowledge pack has {len(report.created)} new and {len(report.updated)} "
            "updated entries that the database does not have; `forumbot knowledge sync` "
            "loads them (moderators' changes are kept)")


# The chat platforms `serve` runs, each when its token is set.
PLATFORM_TOKENS = (("slack", "SLACK_BOT_TOKEN"), ("discord", "DISCORD_TOKEN"))


def start_line(host: str, port: int, environ: Mapping[str, str]) -> str:
    """The one line `serve` logs at start: where it listens, whether the webhook is on and
    the platforms whose tokens are set (never a secret itself)."""
    where = f"[{host}]" if ":" in host else host
    hook = ("on" if environ.get("FORUMBOT_WEBHOOK_SECRET") else
            "off: FORUMBOT_WEBHOOK_SECRET is not set, it answers 503")
    platforms = [name for name, key in PLATFORM_TOKENS if environ.get(key, "").strip()]
    return (f"forumbot serve: listening on http://{where}:{port}; webhook POST "
            f"/hooks/marketplace {hook}; platforms: {', '.join(platforms) or 'none'}")


def _serve(app: App, args: argparse.Namespace, environ: Mapping[str, str],
           metrics: Metrics | None) -> int:
    """Serve until SIGTERM or Ctrl-C, with every chat platform whose credentials are set; the
    webhook's secret, the HTTP limits and the platforms' tokens are the adapters' own, not
    settings.

    On SIGTERM requests in flight get `SHUTDOWN_GRACE` seconds to finish, then the delivery
    loop stops after its current send. JSON logs take uvicorn's own lines too.
    """
    from adapters.discord_app.config import discord_config
    from adapters.http_app import create_http_app
    from adapters.http_server import http_config, limits_from_environ, serve_http
    from adapters.slack.config import slack_config

    reminder = unsynced_pack(app)
    if reminder:
        log.warning("%s", reminder)
    secret = environ.get("FORUMBOT_WEBHOOK_SECRET")
    limits = limits_from_environ(environ)
    slack = slack_config(environ)
    platforms = []
    if slack is not None:
        from adapters.slack.slack_app import slack_platform

        platforms.append(slack_platform(app, slack))

    def http(senders: Sequence[Sender] = ()) -> Starlette:
        return create_http_app(app, secret, senders=[*senders, *(p.sender for p in platforms)],
                               routes=[r for p in platforms for r in p.routes],
                               running=[p.running for p in platforms], metrics=metrics,
                               body_timeout=limits.request_timeout)

    def server_config(asgi: Starlette) -> uvicorn.Config:
        return http_config(asgi, args.host, args.port, app.settings.log_level, limits,
                           json_logs=app.settings.log_format == "json", grace=SHUTDOWN_GRACE)

    on_discord = discord_config(environ)
    if on_discord is None:
        serve_http(server_config(http()))
        return 0
    from adapters.discord_app.serving import run_serve

    run_serve(app, on_discord, http, server_config)
    return 0


def main() -> None:
    """The `forumbot` console script; output piped into `head` ends it quietly."""
    try:
        status = run(sys.argv[1:], dict(os.environ))
        sys.stdout.flush()
    except BrokenPipeError:
        _silence_stdout()
        status = 1
    sys.exit(status)


def _silence_stdout() -> None:
    """Point standard output at the null device, so that the flush at exit does not fail
    again on the closed pipe (the recipe in the `signal` module's SIGPIPE note)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    main()
