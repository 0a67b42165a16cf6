"""Report periods: a month (`YYYY-MM`) or a range of dates, as instants in a zone (pure)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MAX_DAYS = 366  # a report covers at most a year
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class PeriodError(ValueError):
    """A period that cannot be read or is too long; the message names the rule."""


@dataclass(frozen=True)
class Period:
    """The dates `first`..`last` (both included), local to `zone`."""

    first: dt.date
    last: dt.date
    zone: ZoneInfo

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.first, dt.time(0), self.zone)

    @property
    def end(self) -> dt.datetime:
        """The instant just after the period (midnight after `last`)."""
        return dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), self.zone)

    @property
    def key(self) -> str:
        """`YYYY-MM` for a whole calendar month, else `first..last`."""
        if (
            self.first.day == 1
            and self.first == month_first(self.last)
            and self.last == (month_last(self.first))
        ):
            return self.first.strftime("%Y-%m")
        return f"{self.first.isoformat()}..{self.last.isoformat()}"


def month_first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_last(day: dt.date) -> dt.date:
    following = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def previous_month(day: dt.date) -> str:
    return (month_first(day) - dt.timedelta(days=1)).strftime("%Y-%m")


def month(text: str, zone: ZoneInfo) -> Period:
    found = _MONTH.match(text.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        raise PeriodError(f"{text!r} is not a month: write it as YYYY-MM, e.g. 2026-11.")
    first = dt.date(int(found[1]), int(found[2]), 1)
    return Period(first, month_last(first), zone)


def date_range(first: dt.date, last: dt.date, zone: ZoneInfo) -> Period:
    if last < first:
        raise PeriodError("The period ends before it starts.")
    if (last - first).days + 1 > MAX_DAYS:
        raise PeriodError(f"A report covers at most {MAX_DAYS} days.")
    return Period(first, last, zone)
