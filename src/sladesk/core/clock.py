"""The desk's notion of "now". Services read it here; only the demo loader and data
back-fills shift it (`clock.at`), so a demo can hold months of history. Tests use
time-machine instead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_shifted: ContextVar[dt.datetime | None] = ContextVar("sladesk_clock", default=None)


def now() -> dt.datetime:
    return _shifted.get() or timezone.now()


def desk_year() -> int:
    """The year now in the desk's zone (SLADESK_TIME_ZONE), whoever asks: what numbers of
    tickets and problems carry."""
    return timezone.localtime(now(), timezone.get_default_timezone()).year


@contextmanager
def at(moment: dt.datetime) -> Iterator[None]:
    """Run the block as if it were `moment` (an aware instant)."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    token = _shifted.set(moment)
    try:
        yield
    finally:
        _shifted.reset(token)
