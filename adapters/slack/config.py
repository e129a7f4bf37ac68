"""The Slack adapter's own settings, read from the environment by one function."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.errors import SettingsError
from bot.whole_numbers import whole_number

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_API_TIMEOUT = 10.0  # seconds a Web API call may take
# Answers one process may have in hand; past it an event is refused with 503, and Slack
# delivers it again later, rather than members waiting behind an ever longer queue.
DEFAULT_MAX_PENDING = 200
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,30}$")
_GROUP = re.compile(r"^(S[A-Z0-9]{1,30}|@?[a-z0-9][a-z0-9._-]{0,79})$")


@dataclass(frozen=True)
class SlackConfig:
    """The tokens, the Web API's base URL, and the channels and group forumbot works with."""

    bot_token: str
    signing_secret: str = ""
    app_token: str | None = None  # set: Socket Mode instead of the HTTP endpoint
    api_url: str = DEFAULT_API_URL
    moderator_channel: str | None = None
    help_channels: frozenset[str] = frozenset()
    moderator_group: str | None = None  # a user group's id (S...) or handle
    api_timeout: float = DEFAULT_API_TIMEOUT
    max_pending: int = DEFAULT_MAX_PENDING

    @property
    def socket_mode(self) -> bool:
        """Whether events come over Socket Mode (no public URL) rather than HTTP."""
        return self.app_token is not None


def _channel(key: str, raw: str) -> str:
    value = raw.strip()
    if not _CHANNEL.match(value):
        raise SettingsError(f"{key}={raw[:80]!r} is not a Slack channel id (like C0123ABCD)")
    return value


def slack_config(environ: Mapping[str, str]) -> SlackConfig | None:
    """The Slack settings, or None when Slack is not configured (no SLACK_BOT_TOKEN).

    HTTP mode needs SLACK_SIGNING_SECRET; Socket Mode (SLACK_APP_TOKEN) does not.
    """
    token = environ.get("SLACK_BOT_TOKEN", "").strip()
    if not token:
        return None
    secret = environ.get("SLACK_SIGNING_SECRET", "").strip()
    app_token = environ.get("SLACK_APP_TOKEN", "").strip() or None
    if app_token is not None and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN is not an app-level token (it starts with xapp-)")
    if not secret and app_token is None:
        raise SettingsError("SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: set it "
                            "(HTTP mode), or set SLACK_APP_TOKEN for Socket Mode")
    api_url = environ.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    if not re.match(r"^https?://[^\s/]+", api_url):
        raise SettingsError(f"SLACK_API_URL={api_url[:80]!r} is not an http(s) URL")
    channel = environ.get("FORUMBOT_SLACK_MODERATOR_CHANNEL", "").strip()
    helps = environ.get("FORUMBOT_SLACK_HELP_CHANNELS", "")
    group = environ.get("FORUMBOT_SLACK_MODERATOR_GROUP", "").strip()
    if group and not _GROUP.match(group):
        raise SettingsError(f"FORUMBOT_SLACK_MODERATOR_GROUP={group[:80]!r} is not a user "
                            "group id (like S0123ABCD) or handle (like moderators)")
    raw_timeout = environ.get("FORUMBOT_SLACK_API_TIMEOUT", "").strip()
    try:
        timeout = float(raw_timeout) if raw_timeout else DEFAULT_API_TIMEOUT
    except ValueError:
        timeout = float("nan")
    if not 0.1 <= timeout <= 120:
        raise SettingsError(f"FORUMBOT_SLACK_API_TIMEOUT={raw_timeout[:80]!r} is not a number "
                            "of seconds from 0.1 to 120")
    raw_pending = environ.get("FORUMBOT_SLACK_MAX_PENDING", "").strip() or str(DEFAULT_MAX_PENDING)
    max_pending = whole_number(raw_pending, high=999_999)
    if max_pending is None:
        raise SettingsError(f"FORUMBOT_SLACK_MAX_PENDING={raw_pending[:80]!r} is not a whole "
                            "number from 1")
    return SlackConfig(
        bot_token=token,
        signing_secret=secret,
        app_token=app_token,
        api_url=api_url if api_url.endswith("/") else api_url + "/",
        moderator_channel=_channel("FORUMBOT_SLACK_MODERATOR_CHANNEL", channel) if channel
        else None,
        help_channels=frozenset(_channel("FORUMBOT_SLACK_HELP_CHANNELS", c)
                                for c in helps.split(",") if c.strip()),
        moderator_group=group.removeprefix("@") or None,
        api_timeout=timeout,
        max_pending=max_pending,
    )
