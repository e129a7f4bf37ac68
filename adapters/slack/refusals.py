"""Slack refusing a Web API call a listener makes (`{"ok": false, "error": ...}`): a modal
opened after its trigger expired (three seconds), a message to a channel the bot is not in.

Such a refusal is one log line, with the listener, the Slack ids and Slack's error code (never
the payload: it quotes members' words), and the member or moderator is told privately to try
again where they can be (a command or a click under a message has its response URL).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from adapters.slack.runtime import SlackRuntime
from adapters.slack.translate import identity, is_id, team_of
from bot.messages import Reply

log = logging.getLogger(__name__)

Listener = Callable[..., Awaitable[None]]
_CODE = re.compile(r"^[a-z0-9_.]{1,60}$")  # Slack's error codes and method names


def _code(value: object) -> str:
    return str(value) if isinstance(value, str) and _CODE.match(value) else "?"


def refusal_told(rt: SlackRuntime) -> Callable[[Listener], Listener]:
    """A listener whose Web API call Slack refuses logs one line and, when it has `respond`,
    tells the member privately to try again, instead of a traceback from Bolt.

    Bolt passes listeners their arguments by name: the wrapper takes the listener's."""
    def wrap(listener: Listener) -> Listener:
        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            try:
                await listener(**kwargs)
            except SlackApiError as exc:
                payload = kwargs.get("body") or kwargs.get("command") or {}
                user = payload.get("user_id") or (payload.get("user") or {}).get("id")
                who = identity(team_of(payload), str(user)) if is_id(user) else "?"
                data = exc.response.data if isinstance(exc.response.data, dict) else {}
                method = str(exc.response.api_url).rstrip("/").rsplit("/", 1)[-1]
                log.warning("slack: %s by %s: %s refused: %s", listener.__name__, who,
                            _code(method), _code(data.get("error")))
                respond = kwargs.get("respond")
                if respond is not None:
                    await respond(response_type="ephemeral", replace_original=False,
                                  text=rt.text(Reply("try_again")))
        return run
    return wrap
