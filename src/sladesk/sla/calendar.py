"""Business calendars for SLA clocks: open hours, holidays, due instants.

A calendar is a time zone plus, for every local date, a list of wall-clock intervals
``[start, end)``.  The open time of the calendar is the union over all dates of those
intervals, each end converted to an instant with :mod:`zoneinfo` (``fold=0``: a wall time
inside a DST gap takes the offset before the gap, a repeated one its first occurrence).
An interval whose end is not after its start ends on the next date (a night shift;
``["10:00", "10:00"]`` is 24 hours) and ``"24:00"`` is an end meaning the next midnight.
Durations are real elapsed time inside open periods, so a DST night shortens or
lengthens a working day.

The hours of a date come from the first rule that applies:

1. ``special_days``: the listed intervals replace the day's hours (``[]`` closes the date);
2. ``holidays``: the date is closed;
3. ``country``: a public holiday of the :mod:`holidays` package closes the date, and a
   weekend day the package lists as a working day (a transferred working Saturday) gets
   the week's most common non-empty schedule (the earliest weekday's on a tie);
4. ``week``: the hours of the date's weekday.

Hours from rules 3 and 4 are then *shortened* on a pre-holiday day: the last minutes of
the day's open time are cut (``shortened_days`` gives the minutes for a date, else
``pre_holiday_minutes`` or the country's amount in :data:`PRE_HOLIDAY_MINUTES` applies on
the dates :func:`~sladesk.sla.production_calendar.country_pre_holidays` derives from the
holiday data).  The country rules live in :mod:`sladesk.sla.production_calendar`, the
parsing and formatting of spec values in :mod:`sladesk.sla.calendar_spec`.

A *working day* is a date whose own intervals contain open time; its *close* is the end
of its last interval (the next morning for a night shift).

Every method takes aware datetimes (naive ones raise :class:`NaiveDatetimeError`) and
returns aware datetimes in the calendar's zone, exact to the microsecond.  Searches
forward (``add``, ``next_open``, ``cutoff_due``, ``add_working_days``) raise
:class:`CalendarError` after ten years without open time instead of running on, as do
questions outside the years 2..9998.  Internally
instants are integer microseconds since the epoch; intervals are indexed lazily, a
calendar year at a time, into sorted arrays with cumulative open time, so ``add`` and
``between`` are two binary searches.  A calendar is immutable and safe to share
between threads: the index is only ever replaced whole, under a lock.

``add``, ``between``, ``is_open`` and ``next_open`` first ask the compiled module
``_calendar_fast`` (an optional C extension, built where a compiler is at hand) on the
same index; it answers the common case (a plain ``datetime`` in a ``ZoneInfo`` or
``timezone`` zone, inside the index) and leaves every other case, errors included, to
the Python code here, which gives the same answers without it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sladesk.sla.calendar_spec import (
    DAY_SECONDS,
    MAX_SHORTENING_MINUTES,
    SPEC_KEYS,
    WEEKDAYS,
    CalendarError,
    DayHours,
    Interval,
    NaiveDatetimeError,
    format_hours,
    open_seconds,
    parse_cutoff,
    parse_date,
    parse_hours,
    parse_minutes,
    shorten,
)
from sladesk.sla.production_calendar import (
    PRE_HOLIDAY_MINUTES,
    country_days,
    country_pre_holidays,
    is_supported_country,
    pre_holiday_minutes,
)

if TYPE_CHECKING:
    from sladesk.sla._calendar_fast import Index as _FastIndex

__all__ = [
    "MAX_SHORTENING_MINUTES",
    "PRE_HOLIDAY_MINUTES",
    "SPEC_KEYS",
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarError",
    "DayHours",
    "FastIndex",
    "Interval",
    "NaiveDatetimeError",
]

# The compiled index class, or None where the extension was not built (no C compiler) or
# is switched off (tests set it to None to check the Python code alone).
FastIndex: type[_FastIndex] | None
try:
    from sladesk.sla._calendar_fast import Index as FastIndex
except ImportError:
    FastIndex = None

_SECOND = 1_000_000  # instants and durations are integer microseconds
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Below 2**32 s (year 2106) a float number of seconds is within 0.25 µs of the exact value,
# so datetime.fromtimestamp, which rounds to the microsecond, reproduces it exactly.
_FLOAT_EXACT_LIMIT = 2**32 * _SECOND
# A search that meets this much closed time in a row gives up instead of running on.
_CLOSED_SEARCH_LIMIT = 3660 * DAY_SECONDS * _SECOND
_BEFORE_EVERYTHING = -(2**62)  # a zero-length interval that keeps bisect results >= 0


def _to_microseconds(moment: datetime) -> int:
    try:
        delta = moment - _EPOCH
    except TypeError:
        if isinstance(moment, datetime) and moment.utcoffset() is None:
            raise NaiveDatetimeError(
                f"naive datetime {moment.isoformat()}: give a time zone"
            ) from None
        raise
    return (delta.days * DAY_SECONDS + delta.seconds) * _SECOND + delta.microseconds


@dataclass(frozen=True, slots=True)
class _Index:
    """Merged open intervals of the local years [first_year, last_year].

    ``cum_ends[i]`` is the open time before ``ends[i]`` counted from an arbitrary origin, and
    inside interval ``i`` the open time before an instant is the instant plus ``shifts[i]``
    (so ``shifts[i]`` is the open time before ``starts[i]`` minus ``starts[i]``).  Answers
    are exact for instants in ``[low, high)``, which keeps a few days away from the ends of
    the indexed years so that night shifts and DST gaps of dates outside them cannot matter.
    Working days are exact for every date of the indexed years.
    """

    first_year: int
    last_year: int
    low: int
    high: int
    starts: list[int]
    ends: list[int]
    shifts: list[int]
    cum_ends: list[int]
    working_ordinals: list[int]
    working_closes: list[int]
    fast: _FastIndex | None  # the same intervals for the compiled module, if it is there


_EMPTY_INDEX = _Index(0, -1, 0, 0, [], [], [], [], [], [], None)


def _position(index: _Index, instant: int) -> int:
    """Open time before `instant`, on the index's own origin."""
    i = bisect_right(index.starts, instant) - 1
    return instant + index.shifts[i] if instant < index.ends[i] else index.cum_ends[i]


class BusinessCalendar:
    """Open hours in one time zone; see the module docstring for the exact semantics."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        """Build from a spec dict (the format of :meth:`to_spec`); raise CalendarError if bad."""
        if not isinstance(spec, Mapping) or not SPEC_KEYS.issuperset(spec):
            raise CalendarError(f"a calendar spec is a mapping with keys among {sorted(SPEC_KEYS)}")
        try:
            self._zone = ZoneInfo(spec["timezone"])
        except (KeyError, ValueError, TypeError):
            raise CalendarError(f"unknown time zone {spec.get('timezone')!r}") from None
        week = spec.get("week")
        if not isinstance(week, Mapping) or not set(WEEKDAYS).issuperset(week):
            raise CalendarError(f"'week' must map some of {', '.join(WEEKDAYS)} to hours")
        self._week = tuple(parse_hours(week.get(day, []), f"week.{day}") for day in WEEKDAYS)
        closed = spec.get("holidays", [])
        if not isinstance(closed, list | tuple | set | frozenset):
            raise CalendarError("'holidays' must be a list of dates")
        self._holidays = frozenset(parse_date(day, "holidays") for day in closed)
        special = spec.get("special_days", {})
        if not isinstance(special, Mapping):
            raise CalendarError("'special_days' must map dates to hours")
        self._special_days = {
            parse_date(day, "special_days"): parse_hours(hours, f"special_days.{day}")
            for day, hours in special.items()
        }
        if conflicts := sorted(self._holidays.intersection(self._special_days)):
            raise CalendarError(f"dates both holidays and special days: {conflicts}")
        if not any(self._week) and not any(self._special_days.values()):
            raise CalendarError("the calendar is never open: no weekly hours and no special days")
        self._country: str | None = spec.get("country")
        if self._country is not None and not is_supported_country(self._country):
            raise CalendarError(f"the holidays package does not know country {self._country!r}")
        self._pre_holiday_minutes: int | None = None
        if spec.get("pre_holiday_minutes") is not None:
            if self._country is None:
                raise CalendarError("'pre_holiday_minutes' applies to a 'country': name one")
            self._pre_holiday_minutes = parse_minutes(
                spec["pre_holiday_minutes"], "pre_holiday_minutes"
            )
        shortened = spec.get("shortened_days", {})
        if not isinstance(shortened, Mapping):
            raise CalendarError("'shortened_days' must map dates to minutes")
        self._shortened_days = {
            parse_date(day, "shortened_days"): parse_minutes(minutes, f"shortened_days.{day}")
            for day, minutes in shortened.items()
        }
        if conflicts := sorted(
            self._shortened_days.keys() & (self._holidays | self._special_days.keys())
        ):
            raise CalendarError(
                f"dates both shortened days and holidays or special days: {conflicts}"
            )
        # Seconds the rule cuts from a pre-holiday day of the country (0: no rule).
        self._pre_holiday_cut = 60 * (
            self._pre_holiday_minutes
            if self._pre_holiday_minutes is not None
            else pre_holiday_minutes(self._country)
            if self._country is not None
            else 0
        )
        schedules = [hours for hours in self._week if hours]
        self._transferred_hours = max(schedules, key=schedules.count) if schedules else ()
        self._days_by_year: dict[int, list[tuple[int, list[Interval]]]] = {}
        self._index = _EMPTY_INDEX
        self._lock = threading.Lock()

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> BusinessCalendar:
        """Build a calendar from a spec dict; raise CalendarError if it is invalid."""
        return cls(spec)

    @classmethod
    def always(cls) -> BusinessCalendar:
        """The calendar open 24 hours a day, 7 days a week, in UTC (one shared instance)."""
        return _always_open()

    def to_spec(self) -> dict[str, Any]:
        """The spec this calendar was built from, normalised; ``from_spec`` accepts it."""
        spec: dict[str, Any] = {
            "timezone": self._zone.key,
            "week": {
                day: format_hours(hours) for day, hours in zip(WEEKDAYS, self._week, strict=True)
            },
            "holidays": sorted(day.isoformat() for day in self._holidays),
            "special_days": {
                day.isoformat(): format_hours(hours)
                for day, hours in sorted(self._special_days.items())
            },
        }
        if self._country is not None:
            spec["country"] = self._country
        if self._pre_holiday_minutes is not None:
            spec["pre_holiday_minutes"] = self._pre_holiday_minutes
        if self._shortened_days:
            spec["shortened_days"] = {
                day.isoformat(): minutes for day, minutes in sorted(self._shortened_days.items())
            }
        return spec

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BusinessCalendar) and self.to_spec() == other.to_spec()

    def __hash__(self) -> int:
        return hash(repr(self))

    def __repr__(self) -> str:
        return f"BusinessCalendar.from_spec({self.to_spec()!r})"

    @property
    def zone(self) -> ZoneInfo:
        return self._zone

    def day_hours(self, day: date) -> list[list[str]]:
        """The wall-clock hours of `day` after every rule, as a spec writes them ([]: closed)."""
        return format_hours(self._hours_of(self._check_date(day)))

    def shortened_days(self, first: date, last: date) -> dict[date, int]:
        """The dates of ``[first, last]`` whose hours are shortened, with the minutes cut.

        The minutes are those actually cut (a day shorter than the shortening loses all its
        hours); dates whose hours come from ``special_days`` are never listed.
        """
        found = {}
        day, last = self._check_date(first), self._check_date(last)
        while day <= last:
            hours, cut = self._unshortened_hours_of(day)
            lost = open_seconds(hours) - open_seconds(shorten(hours, cut)) if cut else 0
            if lost:
                found[day] = lost // 60
            day += _ONE_DAY
        return found

    @staticmethod
    def _check_date(day: date) -> date:
        if not isinstance(day, date) or isinstance(day, datetime):
            raise CalendarError(f"expected a date, got {day!r}")
        if not MINYEAR < day.year < MAXYEAR:
            raise CalendarError(f"years outside {MINYEAR + 1}..{MAXYEAR - 1} are not supported")
        return day

    # Queries.  Each first tries the current index and extends it only when needed.

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``between(start, t) == duration``.

        A budget used up exactly at closing time is due at the closing instant.
        Raise ValueError for a negative duration.
        """
        fast = self._index.fast
        if fast is not None and (due := fast.add(start, duration)) is not None:
            return due
        return self._add(start, duration)

    def between(self, first: datetime, second: datetime) -> timedelta:
        """Open time in ``[first, second)``; negative if ``second`` is before ``first``."""
        fast = self._index.fast
        if fast is not None and (open_time := fast.between(first, second)) is not None:
            return open_time
        return self._between(first, second)

    def is_open(self, moment: datetime) -> bool:
        """Whether `moment` lies inside open time (closing instants are not)."""
        fast = self._index.fast
        if fast is not None and (answer := fast.is_open(moment)) is not None:
            return answer
        return self._is_open(moment)

    def next_open(self, moment: datetime) -> datetime:
        """`moment` itself if the calendar is open then, else the next opening instant."""
        fast = self._index.fast
        if fast is not None and (opening := fast.next_open(moment)) is not None:
            return opening
        return self._next_open(moment)

    # The same four in Python: every answer of the compiled module, and all the others.

    def _add(self, start: datetime, duration: timedelta) -> datetime:
        instant = _to_microseconds(start)
        amount = (duration.days * DAY_SECONDS + duration.seconds) * _SECOND + duration.microseconds
        if amount <= 0:
            if amount < 0:
                raise ValueError(f"negative duration {duration}")
            return self._to_datetime(instant)
        index = self._index
        if not index.low <= instant < index.high:
            index = self._cover(instant, instant)
        while True:
            target = _position(index, instant) + amount
            j = bisect_left(index.cum_ends, target)
            if j < len(index.cum_ends):
                due = target - index.shifts[j]
                if due < index.high:
                    return self._to_datetime(due)
            index = self._extend(index, instant)

    def _between(self, first: datetime, second: datetime) -> timedelta:
        a, b = _to_microseconds(first), _to_microseconds(second)
        index = self._index
        if not (index.low <= a < index.high and index.low <= b < index.high):
            index = self._cover(min(a, b), max(a, b))
        return timedelta(microseconds=_position(index, b) - _position(index, a))

    def _is_open(self, moment: datetime) -> bool:
        instant = _to_microseconds(moment)
        index = self._index
        if not index.low <= instant < index.high:
            index = self._cover(instant, instant)
        return instant < index.ends[bisect_right(index.starts, instant) - 1]

    def _next_open(self, moment: datetime) -> datetime:
        instant = _to_microseconds(moment)
        index = self._cover(instant, instant)
        while True:
            i = bisect_right(index.starts, instant) - 1
            if instant < index.ends[i]:
                return self._to_datetime(instant)
            if i + 1 < len(index.starts) and index.starts[i + 1] < index.high:
                return self._to_datetime(index.starts[i + 1])
            index = self._extend(index, instant)

    def cutoff_due(self, moment: datetime, cutoff: str | time = "12:00") -> datetime:
        """Same-day-or-next-day due: the close of `moment`'s local date if that date is a
        working day, `moment`'s wall-clock time is before `cutoff` and `moment` is before
        that close; otherwise the close of the first working day after that date (so a
        ticket on a non-working day is due at the close of the next working day).
        """
        instant = _to_microseconds(moment)
        local = self._to_datetime(instant)
        index = self._cover(instant, instant)
        ordinal = local.toordinal()
        k = bisect_left(index.working_ordinals, ordinal)
        if (
            k < len(index.working_ordinals)
            and index.working_ordinals[k] == ordinal
            and local.time() < parse_cutoff(cutoff)
            and instant < index.working_closes[k]
        ):
            return self._to_datetime(index.working_closes[k])
        return self._working_day_close(index, instant, ordinal, 1)

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """The close of the `days`-th working day after `moment`'s local date (`days` >= 1)."""
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        instant = _to_microseconds(moment)
        ordinal = self._to_datetime(instant).toordinal()
        return self._working_day_close(self._cover(instant, instant), instant, ordinal, days)

    def _working_day_close(self, index: _Index, instant: int, ordinal: int, nth: int) -> datetime:
        while True:
            k = bisect_right(index.working_ordinals, ordinal) + nth - 1
            if k < len(index.working_ordinals):
                return self._to_datetime(index.working_closes[k])
            index = self._extend(index, instant)

    # Conversions between instants and wall clock.

    def _to_datetime(self, instant: int) -> datetime:
        try:
            if -_FLOAT_EXACT_LIMIT < instant < _FLOAT_EXACT_LIMIT:
                return datetime.fromtimestamp(instant / _SECOND, self._zone)
            seconds, microseconds = divmod(instant, _SECOND)
            return datetime.fromtimestamp(seconds, self._zone).replace(microsecond=microseconds)
        except (OverflowError, OSError, ValueError):
            raise CalendarError("instant outside the supported range of years") from None

    def _wall_to_instant(self, day: date, seconds: int) -> int:
        day += timedelta(days=seconds // DAY_SECONDS)
        seconds %= DAY_SECONDS
        hour, minute, second = seconds // 3600, seconds // 60 % 60, seconds % 60
        wall = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=self._zone)
        return _to_microseconds(wall)

    # The index.

    def _hours_of(self, day: date) -> DayHours:
        """The wall-clock intervals of `day` after every rule (see the module docstring)."""
        hours, cut = self._unshortened_hours_of(day)
        return shorten(hours, cut) if cut and hours else hours

    def _unshortened_hours_of(self, day: date) -> tuple[DayHours, int]:
        """`day`'s intervals before shortening, and the seconds shortening is to cut."""
        special = self._special_days.get(day)
        if special is not None:
            return special, 0  # the listed hours are the day's whole hours
        if day in self._holidays:
            return (), 0
        hours = self._week[day.weekday()]
        if self._country is not None:
            country = country_days(self._country, day.year)
            if day in country.closed:
                return (), 0
            if day in country.working:
                hours = self._transferred_hours
        minutes = self._shortened_days.get(day)
        if minutes is not None:
            return hours, 60 * minutes
        if (
            self._pre_holiday_cut
            and self._country is not None
            and day in country_pre_holidays(self._country, day.year)
        ):
            return hours, self._pre_holiday_cut
        return hours, 0

    def _days_of_year(self, year: int) -> list[tuple[int, list[Interval]]]:
        """(ordinal, non-empty instant intervals) of every date of `year`; caller holds the lock."""
        days = self._days_by_year.get(year)
        if days is None:
            days = []
            day = date(year, 1, 1)
            while day.year == year:
                spans = [
                    (opening, closing)
                    for start, end in self._hours_of(day)
                    if (opening := self._wall_to_instant(day, start))
                    < (closing := self._wall_to_instant(day, end))
                ]
                days.append((day.toordinal(), spans))
                day += _ONE_DAY
            self._days_by_year[year] = days
        return days

    def _cover(self, first: int, last: int) -> _Index:
        """An index exact for the instants `first` and `last`."""
        index = self._index
        if index.low <= first < index.high and index.low <= last < index.high:
            return index
        # The exact window keeps a few days from the ends of the indexed years.
        first_day, last_day = self._to_datetime(first), self._to_datetime(last)
        first_year = first_day.year - (first_day.timetuple().tm_yday <= 5)
        last_year = last_day.year + (last_day.month == 12 and last_day.day >= 27)
        return self._build(first_year, last_year)

    def _extend(self, index: _Index, since: int) -> _Index:
        """A longer index for a search forward from `since` that ran past `index`.

        Raise CalendarError when the last ten years searched had no open time at all.
        """
        if index.high - max(since, index.ends[-1]) > _CLOSED_SEARCH_LIMIT:
            start = self._to_datetime(since).isoformat()
            raise CalendarError(f"no open time within ten years searching from {start}")
        since_year = self._to_datetime(since).year
        return self._build(index.first_year, index.last_year + max(1, index.last_year - since_year))

    def _build(self, first_year: int, last_year: int) -> _Index:
        with self._lock:
            current = self._index
            # Join the current years unless the request is far from them: one query about
            # a distant year should not index every year in between.
            if (
                current.first_year <= current.last_year
                and first_year <= current.last_year + 10
                and last_year >= current.first_year - 10
            ):
                first_year = min(first_year, current.first_year)
                last_year = max(last_year, current.last_year)
                if (first_year, last_year) == (current.first_year, current.last_year):
                    return current
            if first_year <= MINYEAR or last_year >= MAXYEAR:
                raise CalendarError(f"years outside {MINYEAR + 1}..{MAXYEAR - 1} are not supported")
            days = [
                day for year in range(first_year, last_year + 1) for day in self._days_of_year(year)
            ]
            index = self._merge(first_year, last_year, days)
            self._index = index
            return index

    def _merge(
        self, first_year: int, last_year: int, days: Iterable[tuple[int, list[Interval]]]
    ) -> _Index:
        starts, ends = [_BEFORE_EVERYTHING], [_BEFORE_EVERYTHING]
        ordinals: list[int] = []  # of the working days
        closes: list[int] = []  # of the working days
        spans: list[Interval] = []
        for ordinal, day_spans in days:
            if day_spans:
                ordinals.append(ordinal)
                closes.append(max(closing for _, closing in day_spans))
                spans.extend(day_spans)
        for opening, closing in sorted(spans):
            if opening <= ends[-1]:  # overlapping or touching: one open period
                ends[-1] = max(ends[-1], closing)
            else:
                starts.append(opening)
                ends.append(closing)
        shifts: list[int] = []
        cum_ends: list[int] = []
        total = 0
        for opening, closing in zip(starts, ends, strict=True):
            shifts.append(total - opening)
            total += closing - opening
            cum_ends.append(total)
        low = self._wall_to_instant(date(first_year, 1, 4), 0)
        high = self._wall_to_instant(date(last_year, 12, 30), 0)
        fast = (
            None
            if FastIndex is None
            else FastIndex(self._zone, low, high, starts, ends, shifts, cum_ends)
        )
        return _Index(
            first_year, last_year, low, high, starts, ends, shifts, cum_ends, ordinals, closes, fast
        )


@cache
def _always_open() -> BusinessCalendar:
    return BusinessCalendar(
        {"timezone": "UTC", "week": dict.fromkeys(WEEKDAYS, (("00:00", "24:00"),))}
    )
