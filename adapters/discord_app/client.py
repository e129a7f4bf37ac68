"""The discord.py client of forumbot: intents, mentions off, commands synced, events routed.

Always the auto-sharded client: one shard for a small community (Discord's recommendation),
`FORUMBOT_DISCORD_SHARDS` shards for a large one, `FORUMBOT_DISCORD_SHARD_IDS` for the range
this process runs.
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord_app import buttons, commands, forms, messages, moderation
from adapters.discord_app.buttons import BUTTONS, known_custom_id
from adapters.discord_app.config import DiscordConfig
from adapters.discord_app.desk import DiscordDesk, database_away, log_failure
from bot.storage.database import DATABASE_AWAY

log = logging.getLogger(__name__)


def intents_for(config: DiscordConfig) -> discord.Intents:
    """Guilds, guild and DM messages; message content only for help channels and forums."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.dm_messages = True
    intents.message_content = config.wants_message_content
    return intents


class _QuietAutocomplete(logging.Filter):
    """discord.py logs a failed autocomplete with its traceback. Discord refusing the answer
    (the member typed on, and the request is gone) or an option this version does not suggest
    for (a member's Discord shows an older version's) is one line, not a failure."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if str(record.msg).startswith("Ignoring exception in autocomplete") and isinstance(
                error, (discord.HTTPException, app_commands.AppCommandError)):
            reason = (f"refused with {error.status} (code {error.code})"
                      if isinstance(error, discord.HTTPException) else type(error).__name__)
            what = record.getMessage().removeprefix("Ignoring exception in ")
            record.msg, record.args = "discord: %s not answered: %s", (what, reason)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class ForumbotClient(discord.AutoShardedClient):
    """The bot: every message it sends has mentions disabled."""

    def __init__(self, desk: DiscordDesk, **options: Any) -> None:
        config = desk.config
        # discord.py's debug log prints whole gateway events and request bodies (members'
        # words, link codes): it never goes below INFO, whatever FORUMBOT_LOG_LEVEL says.
        library = logging.getLogger("discord")
        library.setLevel(max(logging.INFO, library.getEffectiveLevel()))
        tree_log = logging.getLogger("discord.app_commands.tree")
        if not any(isinstance(f, _QuietAutocomplete) for f in tree_log.filters):
            tree_log.addFilter(_QuietAutocomplete())
        # Voice is never used: say nothing about its missing libraries.
        discord.VoiceClient.warn_nacl = False
        if hasattr(discord.VoiceClient, "warn_dave"):
            discord.VoiceClient.warn_dave = False
        if config.shard_ids is not None:
            options["shard_ids"] = list(config.shard_ids)
        # No cache of recent messages: nothing reads it (edits and deletions are ignored, a
        # hand-off thread's first post is fetched), and keeping every message costs each event.
        options.setdefault("max_messages", None)
        super().__init__(intents=intents_for(config),
                         allowed_mentions=discord.AllowedMentions.none(),
                         shard_count=config.shards, **options)
        self.desk = desk
        desk.attach(self)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._command_failed  # type: ignore[method-assign]
        commands.register(self.tree, desk)
        moderation.register(self.tree)

    async def _command_failed(self, interaction: discord.Interaction[Any],
                              error: app_commands.AppCommandError) -> None:
        """A command that failed: Discord's refusals in one line; a command or an option the
        bot no longer has (a member's Discord shows an older version's), or the database not
        answering, answered privately, in one line; anything else with its traceback (never
        the member's words)."""
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        name = interaction.command.name if interaction.command else "?"
        if isinstance(cause, discord.HTTPException):
            log.info("discord: /%s: refused with %s (code %s)", name, cause.status, cause.code)
            return
        if not isinstance(error, app_commands.CommandInvokeError):
            log.info("discord: /%s: not this version's command (%s)", name,
                     type(error).__name__)
            await commands.stale_command(self.desk, interaction)
            return
        if isinstance(cause, DATABASE_AWAY):
            await database_away(interaction, f"/{name}", cause)
            return
        log_failure(f"/{name}", cause)

    async def setup_hook(self) -> None:
        """Buttons answer from their custom ids; commands are synced to the configured guilds
        (at once) or globally."""
        if self.user is not None:  # logged in: mentions are recognised from the first event
            self.desk.bot_id = self.user.id
        self.add_dynamic_items(*BUTTONS, *moderation.MODERATOR_ITEMS)
        guilds = self.desk.config.guilds
        if guilds:
            for guild_id in guilds:
                guild = discord.Object(guild_id)
                self.tree.copy_global_to(guild=guild)
                await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()

    async def on_ready(self) -> None:
        """Remember the bot's own id (to find its mentions)."""
        if self.user is not None:
            self.desk.bot_id = self.user.id
        log.info("discord: connected as %s to %d servers", self.user and self.user.id,
                 len(self.guilds))

    async def on_message(self, message: discord.Message) -> None:
        """Every message the gateway delivers goes to the desk, which decides."""
        await self.desk.handling(messages.on_message(self.desk, message))

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """A click on a button the bot no longer knows, or a form opened before a restart,
        gets a private word instead of a failure."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        if interaction.type not in (discord.InteractionType.modal_submit,
                                    discord.InteractionType.component):
            return
        if custom_id in self.desk.open_forms:  # a form or its "Open the form again": its own
            return
        if forms.expired_form(custom_id, self.desk.open_forms):
            await buttons.expired_form(self.desk, interaction)
            return
        if interaction.type is discord.InteractionType.component and not (
                known_custom_id(custom_id) or moderation.known_custom_id(custom_id)):
            await buttons.unknown_button(self.desk, interaction)
