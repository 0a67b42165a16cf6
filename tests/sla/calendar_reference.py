"""A brute-force reference for the SLA business calendar.

It reads the same spec as ``sladesk.sla.calendar.BusinessCalendar`` but shares no code
with it: it works with aware datetimes and timedeltas, walks the calendar date by date
and builds no index, so it is slow and easy to check by eye.  Tests compare the engine
against it; the benchmark times it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ONE_DAY = timedelta(days=1)
SEARCH_DAYS = 3660  # give up after this many dates without an answer

# One wall-clock interval: start time, and end as (days after the date, time).
Hours = list[tuple[time, int, time]]
Period = tuple[datetime, datetime]  # UTC


class NoAnswerError(Exception):
    """The reference searched SEARCH_DAYS dates without finding the answer."""


def parse_hours(pairs: list[list[str]]) -> Hours:
    hours = []
    for start_text, end_text in pairs:
        start = time.fromisoformat(start_text)
        if end_text == "24:00":
            hours.append((start, 1, time(0)))
        else:
            end = time.fromisoformat(end_text)
            hours.append((start, 0 if end > start else 1, end))
    return sorted(hours)


# The public holidays of the Russian Labour Code art. 112 (month, day); a working day before
# one is an hour shorter (art. 95), and so is a transferred working Saturday before one
# when only days off lie between them.
RU_HOLIDAYS = {(1, day) for day in range(1, 9)}
RU_HOLIDAYS |= {(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)}
PRE_HOLIDAY_MINUTES = {"RU": 60}


@cache
def country_calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=range(year - 1, year + 2))


def is_pre_holiday(country: str, day: date) -> bool:
    known = country_calendar(country, day.year)
    if country != "RU" or not known.is_working_day(day):
        return False
    following = day + ONE_DAY
    if day.weekday() < 5:
        return (following.month, following.day) in RU_HOLIDAYS
    while not country_calendar(country, following.year).is_working_day(following):
        if (following.month, following.day) in RU_HOLIDAYS:
            return True
        following += ONE_DAY
    return False


def cut_from_end(hours: Hours, minutes: int) -> Hours:
    """The hours without their last `minutes` of open time (wall-clock seconds)."""
    spans: list[list[int]] = []
    for start, end_days, end in hours:
        begin = start.hour * 3600 + start.minute * 60 + start.second
        finish = end_days * 86_400 + end.hour * 3600 + end.minute * 60 + end.second
        if spans and begin <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], finish)
        else:
            spans.append([begin, finish])
    left = minutes * 60
    for span in reversed(spans):
        cut = min(left, span[1] - span[0])
        span[1] -= cut
        left -= cut

    def clock(seconds: int) -> time:
        return time(seconds // 3600, seconds // 60 % 60, seconds % 60)

    return [
        (clock(begin), finish // 86_400, clock(finish % 86_400))
        for begin, finish in spans
        if finish > begin
    ]


def merge(periods: list[Period]) -> list[Period]:
    merged: list[Period] = []
    for start, end in sorted(periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class ReferenceCalendar:
    def __init__(self, spec: dict[str, Any]) -> None:
        self.zone = ZoneInfo(spec["timezone"])
        self.week = [parse_hours(spec["week"].get(day, [])) for day in DAYS]
        self.holidays = {date.fromisoformat(day) for day in spec.get("holidays", [])}
        self.special_days = {
            date.fromisoformat(day): parse_hours(pairs)
            for day, pairs in spec.get("special_days", {}).items()
        }
        self.country = spec.get("country")
        self.shortened_days = {
            date.fromisoformat(day): minutes
            for day, minutes in spec.get("shortened_days", {}).items()
        }
        self.pre_holiday_minutes = spec.get("pre_holiday_minutes")
        if self.pre_holiday_minutes is None:
            self.pre_holiday_minutes = PRE_HOLIDAY_MINUTES.get(self.country or "", 0)
        worked = [hours for hours in self.week if hours]
        self.transferred_hours = max(worked, key=worked.count) if worked else []

    def hours_of(self, day: date) -> Hours:
        if day in self.special_days:
            return self.special_days[day]
        if day in self.holidays:
            return []
        hours = self.week[day.weekday()]
        if self.country:
            known = country_calendar(self.country, day.year)
            if day in known:
                return []
            if day in known.weekend_workdays:
                hours = self.transferred_hours
        if day in self.shortened_days:
            return cut_from_end(hours, self.shortened_days[day])
        if self.country and self.pre_holiday_minutes and is_pre_holiday(self.country, day):
            return cut_from_end(hours, self.pre_holiday_minutes)
        return hours

    def periods_of(self, day: date) -> list[Period]:
        """The date's own intervals as UTC instants, empty ones dropped."""
        periods = []
        for start, end_days, end in self.hours_of(day):
            opening = datetime.combine(day, start, tzinfo=self.zone).astimezone(UTC)
            closing = datetime.combine(day + end_days * ONE_DAY, end, tzinfo=self.zone)
            if closing.astimezone(UTC) > opening:
                periods.append((opening, closing.astimezone(UTC)))
        return periods

    def open_periods(self, first: date, last: date) -> list[Period]:
        periods = []
        day = first
        while day <= last:
            periods += self.periods_of(day)
            day += ONE_DAY
        return merge(periods)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone).astimezone(UTC)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        if duration < timedelta(0):
            raise ValueError(duration)
        start = start.astimezone(UTC)
        if not duration:
            return start.astimezone(self.zone)
        first = self.local_date(start) - 3 * ONE_DAY
        days = 16
        while days <= SEARCH_DAYS * 2:
            # Periods are complete only up to a day before the last date looked at.
            limit = self.midnight(first + (days - 1) * ONE_DAY)
            remaining = duration
            for opening, closing in self.open_periods(first, first + days * ONE_DAY):
                if closing <= start:
                    continue
                begin = max(opening, start)
                if remaining <= closing - begin:
                    due = begin + remaining
                    if due < limit:
                        return due.astimezone(self.zone)
                    break
                remaining -= closing - begin
            days *= 2
        raise NoAnswerError

    def between(self, first: datetime, second: datetime) -> timedelta:
        if second < first:
            return -self.between(second, first)
        periods = self.open_periods(
            self.local_date(first) - 3 * ONE_DAY, self.local_date(second) + ONE_DAY
        )
        total = timedelta(0)
        for opening, closing in periods:
            overlap = min(closing, second) - max(opening, first)
            total += max(overlap, timedelta(0))
        return total

    def is_open(self, moment: datetime) -> bool:
        day = self.local_date(moment)
        periods = self.open_periods(day - 3 * ONE_DAY, day + ONE_DAY)
        return any(opening <= moment < closing for opening, closing in periods)

    def next_open(self, moment: datetime) -> datetime:
        first = self.local_date(moment) - 3 * ONE_DAY
        days = 16
        while days <= SEARCH_DAYS * 2:
            limit = self.midnight(first + (days - 1) * ONE_DAY)
            for opening, closing in self.open_periods(first, first + days * ONE_DAY):
                if moment < closing:
                    answer = max(opening, moment)
                    if answer < limit:
                        return answer.astimezone(self.zone)
                    break
            days *= 2
        raise NoAnswerError

    def close_of(self, day: date) -> datetime | None:
        periods = self.periods_of(day)
        return max(closing for _, closing in periods).astimezone(self.zone) if periods else None

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        day = self.local_date(moment)
        for _ in range(SEARCH_DAYS):
            day += ONE_DAY
            close = self.close_of(day)
            if close is not None:
                days -= 1
                if days == 0:
                    return close
        raise NoAnswerError

    def cutoff_due(self, moment: datetime, cutoff: str = "12:00") -> datetime:
        local = moment.astimezone(self.zone)
        close = self.close_of(local.date())
        if close is not None and local.time() < time.fromisoformat(cutoff) and moment < close:
            return close
        return self.add_working_days(moment, 1)
