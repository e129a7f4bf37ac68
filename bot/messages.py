"""The core's own message types: what comes in from any platform and what goes back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Incoming:
    """One message from a member, already translated out of its platform's event.

    `user` is platform-qualified (`console:alice`, `slack:T123/U456`, `discord:1234`).
    `moderator` is set by an adapter that found a moderators' platform role (a Slack user
    group, a Discord role); without it the moderators table decides. `body` is longer text
    sent along with a command (the lines the console reads after it, a form's field): a
    command's `--answer -` reads it.
    """

    text: str
    user: str
    platform: str = "console"
    channel: str = "console"
    private: bool = True
    moderator: bool = False
    body: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the core answers: a template name and the data it renders, never markup.

    `private` replies must reach only the asker (a DM or an ephemeral message).
    """

    template: str
    context: Mapping[str, Any] = field(default_factory=dict)
    private: bool = False


@dataclass(frozen=True)
class Delivery:
    """One reply to send, and whether it must go privately (a DM or an ephemeral message)."""

    reply: Reply
    private: bool


def deliveries(message: Incoming, reply: Reply) -> tuple[Delivery, ...]:
    """Where a reply goes: a private reply to a public message goes privately, with a notice.

    Every adapter sends exactly these, so that no personal answer reaches a public channel.
    """
    if reply.private and not message.private:
        return (Delivery(reply, private=True), Delivery(Reply("sent_privately"), private=False))
    return (Delivery(reply, private=message.private),)
