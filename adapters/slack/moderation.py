"""What moderators do in Slack: `/faq-admin` (modals to add and edit entries, the inbox,
the stats) and the "Add to FAQ" message shortcut."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from adapters.slack.runtime import SlackRuntime

MODERATOR_COMMANDS: tuple[str, ...] = ()
SHORTCUTS: tuple[str, ...] = ()


def register(bolt: AsyncApp, rt: SlackRuntime) -> None:
    """Add the moderators' listeners."""
