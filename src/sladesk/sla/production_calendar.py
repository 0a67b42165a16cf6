"""Countries' production calendars: public holidays, transfers and pre-holiday days.

A business calendar that names a ``country`` closes the country's public holidays, opens
the weekend days the country works instead, and shortens the working day before a
holiday by the country's amount in :data:`PRE_HOLIDAY_MINUTES`.  The dates come from the
:mod:`holidays` package (imported only when a country is asked about: it is heavy); the
pre-holiday days are derived from them as :func:`country_pre_holidays` describes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

# By how many minutes a country's law shortens the working day before a public holiday;
# a country not listed has no such rule (0).  RU: Labour Code art. 95, one hour.
PRE_HOLIDAY_MINUTES: Mapping[str, int] = {"RU": 60}

_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CountryYear:
    """One year of a country's production calendar, as the :mod:`holidays` package has it."""

    closed: frozenset[date]  # public holidays and the days off transferred to weekdays
    working: frozenset[date]  # weekend days worked instead (transferred working Saturdays)
    proper: frozenset[date]  # the public holidays themselves, without transfers
    weekend: frozenset[int]  # weekday numbers of the normal weekend

    def is_working(self, day: date) -> bool:
        """Whether `day` is a working day of the country's five-day (normal) week."""
        if day in self.closed:
            return False
        return day.weekday() not in self.weekend or day in self.working


def is_supported_country(country: object) -> bool:
    """Whether the holidays package knows `country` (a code such as "RU" or "RUS")."""
    import holidays  # a heavy import, needed only by calendars that name a country

    return isinstance(country, str) and country in holidays.list_supported_countries()


@lru_cache(maxsize=256)
def country_days(country: str, year: int) -> CountryYear:
    """Public holidays, transfers and the weekend of `country` in `year`."""
    import holidays  # a heavy import, needed only by calendars that name a country

    # A transfer is listed under the year of either of its dates, so neighbours are loaded.
    years = range(year - 1, year + 2)
    known = holidays.country_holidays(country, years=years)
    # Without observed days (a holiday on a Sunday observed on Monday) the package still
    # lists the days off a decree transferred, named by its substituted label; what is
    # left are the holidays proper (for RU the Labour Code art. 112 dates).
    as_decreed = holidays.country_holidays(country, years=years, observed=False)
    label = getattr(as_decreed, "substituted_label", None)
    transfer = (
        re.compile(".+".join(re.escape(part) for part in as_decreed.tr(label).split("%s")))
        if label
        else None
    )
    proper = frozenset(
        day
        for day in as_decreed
        if day.year == year
        and (
            transfer is None
            or not all(transfer.fullmatch(name) for name in as_decreed.get_list(day))
        )
    )
    return CountryYear(
        closed=frozenset(day for day in known if day.year == year),
        working=frozenset(day for day in known.weekend_workdays if day.year == year),
        proper=proper,
        weekend=frozenset(known.weekend),
    )


@lru_cache(maxsize=256)
def country_pre_holidays(country: str, year: int) -> frozenset[date]:
    """The working days of `country` in `year` that the pre-holiday rule shortens.

    As the published Russian production calendars apply Labour Code art. 95: a working day
    is shortened when the next calendar day is a public holiday proper (not a day off a
    decree transferred: 30 December 2026 before the transferred 31 December is a full day),
    or when it is a transferred working weekend day and only non-working days lie between
    it and the next holiday proper (Saturday 28 December 2024 before 30, 31 December and
    1 January).  A normal Friday before a weekend and a Monday holiday is a full day
    (Friday 20 February 2026), as the calendars have it.
    """
    shortened = set()
    this_year, next_year = country_days(country, year), country_days(country, year + 1)

    def of(day: date) -> CountryYear:
        return this_year if day.year == year else next_year

    day = date(year, 1, 1)
    while day.year == year:
        if this_year.is_working(day):
            following = day + _ONE_DAY
            if following in of(following).proper:
                shortened.add(day)
            elif day in this_year.working:
                # Bounded: a run of non-working days is shorter than a month.
                for _ in range(31):
                    if following in of(following).proper:
                        shortened.add(day)
                        break
                    if of(following).is_working(following):
                        break
                    following += _ONE_DAY
        day += _ONE_DAY
    return frozenset(shortened)


@lru_cache(maxsize=64)
def country_code(country: str) -> str:
    """The code the holidays package files `country` under ("RUS" is "RU")."""
    import holidays  # a heavy import, needed only by calendars that name a country

    return str(holidays.country_holidays(country, years=[]).country)


def pre_holiday_minutes(country: str) -> int:
    """The minutes `country`'s law cuts from a pre-holiday working day (0: no such rule)."""
    return PRE_HOLIDAY_MINUTES.get(country_code(country), 0)
