"""Counters over fixed windows of time, in the shared cache: Redis when SLADESK_REDIS_URL is
set (one count across processes), else the memory of each process."""

from __future__ import annotations

import time

from django.core.cache import cache


def _key(bucket: str, window: int) -> str:
    return f"rl:{bucket}:{int(time.time() // window)}"


def hit(bucket: str, *, window: int) -> int:
    """Count one more in `bucket` for the current window of `window` seconds, and say how
    many the window holds now: one cache operation for all but a window's first."""
    key = _key(bucket, window)
    try:
        return int(cache.incr(key))
    except ValueError:  # the window's first (or the key just expired)
        if cache.add(key, 1, timeout=window + 30):
            return 1
        return int(cache.incr(key))  # another process opened the window meanwhile


def count(bucket: str, *, window: int) -> int:
    """How many `bucket` holds in the current window, counting nothing."""
    return int(cache.get(_key(bucket, window), 0))


def seconds_left(window: int) -> int:
    return window - int(time.time() % window)
