"""Counters in the cache for rate limits: customer look-ups per user, public case-status
look-ups per client address.

The cache is shared by every web process (Redis in the scaled mode), so a limit holds
across processes; in the embedded mode it is per process (locmem).
"""

from django.core.cache import cache
from django.utils import timezone

from waterdesk.core.security import client_ip


def counter_incr(key: str, *, timeout: int) -> int:
    """Add one to the counter ``key`` and return its value; a new counter lives ``timeout``
    seconds from its first count (later counts do not extend it)."""
    # add() is atomic on Redis and locmem: the first request creates the key, later ones incr.
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
        return 1


def window_count(name: str, *, window_seconds: int) -> int:
    """Count one event of ``name`` in the current fixed window of ``window_seconds`` (windows
    start at multiples of it since the epoch) and return the window's count so far. The
    window is read from the clock here, not from the cache's expiry, so every process and
    the cache agree on when it ends."""
    window = int(timezone.now().timestamp()) // window_seconds
    # Kept one window longer than needed: the key is never read after its window.
    return counter_incr(f"{name}:{window}", timeout=2 * window_seconds)


def client_over_limit(request, name: str, *, limit: int, window_minutes: int) -> bool:
    """Count one use of the public page ``name`` by the request's client address and say
    whether it went over ``limit`` in the current window of ``window_minutes``."""
    count = window_count(f"portal:{name}:{client_ip(request)}", window_seconds=window_minutes * 60)
    return count > limit
