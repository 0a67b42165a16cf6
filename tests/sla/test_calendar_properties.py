"""Properties of the SLA calendar engine on random calendars, checked against a reference.

Calendars mix zones with DST (and half-hour offsets), split and night intervals, 24:00 ends,
holidays, special days and Russian public holidays; instants cluster around DST switches.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sladesk.sla.calendar import BusinessCalendar
from tests.sla.calendar_engines import calendar_engine  # noqa: F401  # used by pytestmark

sys.path.insert(0, str(Path(__file__).parent))
from calendar_reference import ReferenceCalendar

pytestmark = pytest.mark.usefixtures("calendar_engine")

ZONES = (
    "Europe/Prague",
    "America/New_York",
    "Europe/Moscow",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "UTC",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FIRST_INSTANT = datetime(2025, 12, 1, tzinfo=UTC)
LAST_INSTANT = datetime(2028, 1, 1, tzinfo=UTC)
SECOND = 1_000_000  # microseconds

# Derandomized and without a database, so every run (and CI) checks the same examples.
PROPERTIES = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def utc_offset_changes(zone_name: str) -> list[datetime]:
    """The UTC hours in the tested range in which the zone's offset changes."""
    zone = ZoneInfo(zone_name)
    changes = []
    moment = FIRST_INSTANT
    while moment < LAST_INSTANT:
        following = moment + timedelta(hours=1)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            changes.append(moment)
        moment = following
    return changes


DST_SWITCHES = {zone: utc_offset_changes(zone) for zone in ZONES}
NEW_YEARS = {
    zone: [datetime(year, 1, 1, tzinfo=ZoneInfo(zone)).astimezone(UTC) for year in (2026, 2027)]
    for zone in ZONES
}

clock_times = st.one_of(
    st.sampled_from(
        [
            *("00:00", "01:30", "02:00", "02:15", "02:30", "03:00", "09:00", "10:00", "12:00"),
            *("19:00", "22:00", "23:30", "23:59:59"),
        ]
    ),
    st.integers(0, 86_399).map(lambda s: f"{s // 3600:02}:{s // 60 % 60:02}:{s % 60:02}"),
)
intervals = st.tuples(clock_times, st.one_of(clock_times, st.just("24:00"))).map(list)
day_hours = st.lists(intervals, max_size=2)
dates = st.dates(date(2025, 12, 1), date(2027, 12, 31)).map(date.isoformat)


@st.composite
def calendar_specs(draw: st.DrawFn) -> dict[str, Any]:
    week = draw(
        st.fixed_dictionaries(dict.fromkeys(WEEKDAYS, day_hours)).filter(
            lambda week: any(week.values())
        )
    )
    closed = draw(st.lists(dates, max_size=6, unique=True))
    special = draw(st.dictionaries(dates, day_hours, max_size=4))
    spec = {
        "timezone": draw(st.sampled_from(ZONES)),
        "week": week,
        "holidays": closed,
        "special_days": {day: hours for day, hours in special.items() if day not in closed},
    }
    if draw(st.integers(0, 3)) == 0:
        spec["country"] = "RU"
    return spec


def calendars(spec: dict[str, Any]) -> tuple[BusinessCalendar, ReferenceCalendar]:
    return BusinessCalendar.from_spec(spec), ReferenceCalendar(spec)


def instants(zone_name: str) -> st.SearchStrategy[datetime]:
    """Instants in 2026-2027, half of them within three days of a DST switch or of a local
    new year (where the engine's yearly index blocks meet), some on whole minutes (to land
    on interval ends), expressed in any of the test zones."""
    near_switch = st.builds(
        lambda switch, offset: switch + timedelta(microseconds=offset),
        st.sampled_from(DST_SWITCHES[zone_name] + NEW_YEARS[zone_name]),
        st.integers(-3 * 86_400 * SECOND, 3 * 86_400 * SECOND),
    )
    anywhere = st.builds(
        lambda offset: FIRST_INSTANT + timedelta(microseconds=offset),
        st.integers(0, (LAST_INSTANT - FIRST_INSTANT).days * 86_400 * SECOND),
    )
    return st.builds(
        lambda moment, step, zone: (moment - (moment - FIRST_INSTANT) % step).astimezone(
            ZoneInfo(zone)
        ),
        st.one_of(near_switch, anywhere),
        st.sampled_from([timedelta(microseconds=1), timedelta(minutes=1), timedelta(minutes=30)]),
        st.sampled_from(ZONES),
    )


def durations(spec: dict[str, Any]) -> st.SearchStrategy[timedelta]:
    """From one second to sixty of the calendar's average working days."""
    wall_seconds = []
    for hours in spec["week"].values():
        for start, end in hours:
            opening = time.fromisoformat(start)
            closing = time(0) if end == "24:00" else time.fromisoformat(end)
            length = (
                datetime.combine(date.min, closing) - datetime.combine(date.min, opening)
            ).total_seconds() % 86_400 or 86_400
            wall_seconds.append(length)
    working_days = sum(1 for hours in spec["week"].values() if hours)
    limit = int(60 * sum(wall_seconds) / working_days) * SECOND
    return st.builds(
        lambda amount, step: timedelta(microseconds=max(amount // step * step, SECOND)),
        st.integers(SECOND, limit),
        st.sampled_from([1, SECOND, 60 * SECOND, 3600 * SECOND]),
    )


@PROPERTIES
@given(data=st.data())
def test_add_agrees_with_the_reference(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine, reference = calendars(spec)
    for _ in range(4):
        start = data.draw(instants(spec["timezone"]))
        duration = data.draw(durations(spec))
        due = engine.add(start, duration)
        assert due == reference.add(start, duration)
        assert due.tzinfo == ZoneInfo(spec["timezone"])


@PROPERTIES
@given(data=st.data())
def test_between_agrees_with_the_reference(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine, reference = calendars(spec)
    for _ in range(4):
        first = data.draw(instants(spec["timezone"]))
        second = data.draw(instants(spec["timezone"]))
        assert engine.between(first, second) == reference.between(first, second)


@PROPERTIES
@given(data=st.data())
def test_is_open_and_next_open_agree_with_the_reference(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine, reference = calendars(spec)
    for _ in range(6):
        moment = data.draw(instants(spec["timezone"]))
        assert engine.is_open(moment) == reference.is_open(moment)
        assert engine.next_open(moment) == reference.next_open(moment)


@PROPERTIES
@given(data=st.data())
def test_cutoff_due_and_working_days_agree_with_the_reference(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine, reference = calendars(spec)
    for _ in range(4):
        moment = data.draw(instants(spec["timezone"]))
        cutoff = data.draw(st.sampled_from(["09:00", "12:00", "15:30", "23:00"]))
        days = data.draw(st.integers(1, 60))
        assert engine.cutoff_due(moment, cutoff) == reference.cutoff_due(moment, cutoff)
        assert engine.add_working_days(moment, days) == reference.add_working_days(moment, days)


@PROPERTIES
@given(data=st.data())
def test_between_measures_exactly_what_add_spent(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine = BusinessCalendar.from_spec(spec)
    for _ in range(10):
        start = data.draw(instants(spec["timezone"]))
        duration = data.draw(durations(spec))
        assert engine.between(start, engine.add(start, duration)) == duration


@PROPERTIES
@given(data=st.data())
def test_adding_twice_equals_adding_the_sum(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine = BusinessCalendar.from_spec(spec)
    for _ in range(10):
        start = data.draw(instants(spec["timezone"]))
        first, second = data.draw(durations(spec)), data.draw(durations(spec))
        assert engine.add(engine.add(start, first), second) == engine.add(start, first + second)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@PROPERTIES
@given(data=st.data())
def test_add_is_monotonic_in_start_and_duration(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine = BusinessCalendar.from_spec(spec)
    # Instants compared in UTC: Python orders two datetimes of one zone by their wall time,
    # so 02:00:01 before a clock goes back sorts after 02:00 once it has gone back.
    for _ in range(10):
        early, late = sorted((data.draw(instants(spec["timezone"])) for _ in range(2)), key=utc)
        short, long = sorted(data.draw(durations(spec)) for _ in range(2))
        assert utc(engine.add(early, short)) <= utc(engine.add(late, short))
        assert utc(engine.add(early, short)) <= utc(engine.add(early, long))
        assert utc(engine.add(early, short)) >= utc(early)


@PROPERTIES
@given(data=st.data())
def test_between_adds_up_over_consecutive_spans(data: st.DataObject) -> None:
    spec = data.draw(calendar_specs())
    engine = BusinessCalendar.from_spec(spec)
    for _ in range(10):
        a, b, c = (data.draw(instants(spec["timezone"])) for _ in range(3))
        assert engine.between(a, b) + engine.between(b, c) == engine.between(a, c)
        assert engine.between(a, b) == -engine.between(b, a)
