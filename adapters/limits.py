"""How often one member may make the bot work: a sliding window per user, bounded in memory.
Shared by the chat adapters (Discord keys it by user id, Slack by identity)."""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

PER_WINDOW = 8       # messages or commands a member may send...
WINDOW = 30.0        # ...in this many seconds; more are left unanswered
TRACKED_USERS = 10_000  # the least recently seen are forgotten first
SUGGESTIONS_PER_WINDOW = 60  # autocomplete requests (one a keystroke) a member may send per window


class RateLimit:
    """Allows each key `per_window` events in any `window` seconds."""

    def __init__(self, per_window: int = PER_WINDOW, window: float = WINDOW,
                 tracked: int = TRACKED_USERS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window, self.window, self.tracked, self.clock = per_window, window, tracked, clock
        self._seen: OrderedDict[Hashable, deque[float]] = OrderedDict()

    def allow(self, key: Hashable) -> bool:
        """Whether this event may go on; refused events do not count."""
        now = self.clock()
        times = self._seen.pop(key, None) or deque()
        while times and now - times[0] >= self.window:
            times.popleft()
        allowed = len(times) < self.per_window
        if allowed:
            times.append(now)
        self._seen[key] = times
        while len(self._seen) > self.tracked:
            self._seen.popitem(last=False)
        return allowed
