"""What every Slack listener shares: the wired forumbot app, the Slack settings, the claims
store, the moderators' user group, and the few steps they all take."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.limits import RateLimit
from adapters.slack.blocks import SlackMessage, message
from adapters.slack.config import SlackConfig
from adapters.slack.translate import identity
from adapters.slack.web_api import refusal
from bot.app import App
from bot.errors import described
from bot.messages import Reply
from bot.storage.database import DATABASE_AWAY
from bot.storage.platform_store import SqlPlatformStore

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
# Threads for the core's blocking work. Few: the core's Python holds the GIL, so more threads
# only make the event loop (the acks) wait longer for it, and within the database pool's 5
# connections (its overflow connections are opened and closed per use).
CORE_THREADS = 4
GROUP_TTL = 300.0  # seconds the moderators' user group is trusted before it is asked again
_GROUP_ID = re.compile(r"^S[A-Z0-9]+$")


@dataclass
class ModeratorGroup:
    """The members of the moderators' Slack user group, asked at most every `ttl` seconds.

    When Slack cannot be asked, the last known members stay (none at first).
    """

    client: AsyncWebClient
    group: str | None
    ttl: float = GROUP_TTL
    clock: Callable[[], float] = time.monotonic
    _members: frozenset[str] = frozenset()
    _fetched: float | None = None
    _group_id: str | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def contains(self, user: str) -> bool:
        """Whether a Slack user is in the group."""
        return user in await self.members()

    async def members(self) -> frozenset[str]:
        """The group's user ids (cached)."""
        if self.group is None:
            return frozenset()
        if self._fetched is not None and self.clock() - self._fetched < self.ttl:
            return self._members
        async with self._lock:
            if self._fetched is not None and self.clock() - self._fetched < self.ttl:
                return self._members
            try:
                group_id = await self._resolve()
                if group_id is not None:
                    found = await self.client.usergroups_users_list(usergroup=group_id)
                    self._members = frozenset(u for u in found.get("users") or ()
                                              if isinstance(u, str))
            except Exception as exc:  # an API failure keeps the last known members
                log.warning("slack: the moderators' user group could not be read: %s",
                            type(exc).__name__)
            self._fetched = self.clock()
        return self._members

    async def _resolve(self) -> str | None:
        """The group's id: as configured, or looked up by its handle once."""
        if self._group_id is not None or self.group is None:
            return self._group_id
        if _GROUP_ID.match(self.group):
            self._group_id = self.group
            return self._group_id
        listed = await self.client.usergroups_list()
        for group in listed.get("usergroups") or ():
            if isinstance(group, dict) and self.group in (group.get("handle"), group.get("name")):
                self._group_id = str(group.get("id"))
                return self._group_id
        log.warning("slack: there is no user group with the handle in "
                    "FORUMBOT_SLACK_MODERATOR_GROUP")
        return None


@dataclass
class SlackRuntime:
    """The pieces the listeners work with."""

    app: App
    config: SlackConfig
    store: SqlPlatformStore
    group: ModeratorGroup
    clock: Callable[[], datetime]
    threads: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(
        max_workers=CORE_THREADS, thread_name_prefix="forumbot-slack"))
    pending: int = 0  # events whose listeners run (`in_hand`), counted on the event loop
    limit: RateLimit = field(default_factory=RateLimit)  # per member, used on the event loop

    @property
    def full(self) -> bool:
        """Whether as many answers as the settings allow are in hand: new events wait."""
        return self.pending >= self.config.max_pending

    async def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run a blocking core or database call off the event loop, in the adapter's threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, functools.partial(fn, *args, **kwargs))

    def allow(self, member: str) -> bool:
        """Whether a member (an identity) may make the bot work now: a few messages, commands
        or clicks in half a minute (`adapters.limits`); more are left alone."""
        if self.limit.allow(member):
            return True
        log.info("slack: %s is over the rate limit; left alone", member)
        return False

    @contextmanager
    def in_hand(self) -> Iterator[None]:
        """Count an event as in hand while its listener runs.

        Entered on the listener's first line, before anything awaits, so that an event is
        counted before Bolt's ack reaches Slack and the next delivery can be read.
        """
        self.pending += 1
        try:
            yield
        finally:
            self.pending -= 1

    def message(self, reply: Reply, **options: Any) -> SlackMessage:
        """A reply as a Slack message (see `blocks.message`)."""
        return message(self.app.renderer, reply, **options)

    def text(self, reply: Reply) -> str:
        """A reply as Slack mrkdwn, without buttons."""
        return self.app.renderer.render(reply, "slack")

    async def is_moderator(self, team: str, user: str) -> tuple[bool, bool]:
        """(may moderate, granted by the user group): the group or the moderators table."""
        granted = await self.group.contains(user)
        if granted:
            return True, True
        return await self.call(self.app.moderators.is_moderator, identity(team, user)), False

    async def once(self, body: dict[str, Any], prepare: Callable[[], T],
                   send: Callable[[T], Awaitable[None]]) -> None:
        """Answer an event unless another delivery of it (a retry, here or on another replica)
        claimed it first.

        `prepare` (the core's blocking work and the rendering) runs with the claim in one trip
        to the adapter's threads, `send` (the Web API calls) on the loop. When `prepare` fails,
        or Slack refuses the answer, the claim is released so that a retry is answered. When
        Slack cannot be reached or does not answer in time, the message may have been posted,
        and when part of the answer was posted (`PartlyPosted`), the answer is given up
        (logged by id) rather than risk answering twice.

        While the database is not answering, the event is answered from memory without a
        claim (`key` becomes None): Slack delivers an event again only when its ack failed,
        and a rare second answer is better than no answer for every member.
        """
        event_id = body.get("event_id")
        key = f"slack:event:{event_id}" if isinstance(event_id, str) and event_id else None

        def claimed() -> tuple[T] | None:  # None: claimed before
            nonlocal key
            try:
                if key is not None and not self.store.claim(key, self.clock()):
                    return None
            except DATABASE_AWAY as exc:  # answered from memory: nothing claimed to release
                log.warning("slack event %s: the database is not answering (%s); answered "
                            "without its once-only claim", event_id, type(exc).__name__)
                key = None
            return (prepare(),)

        try:
            prepared = await self.call(claimed)
        except Exception as exc:
            await self._release(key, event_id, described(exc))
            return
        if prepared is None:
            log.info("slack event %s: already answered (a retry)", event_id)
            return
        try:
            await send(prepared[0])
        except PartlyPosted as exc:
            log.error("slack event %s: part of the answer was posted, the rest failed; "
                      "given up: %s", event_id, exc)
        except SlackApiError as exc:
            await self._release(key, event_id, refusal(exc))
        except Exception as exc:
            if outcome_unknown(exc):
                log.error("slack event %s: the answer may not have been posted; given up: %s",
                          event_id, type(exc).__name__)
            else:
                await self._release(key, event_id, described(exc))

    async def _release(self, key: str | None, event_id: object, failure: str) -> None:
        """Log a failure (Slack's refusal, or the type and place: messages quote members'
        words), and release the event's claim, if it has one, for a retry."""
        if key is None:  # no id, or answered without its claim while the database was away
            log.error("slack event %s failed (not claimed): %s", event_id, failure)
            return
        log.error("slack event %s failed; released for a retry: %s", event_id, failure)
        await self.call(self.store.release, key)


class PartlyPosted(Exception):
    """A reply's message failed after an earlier one of it was posted (a DM, then the notice
    in the channel): answering the event again would post that one twice. Its text is the
    failure's type name, or Slack's refusal (`web_api.refusal`)."""


def outcome_unknown(exc: Exception) -> bool:
    """Whether a Web API call failed without Slack's answer (after the client's retries), so
    that the message may have been posted."""
    return isinstance(exc, (aiohttp.ClientError, asyncio.TimeoutError))
