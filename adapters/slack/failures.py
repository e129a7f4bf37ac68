"""What a Slack listener's failure after its ack becomes: one log line, and the member or
moderator told privately where they can be (a command or a click under a message has its
response URL), instead of Bolt's error handler with a traceback (which, when the failure
comes right after `ack()`, can also make Bolt wait three seconds and answer Slack 404).

- Slack refusing a Web API call (`{"ok": false, "error": ...}`): a modal opened after its
  trigger expired, a message to a channel the bot is not in. Logged with the listener, the
  Slack ids, the method and Slack's error code; told to try again.
- The database not answering (an outage, a lock held too long): logged by type; told that it
  is temporarily unavailable, as on Discord.
- Anything else: logged with its type and where it was raised; told that something went
  wrong.

Never the payload or the exception's message: they quote members' words.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_sdk.errors import SlackApiError

from adapters.slack.runtime import SlackRuntime
from adapters.slack.translate import identity, is_id, team_of
from adapters.slack.web_api import refusal
from bot.errors import UNAVAILABLE, described
from bot.messages import Reply
from bot.storage.database import DATABASE_AWAY

log = logging.getLogger(__name__)

Listener = Callable[..., Awaitable[None]]


def guarded(rt: SlackRuntime) -> Callable[[Listener], Listener]:
    """A listener whose failure is one log line and, when it has `respond`, a private word to
    the member or moderator (see the module's docstring).

    Bolt passes listeners their arguments by name: the wrapper takes the listener's."""
    def wrap(listener: Listener) -> Listener:
        @functools.wraps(listener)
        async def run(**kwargs: Any) -> None:
            try:
                await listener(**kwargs)
            except SlackApiError as exc:
                log.warning("slack: %s by %s: %s", listener.__name__, _who(kwargs),
                            refusal(exc))
                await _tell(rt, kwargs, Reply("try_again"))
            except DATABASE_AWAY as exc:
                log.warning("slack: %s by %s: the database is not answering (%s)",
                            listener.__name__, _who(kwargs), type(exc).__name__)
                await _tell(rt, kwargs, Reply("error", {"message": UNAVAILABLE}))
            except Exception as exc:
                log.error("slack: %s by %s failed: %s", listener.__name__, _who(kwargs),
                          described(exc))
                await _tell(rt, kwargs, Reply("oops"))
        return run
    return wrap


def _who(kwargs: dict[str, Any]) -> str:
    """The identity of whoever the listener acted for (by id), or "?"."""
    payload = kwargs.get("body") or kwargs.get("command") or {}
    user = (payload.get("user_id") or (payload.get("user") or {}).get("id")
            or (payload.get("event") or {}).get("user"))
    return identity(team_of(payload), str(user)) if is_id(user) else "?"


async def _tell(rt: SlackRuntime, kwargs: dict[str, Any], reply: Reply) -> None:
    """Tell the member privately, when the listener has `respond` (events have not)."""
    respond = kwargs.get("respond")
    if respond is None:
        return
    try:
        await respond(response_type="ephemeral", replace_original=False, text=rt.text(reply))
    except Exception as exc:  # the response URL expired or does not answer
        log.info("slack: not told: %s", type(exc).__name__)
