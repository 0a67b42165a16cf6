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


def take_back(bucket: str, *, window: int) -> None:
    """Count one less in `bucket`'s current window (one that was counted and should not be)."""
    try:
        cache.decr(_key(bucket, window))
    except ValueError:  # the window turned meanwhile: nothing to take back
        return


def seconds_left(window: int) -> int:
    return window - int(time.time() % window)
