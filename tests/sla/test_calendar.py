"""The SLA business-calendar engine: named cases from the domain, edge cases and errors."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from sladesk.sla.calendar import (
    BusinessCalendar,
    CalendarError,
    NaiveDatetimeError,
)
from tests.sla.calendar_engines import calendar_engine  # noqa: F401  # used by pytestmark

pytestmark = pytest.mark.usefixtures("calendar_engine")

MOSCOW = ZoneInfo("Europe/Moscow")
PRAGUE = ZoneInfo("Europe/Prague")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKWEEK = ("mon", "tue", "wed", "thu", "fri")
MICROSECOND = timedelta(microseconds=1)


def moscow_office() -> BusinessCalendar:
    """Moscow, 10:00-19:00 Monday to Friday, Russian public holidays and transfers."""
    week = {day: [["10:00", "19:00"]] if day in WORKWEEK else [] for day in WEEKDAYS}
    return BusinessCalendar.from_spec({"timezone": "Europe/Moscow", "week": week, "country": "RU"})


def every_day(zone: str, *hours: tuple[str, str]) -> BusinessCalendar:
    return BusinessCalendar.from_spec(
        {"timezone": zone, "week": {day: [list(pair) for pair in hours] for day in WEEKDAYS}}
    )


def moscow(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def prague(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PRAGUE)


# Named cases from the domain.


def test_friday_before_cutoff_is_due_the_same_evening() -> None:
    assert moscow_office().cutoff_due(moscow(2026, 11, 6, 11, 30)) == moscow(2026, 11, 6, 19)


def test_friday_after_cutoff_is_due_next_working_day() -> None:
    assert moscow_office().cutoff_due(moscow(2026, 11, 6, 12, 30)) == moscow(2026, 11, 9, 19)


def test_cutoff_can_be_given_as_a_time_of_day() -> None:
    calendar = moscow_office()
    assert calendar.cutoff_due(moscow(2026, 11, 6, 12, 30), time(13)) == moscow(2026, 11, 6, 19)
    assert calendar.cutoff_due(moscow(2026, 11, 6, 12, 30), "12:30") == moscow(2026, 11, 9, 19)


def test_ticket_on_a_non_working_day_is_due_at_the_close_of_the_next_working_day() -> None:
    calendar = moscow_office()
    assert calendar.cutoff_due(moscow(2026, 11, 7, 9, 0)) == moscow(2026, 11, 9, 19)
    # Unity Day, Wednesday 4 November 2026, is a public holiday.
    assert calendar.cutoff_due(moscow(2026, 11, 4, 9, 0)) == moscow(2026, 11, 5, 19)


def test_ticket_after_the_days_close_is_not_due_in_the_past() -> None:
    calendar = every_day("Europe/Moscow", ("06:00", "10:00"))
    assert calendar.cutoff_due(moscow(2026, 11, 6, 11, 0)) == moscow(2026, 11, 7, 10)


def test_new_year_eve_ticket_is_due_on_the_first_working_day_of_january() -> None:
    known = holidays.country_holidays("RU", years=[2026, 2027])
    first_working = date(2027, 1, 1)
    while not known.is_working_day(first_working):
        first_working += timedelta(days=1)
    # 31 December 2026 is a day off (transferred from 4 January), 1-8 January are
    # holidays and 9-10 January a weekend.
    assert first_working == date(2027, 1, 11)
    due = moscow_office().cutoff_due(moscow(2026, 12, 31, 12, 30))
    assert due == datetime.combine(first_working, time(19), tzinfo=MOSCOW)


def test_new_year_holidays_are_closed_time() -> None:
    calendar = moscow_office()
    assert calendar.between(moscow(2026, 12, 30, 18), moscow(2027, 1, 11, 11)) == timedelta(hours=2)
    assert calendar.add(moscow(2026, 12, 30, 18), timedelta(hours=2)) == moscow(2027, 1, 11, 11)


def test_transferred_working_saturday_works_the_weekday_hours() -> None:
    calendar = moscow_office()
    # Saturday 20 February 2027 is worked instead of Monday 22 February; it is the last
    # working day before the 23 February holiday, so an hour shorter (Labour Code art. 95).
    assert calendar.is_open(moscow(2027, 2, 20, 12))
    assert not calendar.is_open(moscow(2027, 2, 22, 12))
    assert calendar.add_working_days(moscow(2027, 2, 19, 15), 1) == moscow(2027, 2, 20, 18)
    assert calendar.add_working_days(moscow(2027, 2, 19, 15), 2) == moscow(2027, 2, 24, 19)


def test_spec_days_override_the_country_rules() -> None:
    spec = moscow_office().to_spec()
    spec["holidays"] = ["2027-02-20"]
    spec["special_days"] = {"2027-02-22": [["10:00", "18:00"]], "2026-11-03": [["10:00", "18:00"]]}
    calendar = BusinessCalendar.from_spec(spec)
    assert not calendar.is_open(moscow(2027, 2, 20, 12))
    assert calendar.between(moscow(2027, 2, 22), moscow(2027, 2, 23)) == timedelta(hours=8)
    assert calendar.cutoff_due(moscow(2026, 11, 3, 11)) == moscow(2026, 11, 3, 18)


def test_a_budget_used_up_at_closing_is_due_at_closing() -> None:
    calendar = moscow_office()
    assert calendar.add(moscow(2026, 11, 5, 10), timedelta(hours=9)) == moscow(2026, 11, 5, 19)
    due = calendar.add(moscow(2026, 11, 5, 10), timedelta(hours=9, microseconds=1))
    assert due == moscow(2026, 11, 6, 10) + MICROSECOND


def test_adding_nothing_returns_the_start_in_the_calendar_zone() -> None:
    start = datetime(2026, 11, 7, 3, 4, 5, 678901, tzinfo=UTC)
    due = moscow_office().add(start, timedelta(0))
    assert due == start
    assert due.tzinfo is MOSCOW


def test_negative_durations_are_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        moscow_office().add(moscow(2026, 11, 5, 10), -MICROSECOND)


def test_between_is_negative_when_the_end_comes_first() -> None:
    calendar = moscow_office()
    assert calendar.between(moscow(2026, 11, 6, 12), moscow(2026, 11, 5, 12)) == -timedelta(hours=9)


def test_prague_spring_forward_day_is_an_hour_short() -> None:
    calendar = every_day("Europe/Prague", ("00:00", "24:00"))
    assert calendar.between(prague(2026, 3, 29), prague(2026, 3, 30)) == timedelta(hours=23)
    assert calendar.add(prague(2026, 3, 29), timedelta(hours=24)) == prague(2026, 3, 30, 1)


def test_prague_fall_back_day_is_an_hour_long() -> None:
    calendar = every_day("Europe/Prague", ("00:00", "24:00"))
    assert calendar.between(prague(2026, 10, 25), prague(2026, 10, 26)) == timedelta(hours=25)
    due = calendar.add(prague(2026, 10, 25), timedelta(hours=2, minutes=30))
    assert (due.hour, due.minute, due.fold) == (2, 30, 0)
    due = calendar.add(prague(2026, 10, 25), timedelta(hours=3, minutes=30))
    assert (due.hour, due.minute, due.fold) == (2, 30, 1)


def test_prague_night_shift_across_both_switches() -> None:
    calendar = every_day("Europe/Prague", ("22:00", "06:00"))
    assert calendar.between(prague(2026, 3, 28, 12), prague(2026, 3, 29, 12)) == timedelta(hours=7)
    assert calendar.between(prague(2026, 10, 24, 12), prague(2026, 10, 25, 12)) == timedelta(
        hours=9
    )
    assert calendar.add(prague(2026, 3, 28, 22), timedelta(hours=7)) == prague(2026, 3, 29, 6)


def test_an_interval_that_ends_where_it_starts_lasts_a_whole_day() -> None:
    calendar = BusinessCalendar.from_spec(
        {"timezone": "Europe/Moscow", "week": {"mon": [["10:00", "10:00"]]}}
    )
    assert calendar.between(moscow(2026, 11, 2), moscow(2026, 11, 9)) == timedelta(hours=24)
    assert calendar.is_open(moscow(2026, 11, 3, 9, 59))
    assert calendar.add_working_days(moscow(2026, 11, 1), 1) == moscow(2026, 11, 3, 10)


def test_wall_times_in_the_spring_gap_resolve_like_zoneinfo_fold_zero() -> None:
    # 02:00-03:00 does not exist on 29 March 2026 in Prague; with fold=0 a time in the
    # gap takes the winter offset, so 02:30 is the instant 03:30 summer time.
    calendar = every_day("Europe/Prague", ("02:00", "02:30"))
    assert calendar.between(prague(2026, 3, 29), prague(2026, 3, 30)) == timedelta(minutes=30)
    assert calendar.next_open(prague(2026, 3, 29)) == prague(2026, 3, 29, 3)
    inverted = every_day("Europe/Prague", ("02:30", "03:00"))  # ends before it starts
    assert inverted.between(prague(2026, 3, 29), prague(2026, 3, 30)) == timedelta(0)
    assert inverted.add_working_days(prague(2026, 3, 28, 1), 1) == prague(2026, 3, 30, 3)


def test_lord_howe_half_hour_switch_shortens_the_day_by_half_an_hour() -> None:
    calendar = every_day("Australia/Lord_Howe", ("00:00", "24:00"))
    zone = ZoneInfo("Australia/Lord_Howe")
    day = datetime(2026, 10, 4, tzinfo=zone)
    assert calendar.between(day, day + timedelta(days=1)) == timedelta(hours=23, minutes=30)


def test_always_open_calendar_is_plain_arithmetic() -> None:
    calendar = BusinessCalendar.always()
    start = datetime(2026, 3, 29, 0, 59, 59, 999999, tzinfo=PRAGUE)
    # Aware arithmetic in Prague is wall-clock arithmetic, so add elapsed time in UTC.
    elapsed = timedelta(days=400, microseconds=3)
    assert calendar.add(start, elapsed) == start.astimezone(UTC) + elapsed
    assert calendar.between(start, start.astimezone(UTC) + elapsed) == elapsed
    assert calendar.is_open(start)
    assert calendar.next_open(start) == start
    # 00:59 in Prague is 23:59 UTC on the 28th, after the cut-off: due at the end of the 29th.
    assert calendar.cutoff_due(start) == datetime(2026, 3, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1903, 5, 6, 7, 8, 9, 999999, tzinfo=UTC),
        datetime(2150, 7, 1, 23, 59, 59, 1, tzinfo=UTC),
        datetime(2500, 1, 1, 0, 0, 0, 500000, tzinfo=UTC),
    ],
)
def test_instants_far_from_now_keep_their_microseconds(moment: datetime) -> None:
    calendar = every_day("Europe/Prague", ("00:00", "24:00"))
    assert calendar.add(moment, timedelta(days=1, microseconds=7)) == moment + timedelta(
        days=1, microseconds=7
    )


def test_naive_datetimes_are_rejected_by_every_method() -> None:
    calendar = moscow_office()
    naive = datetime(2026, 11, 6, 12)  # noqa: DTZ001  # naive on purpose
    aware = moscow(2026, 11, 6, 12)
    calls = [
        lambda: calendar.add(naive, timedelta(hours=1)),
        lambda: calendar.between(aware, naive),
        lambda: calendar.is_open(naive),
        lambda: calendar.next_open(naive),
        lambda: calendar.cutoff_due(naive),
        lambda: calendar.add_working_days(naive, 1),
    ]
    for call in calls:
        with pytest.raises(NaiveDatetimeError, match="naive"):
            call()
    assert issubclass(NaiveDatetimeError, CalendarError)
    assert issubclass(CalendarError, ValueError)


def test_a_calendar_that_is_never_open_is_rejected() -> None:
    with pytest.raises(CalendarError, match="never open"):
        BusinessCalendar.from_spec({"timezone": "UTC", "week": {"mon": []}, "special_days": {}})


def test_a_calendar_open_only_in_the_past_fails_searches_instead_of_hanging() -> None:
    calendar = BusinessCalendar.from_spec(
        {"timezone": "UTC", "week": {}, "special_days": {"2020-01-10": [["10:00", "12:00"]]}}
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    searches = [
        lambda: calendar.add(start, timedelta(hours=1)),
        lambda: calendar.next_open(start),
        lambda: calendar.cutoff_due(start),
        lambda: calendar.add_working_days(start, 1),
    ]
    for search in searches:
        with pytest.raises(CalendarError, match="no open time"):
            search()
    assert calendar.add(datetime(2020, 1, 1, tzinfo=UTC), timedelta(hours=1)) == datetime(
        2020, 1, 10, 11, tzinfo=UTC
    )
    assert calendar.between(datetime(2019, 1, 1, tzinfo=UTC), start) == timedelta(hours=2)


def test_instants_beyond_the_supported_years_are_a_calendar_error() -> None:
    with pytest.raises(CalendarError, match="not supported"):
        moscow_office().add(datetime(9999, 12, 20, tzinfo=UTC), timedelta(hours=1))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"timezone": "Mars/Olympus", "week": {"mon": [["10:00", "19:00"]]}}, "time zone"),
        ({"timezone": "UTC", "week": {"monday": [["10:00", "19:00"]]}}, "week"),
        ({"timezone": "UTC", "week": {"mon": [["10:00", "19:60"]]}}, "bad time"),
        ({"timezone": "UTC", "week": {"mon": [["24:00", "19:00"]]}}, "24:00"),
        ({"timezone": "UTC", "week": {"mon": [["10:00"]]}}, "pair"),
        ({"timezone": "UTC", "week": {"mon": [["9:00", "19:00"]]}}, "bad time"),
        ({"timezone": "UTC", "week": {"mon": [["10:00", "19:00"]]}, "country": "XX"}, "country"),
        ({"timezone": "UTC", "week": {"mon": [["10:00", "19:00"]]}, "holidays": ["soon"]}, "date"),
        ({"timezone": "UTC", "week": {"mon": [["10:00", "19:00"]]}, "weekend": []}, "keys"),
        (
            {
                "timezone": "UTC",
                "week": {"mon": [["10:00", "19:00"]]},
                "holidays": ["2026-01-05"],
                "special_days": {"2026-01-05": []},
            },
            "both",
        ),
    ],
)
def test_invalid_specs_are_rejected_with_a_clear_error(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.from_spec(spec)


def test_to_spec_round_trips_through_from_spec() -> None:
    spec = {
        "timezone": "Europe/Prague",
        "week": {"mon": [["22:00", "06:00"], ["10:00", "12:00:30"]], "sun": [["00:00", "24:00"]]},
        "holidays": ["2026-12-24"],
        "special_days": {"2026-12-31": [["10:00", "14:00"]], "2026-12-26": []},
        "country": "RU",
    }
    calendar = BusinessCalendar.from_spec(spec)
    normalised = calendar.to_spec()
    assert normalised["week"]["mon"] == [["10:00", "12:00:30"], ["22:00", "06:00"]]
    assert normalised["week"]["sun"] == [["00:00", "24:00"]]
    assert normalised["week"]["tue"] == []
    assert BusinessCalendar.from_spec(normalised) == calendar
    assert BusinessCalendar.from_spec(normalised).to_spec() == normalised
    assert BusinessCalendar.always().to_spec()["week"]["fri"] == [["00:00", "24:00"]]


def test_sharing_a_calendar_between_threads_gives_the_same_answers() -> None:
    starts = [moscow(year, month, 3, 11) for year in range(2024, 2031) for month in (1, 6, 12)]
    expected = [moscow_office().add(start, timedelta(hours=100)) for start in starts]
    shared = moscow_office()
    results: dict[int, list[datetime]] = {}

    def work(worker: int) -> None:
        results[worker] = [shared.add(start, timedelta(hours=100)) for start in starts[worker:]]

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker, answers in results.items():
        assert answers == expected[worker:]
