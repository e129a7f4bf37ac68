"""The Discord adapter's own settings, read from the environment by one function.

The core's settings never hold them: only `forumbot serve` reads `DISCORD_TOKEN`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import SettingsError

# What the bot needs in a channel: view it, send messages (and in threads), create threads
# (a hand-off thread in the moderators' channel), embed links and read history for replies.
PERMISSIONS = {
    "view_channel": 1 << 10,
    "send_messages": 1 << 11,
    "embed_links": 1 << 14,
    "read_message_history": 1 << 16,
    "create_public_threads": 1 << 35,
    "send_messages_in_threads": 1 << 38,
}
SCOPES = ("bot", "applications.commands")
MAX_SHARDS = 1_000


@dataclass(frozen=True)
class DiscordConfig:
    """Everything the Discord client needs; `token` is the adapter's secret."""

    token: str
    guilds: tuple[int, ...] = ()
    moderator_channel: int | None = None
    moderator_role: int | None = None
    help_forums: frozenset[int] = frozenset()
    help_channels: frozenset[int] = frozenset()
    shards: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @property
    def wants_message_content(self) -> bool:
        """The privileged intent is asked for only when help forums or channels are opted in."""
        return bool(self.help_forums or self.help_channels)


def _id(environ: Mapping[str, str], key: str) -> int | None:
    raw = environ.get(key, "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 20:
        raise SettingsError(f"{key}={raw[:40]!r} is not a Discord id (a number like "
                            "1234567890123456789; turn on Developer Mode and Copy ID)")
    return int(raw)


def _ids(environ: Mapping[str, str], key: str) -> tuple[int, ...]:
    raw = environ.get(key, "").strip()
    ids: list[int] = []
    for part in raw.replace(",", " ").split():
        value = _id({key: part}, key)
        if value is not None and value not in ids:
            ids.append(value)
    return tuple(ids)


def _shard_ids(environ: Mapping[str, str], key: str, count: int | None) -> tuple[int, ...] | None:
    raw = environ.get(key, "").strip()
    if not raw:
        return None
    if count is None:
        raise SettingsError(f"{key}={raw[:40]!r} needs FORUMBOT_DISCORD_SHARDS (the total)")
    first, sep, last = raw.partition("-")
    if not all(p.strip().isascii() and p.strip().isdecimal() for p in (first, last or first)):
        raise SettingsError(f"{key}={raw[:40]!r} is not a shard range like 0-3")
    low, high = int(first), int(last if sep else first)
    if not low <= high < count:
        raise SettingsError(f"{key}={raw[:40]!r} must lie within 0-{count - 1}")
    return tuple(range(low, high + 1))


def discord_config(environ: Mapping[str, str]) -> DiscordConfig | None:
    """The Discord settings, or None when `DISCORD_TOKEN` is not set (Discord stays off)."""
    token = environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        return None
    raw_shards = environ.get("FORUMBOT_DISCORD_SHARDS", "").strip()
    shards: int | None = None
    if raw_shards:
        if not (raw_shards.isascii() and raw_shards.isdecimal()) or not (
                1 <= int(raw_shards) <= MAX_SHARDS):
            raise SettingsError(f"FORUMBOT_DISCORD_SHARDS={raw_shards[:40]!r} is not a shard "
                                f"count from 1 to {MAX_SHARDS}")
        shards = int(raw_shards)
    return DiscordConfig(
        token=token,
        guilds=_ids(environ, "FORUMBOT_DISCORD_GUILDS"),
        moderator_channel=_id(environ, "FORUMBOT_DISCORD_MODERATOR_CHANNEL"),
        moderator_role=_id(environ, "FORUMBOT_DISCORD_MODERATOR_ROLE"),
        help_forums=frozenset(_ids(environ, "FORUMBOT_DISCORD_HELP_FORUMS")),
        help_channels=frozenset(_ids(environ, "FORUMBOT_DISCORD_HELP_CHANNELS")),
        shards=shards,
        shard_ids=_shard_ids(environ, "FORUMBOT_DISCORD_SHARD_IDS", shards),
    )


def permissions_value() -> int:
    """The permission integer the invite asks for."""
    value = 0
    for bit in PERMISSIONS.values():
        value |= bit
    return value


def invite_url(application_id: int) -> str:
    """The link a server admin opens to add the bot, with exactly the scopes and permissions
    it needs."""
    scopes = "%20".join(SCOPES)
    return (f"https://discord.com/oauth2/authorize?client_id={application_id}"
            f"&scope={scopes}&permissions={permissions_value()}")
