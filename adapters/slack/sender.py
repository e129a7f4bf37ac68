"""The outbox's sender for `slack:` identities: each notification as a DM to its member."""

from __future__ import annotations

from slack_sdk import WebClient

from adapters.slack.blocks import message
from adapters.slack.translate import PLATFORM, user_of
from bot.messages import Reply
from bot.rendering import Renderer


class SlackSender:
    """Implements `bot.delivery.Sender` for Slack: a DM per notification; raises on failure."""

    platform = PLATFORM

    def __init__(self, client: WebClient, renderer: Renderer) -> None:
        self._client = client
        self._renderer = renderer

    def send(self, identity: str, reply: Reply) -> None:
        """DM `reply` to the member of `identity`."""
        user = user_of(identity)
        if user is None:
            raise ValueError("not a Slack identity")
        opened = self._client.conversations_open(users=user)
        slack = message(self._renderer, reply)
        self._client.chat_postMessage(channel=opened["channel"]["id"], **slack.as_kwargs())
