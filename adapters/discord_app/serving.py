"""`forumbot serve` with Discord: the HTTP app (uvicorn) and the discord.py client in one
event loop, stopped together and in order on SIGINT or SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator, Sequence

import discord
import uvicorn
from starlette.applications import Starlette

from adapters.discord_app.client import ForumbotClient
from adapters.discord_app.config import DiscordConfig
from adapters.discord_app.desk import DiscordDesk
from adapters.discord_app.sender import DiscordSender
from adapters.http_app import create_http_app
from bot.app import App
from bot.delivery import Sender
from bot.errors import UserError

log = logging.getLogger(__name__)
DRAIN_SECONDS = 10.0  # at most this long, messages in hand are answered before the client closes


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the serving loop stops it with the client."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_http(server: uvicorn.Server) -> None:
    """uvicorn's serving; when it cannot start it exits the process, which here only ends
    this task (`server.started` says it failed), so that the client is closed first."""
    try:
        await server.serve()
    except SystemExit:
        log.debug("the HTTP server exited")


# The HTTP app with the outbox's senders, and uvicorn's configuration for an app.
HttpApp = Callable[[Sequence[Sender]], Starlette]
ServerConfig = Callable[[Starlette], uvicorn.Config]


def run_serve(app: App, config: DiscordConfig, http: HttpApp, server_config: ServerConfig) -> None:
    """Serve HTTP and Discord until interrupted; a token Discord refuses is a `UserError`."""
    asyncio.run(serve(app, None, config, "", 0, "", http=http, server_config=server_config))


async def serve(app: App, secret: str | None, config: DiscordConfig, host: str, port: int,
                log_level: str, stop: asyncio.Event | None = None,
                client_options: dict[str, object] | None = None, *,
                http: HttpApp | None = None, server_config: ServerConfig | None = None) -> None:
    """Run both until `stop` is set (by default: SIGINT or SIGTERM) or the client gives up.

    `http` and `server_config` build the HTTP app and uvicorn's configuration (as `forumbot
    serve` does, with its limits); by default, the plain app on `host`:`port`.
    """
    loop = asyncio.get_running_loop()
    if stop is None:
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    desk = DiscordDesk(app, config)
    client = ForumbotClient(desk, **(client_options or {}))
    senders = [DiscordSender(desk, loop)]
    web_app = http(senders) if http else create_http_app(app, secret, senders=senders)
    server = _Server(server_config(web_app) if server_config else uvicorn.Config(
        web_app, host=host, port=port, log_level=log_level, lifespan="on"))
    bot = asyncio.create_task(client.start(config.token), name="forumbot-discord")
    web = asyncio.create_task(_serve_http(server), name="forumbot-http")
    stopped = asyncio.create_task(stop.wait(), name="forumbot-stop")
    failure: BaseException | None = None
    try:
        await asyncio.wait({bot, web, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if bot.done() and not bot.cancelled():
            failure = bot.exception()
    finally:
        server.should_exit = True
        await desk.drain(DRAIN_SECONDS)
        await client.close()
        # Closed while still logging in or connecting, discord.py's AutoShardedClient does
        # not notice: `launch_shard` retries a failed gateway connection every 5 s forever
        # (the session it needs is closed). The client is closed, so its task is ended.
        bot.cancel()
        stopped.cancel()
        await asyncio.gather(web, bot, stopped, return_exceptions=True)
        desk.close()
    if web.done() and not server.started:
        where = f"{server.config.host}:{server.config.port}"
        raise UserError(f"the HTTP server could not start on {where} (the log above "
                        "says why; another process may hold the port)")
    if isinstance(failure, discord.LoginFailure):
        raise UserError("Discord refused the token in DISCORD_TOKEN; copy the bot's token "
                        "again from the Developer Portal (Bot, Reset Token)")
    if isinstance(failure, discord.PrivilegedIntentsRequired):
        raise UserError("help channels or forums need the Message Content intent: turn it on "
                        "in the Developer Portal (Bot, Privileged Gateway Intents)")
    if failure is not None:
        raise UserError(f"the Discord client stopped: {type(failure).__name__}")
