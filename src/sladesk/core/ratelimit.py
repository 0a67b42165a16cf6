"""Rate limits over sliding windows.

Limits that must hold across processes (`shared=True`: signing in, asking for password
reset) keep every counted attempt with its time, in Redis (a sorted set, with
SLADESK_REDIS_URL) or else in the database (`RateHit` rows), and count exactly those of the
last W seconds: the window slides with time, nobody doubles a limit by guessing just before
and just after a boundary, and "try again in" is the time until the oldest attempt that
keeps the count at the limit is W seconds old.

The others (the API's requests a minute, one check per request) keep a count per slice of
W/15 seconds in the cache (each process's memory, or Redis) and estimate the last W seconds
as the slices inside them, the oldest weighted by the share of it still inside."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

SLICES = 15


# The exact log of the shared limits.


def _redis() -> Any:
    return cache._cache.get_client(write=True)  # type: ignore[attr-defined]  # RedisCache


def _log_key(bucket: str) -> str:
    return f"rl-log:{bucket}"


def _log_add(bucket: str, window: int, now: float) -> int:
    if settings.SLADESK_REDIS_URL:
        key = _log_key(bucket)
        pipe = _redis().pipeline()
        pipe.zremrangebyscore(key, "-inf", now - window)
        pipe.zadd(key, {f"{now:.6f}:{secrets.token_hex(4)}": now})
        pipe.zcard(key)
        pipe.expire(key, window + 1)
        return int(pipe.execute()[2])
    from sladesk.core.models import RateHit

    moment = dt.datetime.fromtimestamp(now, tz=dt.UTC)
    since = moment - dt.timedelta(seconds=window)
    with _bucket_locked(bucket):
        RateHit.objects.filter(bucket=bucket, at__lte=since).delete()
        # Buckets nobody uses again (a one-off address) go too: no window is a day long.
        RateHit.objects.filter(at__lte=moment - dt.timedelta(days=1)).delete()
        RateHit.objects.create(bucket=bucket, at=moment)
        return RateHit.objects.filter(bucket=bucket, at__gt=since).count()


@contextmanager
def _bucket_locked(bucket: str) -> Iterator[None]:
    """A transaction in which no other process counts in `bucket`: adding and counting are
    one step, so parallel attempts see 1, 2, 3, ... and never the same count. SQLite's
    IMMEDIATE transactions serialise writers already; PostgreSQL takes an advisory lock."""
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            digest = hashlib.blake2b(bucket.encode(), digest_size=8).digest()
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)]
                )
        yield


def _log_take_back(bucket: str) -> None:
    if settings.SLADESK_REDIS_URL:
        _redis().zpopmax(_log_key(bucket))
        return
    from sladesk.core.models import RateHit

    with _bucket_locked(bucket):
        newest = (
            RateHit.objects.filter(bucket=bucket)
            .order_by("-at", "-pk")
            .values_list("pk", flat=True)[:1]
        )
        RateHit.objects.filter(pk__in=list(newest)).delete()


def _log_times(bucket: str, window: int, now: float) -> list[float]:
    """The times of the attempts of the last `window` seconds, oldest first."""
    if settings.SLADESK_REDIS_URL:
        found = _redis().zrangebyscore(_log_key(bucket), now - window, "+inf", withscores=True)
        return sorted(score for _member, score in found if score > now - window)
    from sladesk.core.models import RateHit

    since = dt.datetime.fromtimestamp(now - window, tz=dt.UTC)
    times = RateHit.objects.filter(bucket=bucket, at__gt=since).order_by("at")
    return [moment.timestamp() for moment in times.values_list("at", flat=True)]


# The sliced estimate of the others.


def estimate(counts: Mapping[int, int], now: float, window: int) -> float:
    """The count of the last `window` seconds at `now`, from slice number -> count."""
    size = window / SLICES
    current = int(now // size)
    oldest = current - SLICES  # the window's start falls inside it
    share = ((oldest + 1) * size - (now - window)) / size
    inside = sum(count for index, count in counts.items() if oldest < index <= current)
    return inside + counts.get(oldest, 0) * share


def _slice_key(bucket: str, window: int, index: int) -> str:
    return f"rl:{bucket}:{window}:{index}"


def _slice_counts(bucket: str, window: int, now: float) -> dict[int, int]:
    current = int(now // (window / SLICES))
    keys = {_slice_key(bucket, window, i): i for i in range(current - SLICES, current + 1)}
    return {keys[key]: int(count) for key, count in cache.get_many(list(keys)).items()}


def _slice_add(bucket: str, window: int, amount: int, now: float) -> None:
    size = window / SLICES
    index = int(now // size)
    key = _slice_key(bucket, window, index)
    try:
        cache.incr(key, amount)
    except ValueError:  # the slice's first (or the key just expired)
        timeout = max(1, int((index + SLICES + 2) * size - now))
        if amount > 0 and not cache.add(key, amount, timeout=timeout):
            cache.incr(key, amount)  # another process opened the slice meanwhile


# The interface.


def hit(bucket: str, *, window: int, shared: bool = False) -> float:
    """Count one more in `bucket` and give the count of the last `window` seconds (this
    one included): exact when `shared`, estimated otherwise."""
    now = time.time()
    if shared:
        return _log_add(bucket, window, now)
    _slice_add(bucket, window, 1, now)
    return estimate(_slice_counts(bucket, window, now), now, window)


def take_back(bucket: str, *, window: int, shared: bool = False) -> None:
    """Count one less in `bucket` (the latest one counted, which should not have been)."""
    if shared:
        _log_take_back(bucket)
    else:
        _slice_add(bucket, window, -1, time.time())


def wait_for(bucket: str, *, window: int, most: int, shared: bool = False) -> int:
    """Whole seconds (1 to `window`) until `bucket` is under `most` if nothing more is
    counted. Everything counted happened by now, so it has all left the window by then."""
    now = time.time()
    if shared:
        times = _log_times(bucket, window, now)
        if len(times) < most:
            return 1
        # Under `most` once the (len - most + 1)-th oldest has left the window.
        wait = times[len(times) - most] + window - now
    else:
        counts = _slice_counts(bucket, window, now)
        wait = next(
            (w for w in range(1, window) if estimate(counts, now + w, window) < most), window
        )
    return min(window, max(1, int(-(-wait // 1))))
