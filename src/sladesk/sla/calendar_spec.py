"""The values of a business-calendar spec: its keys, errors, and wall-clock day hours.

A spec is a mapping with keys among :data:`SPEC_KEYS` (its meaning is in the docstring of
:mod:`sladesk.sla.calendar`).  Times are ``"HH:MM"`` or ``"HH:MM:SS"`` and ``"24:00"`` only
ends an interval; dates are ``"YYYY-MM-DD"``.  Parsed, the hours of a date are sorted
``(start, end)`` pairs of wall-clock seconds from the date's midnight, an end past 86 400
ending on the next date (a night shift).  Pure: nothing here knows a time zone or Django.
"""

from __future__ import annotations

from datetime import date, datetime, time
from functools import lru_cache

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPEC_KEYS = frozenset(
    {
        "timezone",
        "week",
        "holidays",
        "special_days",
        "country",
        "pre_holiday_minutes",
        "shortened_days",
    }
)
MAX_SHORTENING_MINUTES = 240
DAY_SECONDS = 86_400

Interval = tuple[int, int]  # wall seconds from the date's midnight; end may pass 86 400
DayHours = tuple[Interval, ...]


class CalendarError(ValueError):
    """A calendar specification is invalid or a calendar question has no answer."""


class NaiveDatetimeError(CalendarError):
    """A datetime without a time zone was given where an instant is needed."""


def parse_clock(text: object, *, is_end: bool) -> int:
    """Seconds after midnight of "HH:MM" or "HH:MM:SS"; "24:00" only as an end."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) not in (2, 3) or not all(len(part) == 2 and part.isdigit() for part in parts):
        raise CalendarError(f"bad time {text!r}: expected 'HH:MM' or 'HH:MM:SS'")
    hours, minutes, seconds = (int(part) for part in [*parts, "00"][:3])
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise CalendarError(f"bad time {text!r}")
    if hours == 24 and not is_end:
        raise CalendarError("24:00 can only end an interval")
    return hours * 3600 + minutes * 60 + seconds


def format_clock(seconds: int) -> str:
    """``"HH:MM"``, or ``"HH:MM:SS"`` when the seconds are not zero."""
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02}:{minutes:02}" + (f":{seconds:02}" if seconds else "")


def parse_hours(raw: object, where: str) -> DayHours:
    """The sorted intervals of a list of ``[start, end]`` pairs; `where` names it in errors."""
    if not isinstance(raw, list | tuple):
        raise CalendarError(f"{where}: expected a list of [start, end] pairs, got {raw!r}")
    hours = []
    for pair in raw:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise CalendarError(f"{where}: expected a [start, end] pair, got {pair!r}")
        start = parse_clock(pair[0], is_end=False)
        end = parse_clock(pair[1], is_end=True)
        hours.append((start, end if end > start else end + DAY_SECONDS))
    return tuple(sorted(hours))


def format_hours(hours: DayHours) -> list[list[str]]:
    """`hours` as a spec writes them: ``[start, end]`` pairs, the inverse of `parse_hours`."""
    return [
        [
            format_clock(start),
            "24:00" if end == DAY_SECONDS else format_clock(end % DAY_SECONDS),
        ]
        for start, end in hours
    ]


def parse_date(raw: object, where: str) -> date:
    """A date, given as one or as ``"YYYY-MM-DD"``; `where` names it in errors."""
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise CalendarError(f"{where}: bad date {raw!r}, expected 'YYYY-MM-DD'")


def parse_minutes(raw: object, where: str) -> int:
    """A shortening in whole minutes, 0..MAX_SHORTENING_MINUTES; `where` names it in errors."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise CalendarError(f"{where}: expected a whole number of minutes, got {raw!r}")
    if not 0 <= raw <= MAX_SHORTENING_MINUTES:
        raise CalendarError(
            f"{where}: {raw} minutes is outside 0..{MAX_SHORTENING_MINUTES}"
            " (give other hours as special_days)"
        )
    return raw


@lru_cache(maxsize=64)
def parse_cutoff(cutoff: str | time) -> time:
    """The wall-clock time of a cutoff given as a time or as ``"HH:MM"``/``"HH:MM:SS"``."""
    if isinstance(cutoff, time):
        return cutoff
    seconds = parse_clock(cutoff, is_end=False)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def open_seconds(hours: DayHours) -> int:
    """Wall-clock seconds inside the union of `hours`."""
    total, reached = 0, -1
    for start, end in hours:
        total += max(0, end - max(start, reached))
        reached = max(reached, end)
    return total


def shorten(hours: DayHours, seconds: int) -> DayHours:
    """`hours` without their last `seconds` of open time (wall clock); empty ones dropped."""
    merged: list[Interval] = []
    for start, end in hours:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    kept: list[Interval] = []
    for start, end in reversed(merged):
        cut = min(seconds, end - start)
        seconds -= cut
        if end - cut > start:
            kept.append((start, end - cut))
    return tuple(reversed(kept))
