"""What the core tells an operator's instruments as it works: counts and timings, no content.

The port is the core's; an adapter implements it (Prometheus metrics in `adapters/metrics.py`)
and the composition root passes it in, so the core holds no registry and starts nothing at
import time. Labels are bounded: platforms, outcomes and reasons, never identities or text.
"""

from __future__ import annotations

from typing import Protocol


class Observer(Protocol):
    """Told of every question's outcome, every reply's latency and every refused link code."""

    def question(self, platform: str, outcome: str) -> None:
        """A question got its outcome: `answer`, `suggest` or `decline`."""
        ...

    def replied(self, platform: str, seconds: float, failed: bool) -> None:
        """A message was replied to after `seconds`; `failed` when it ended in an apology."""
        ...

    def link_refused(self, platform: str, reason: str) -> None:
        """A `link CODE` was refused: `wrong` (unknown, used or expired) or `locked`."""
        ...


class NoObserver:
    """The observer that ignores everything: the console and tests need no metrics."""

    def question(self, platform: str, outcome: str) -> None:
        """Ignored."""

    def replied(self, platform: str, seconds: float, failed: bool) -> None:
        """Ignored."""

    def link_refused(self, platform: str, reason: str) -> None:
        """Ignored."""
