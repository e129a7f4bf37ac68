"""The per-member rate limit of the Discord adapter: a sliding window, bounded in memory."""

from __future__ import annotations

from adapters.limits import RateLimit


def test_a_member_gets_the_allowed_number_then_waits_for_the_window_to_slide() -> None:
    now = [0.0]
    limit = RateLimit(per_window=3, window=10.0, clock=lambda: now[0])
    assert [limit.allow(1) for _ in range(4)] == [True, True, True, False]
    assert limit.allow(2)
    now[0] = 9.9
    assert not limit.allow(1)
    now[0] = 10.0
    assert limit.allow(1)


def test_the_limit_forgets_the_least_recently_seen_members_beyond_its_size() -> None:
    limit = RateLimit(per_window=1, window=60.0, tracked=2, clock=lambda: 0.0)
    assert limit.allow(1) and limit.allow(2) and limit.allow(3)
    assert limit.allow(1)  # forgotten, so allowed again: memory stays bounded
    assert not limit.allow(3)
