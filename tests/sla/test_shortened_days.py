"""Shortened pre-holiday days (Labour Code art. 95) on the Russian production calendar."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from sladesk.accounts.services import api_token_create
from sladesk.sla.builtin import CALENDARS
from sladesk.sla.calendar import SPEC_KEYS, BusinessCalendar, CalendarError
from sladesk.sla.models import Calendar
from sladesk.sla.services import sla_install_examples
from tests.conftest import World, signed_in
from tests.sla.calendar_engines import calendar_engine  # noqa: F401  # used by pytestmark
from tests.sla.calendar_reference import ReferenceCalendar
from tests.sla.test_calendar_properties import PROPERTIES, calendar_specs, durations, instants

pytestmark = pytest.mark.usefixtures("calendar_engine")

MOSCOW = ZoneInfo("Europe/Moscow")
MOSCOW_SPEC: dict[str, Any] = CALENDARS["Moscow working days 10:00-19:00"]
FULL_DAY = [["10:00", "19:00"]]
SHORT_DAY = [["10:00", "18:00"]]

# The shortened days of the published Russian production calendars (the government's
# transfer decrees for each year and art. 95), the data these tests check the rule against.
PUBLISHED: dict[int, list[date]] = {
    2024: [
        *(date(2024, 2, 22), date(2024, 3, 7), date(2024, 4, 27), date(2024, 5, 8)),
        *(date(2024, 6, 11), date(2024, 11, 2), date(2024, 12, 28)),
    ],
    2025: [date(2025, 3, 7), date(2025, 4, 30), date(2025, 6, 11), date(2025, 11, 1)],
    2026: [date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)],
    2027: [date(2027, 2, 20), date(2027, 4, 30), date(2027, 6, 11), date(2027, 11, 3)],
}


def moscow_office(**changes: Any) -> BusinessCalendar:
    return BusinessCalendar.from_spec(MOSCOW_SPEC | changes)


def moscow(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


# The rule on the shipped Moscow calendar.


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_the_shortened_days_are_those_of_the_published_production_calendar(year: int) -> None:
    calendar = moscow_office()
    shortened = calendar.shortened_days(date(year, 1, 1), date(year, 12, 31))
    assert shortened == dict.fromkeys(PUBLISHED[year], 60)
    assert all(calendar.day_hours(day) == SHORT_DAY for day in PUBLISHED[year])


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (date(2026, 2, 20), FULL_DAY),  # a normal Friday before a weekend and a Monday holiday
        (date(2026, 12, 30), FULL_DAY),  # before a transferred day off, not a holiday
        (date(2026, 12, 31), []),  # the day off transferred from 4 January
        (date(2027, 3, 5), FULL_DAY),  # Friday before the weekend and Monday 8 March
        (date(2027, 11, 5), []),  # the day off transferred from 2 January
        (date(2027, 12, 30), FULL_DAY),
        (date(2027, 12, 31), []),  # the day off transferred from 3 January
        (date(2026, 11, 4), []),  # Unity Day itself
    ],
)
def test_days_next_to_holidays_that_the_calendar_keeps_whole(
    day: date, hours: list[list[str]]
) -> None:
    assert moscow_office().day_hours(day) == hours


def test_the_eve_of_unity_day_2026_closes_at_six() -> None:
    calendar = moscow_office()
    assert calendar.add(moscow(2026, 11, 3, 10), timedelta(hours=8)) == moscow(2026, 11, 3, 18)
    assert calendar.add(moscow(2026, 11, 3, 17), timedelta(hours=2)) == moscow(2026, 11, 5, 11)
    assert calendar.between(moscow(2026, 11, 3), moscow(2026, 11, 4)) == timedelta(hours=8)
    assert calendar.cutoff_due(moscow(2026, 11, 3, 11)) == moscow(2026, 11, 3, 18)
    assert calendar.cutoff_due(moscow(2026, 11, 2, 15)) == moscow(2026, 11, 3, 18)
    assert calendar.add_working_days(moscow(2026, 11, 2, 12), 1) == moscow(2026, 11, 3, 18)
    assert calendar.is_open(moscow(2026, 11, 3, 17, 59))
    assert not calendar.is_open(moscow(2026, 11, 3, 18))
    assert calendar.next_open(moscow(2026, 11, 3, 18)) == moscow(2026, 11, 5, 10)


def test_a_transferred_working_saturday_before_a_holiday_opens_ten_to_six() -> None:
    calendar = moscow_office()
    # Saturday 20 February 2027 is worked for Monday 22 February; 23 February is a holiday.
    assert calendar.day_hours(date(2027, 2, 20)) == SHORT_DAY
    assert calendar.between(moscow(2027, 2, 20), moscow(2027, 2, 21)) == timedelta(hours=8)
    assert calendar.add_working_days(moscow(2027, 2, 19, 12), 1) == moscow(2027, 2, 20, 18)
    assert calendar.next_open(moscow(2027, 2, 20, 18)) == moscow(2027, 2, 24, 10)


def test_a_stored_spec_without_the_new_keys_gets_the_rule_and_keeps_its_form() -> None:
    calendar = moscow_office()
    assert calendar.to_spec() == MOSCOW_SPEC
    assert {"pre_holiday_minutes", "shortened_days"} <= SPEC_KEYS
    assert calendar.day_hours(date(2026, 11, 3)) == SHORT_DAY


def test_the_rule_follows_the_country_code_and_only_russia_has_one() -> None:
    assert moscow_office(country="RUS").day_hours(date(2026, 11, 3)) == SHORT_DAY
    prague = moscow_office(country="CZ")
    assert prague.shortened_days(date(2026, 1, 1), date(2026, 12, 31)) == {}
    # Named explicitly, the amount applies to another country's holidays: the eve of
    # Christmas Eve, a Czech public holiday.
    czech_rule = moscow_office(country="CZ", pre_holiday_minutes=30)
    assert czech_rule.day_hours(date(2026, 12, 23)) == [["10:00", "18:30"]]


# Overrides in the spec.


def test_shortened_days_in_the_spec_override_the_rule_both_ways() -> None:
    spec = MOSCOW_SPEC | {"shortened_days": {"2026-12-30": 60, "2026-11-03": 0}}
    calendar = BusinessCalendar.from_spec(spec)
    assert calendar.day_hours(date(2026, 12, 30)) == SHORT_DAY
    assert calendar.day_hours(date(2026, 11, 3)) == FULL_DAY
    assert calendar.add(moscow(2026, 11, 3, 10), timedelta(hours=9)) == moscow(2026, 11, 3, 19)
    assert calendar.shortened_days(date(2026, 11, 1), date(2026, 12, 31)) == {
        date(2026, 12, 30): 60
    }
    assert calendar.to_spec() == spec
    assert BusinessCalendar.from_spec(calendar.to_spec()) == calendar


def test_pre_holiday_minutes_sets_the_amount_and_zero_switches_the_rule_off() -> None:
    off = moscow_office(pre_holiday_minutes=0)
    assert off.shortened_days(date(2026, 1, 1), date(2027, 12, 31)) == {}
    assert off.add(moscow(2026, 11, 3, 10), timedelta(hours=9)) == moscow(2026, 11, 3, 19)
    two_hours = moscow_office(pre_holiday_minutes=120, shortened_days={"2026-04-30": 30})
    assert two_hours.day_hours(date(2026, 11, 3)) == [["10:00", "17:00"]]
    assert two_hours.day_hours(date(2026, 4, 30)) == [["10:00", "18:30"]]  # the date's own
    assert two_hours.to_spec()["pre_holiday_minutes"] == 120
    assert BusinessCalendar.from_spec(two_hours.to_spec()) == two_hours
    assert off != moscow_office()


def test_special_days_are_not_shortened_and_holidays_stay_closed() -> None:
    calendar = moscow_office(
        special_days={"2026-11-03": [["09:00", "19:00"]]}, holidays=["2026-06-11"]
    )
    assert calendar.day_hours(date(2026, 11, 3)) == [["09:00", "19:00"]]
    assert calendar.day_hours(date(2026, 6, 11)) == []
    assert calendar.shortened_days(date(2026, 6, 1), date(2026, 11, 30)) == {}
    assert calendar.between(moscow(2026, 11, 3), moscow(2026, 11, 4)) == timedelta(hours=10)


def test_shortening_cuts_the_end_of_the_last_intervals_and_never_below_nothing() -> None:
    split = {"tue": [["10:00", "13:00"], ["14:00", "14:30"]], "wed": [["10:00", "10:45"]]}
    calendar = moscow_office(week=split, shortened_days={"2026-11-11": 60})
    assert calendar.day_hours(date(2026, 11, 3)) == [["10:00", "12:30"]]
    assert calendar.day_hours(date(2026, 11, 11)) == []  # a 45-minute day loses it all
    assert calendar.shortened_days(date(2026, 11, 1), date(2026, 11, 30)) == {
        date(2026, 11, 3): 60,
        date(2026, 11, 11): 45,
    }
    assert calendar.cutoff_due(moscow(2026, 11, 11, 9)) == moscow(2026, 11, 17, 14, 30)
    night = moscow_office(week={"tue": [["22:00", "06:00"]]})
    assert night.day_hours(date(2026, 11, 3)) == [["22:00", "05:00"]]
    assert night.add_working_days(moscow(2026, 11, 2), 1) == moscow(2026, 11, 4, 5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pre_holiday_minutes": "60"}, "whole number"),
        ({"pre_holiday_minutes": True}, "whole number"),
        ({"pre_holiday_minutes": 241}, "outside 0..240"),
        ({"pre_holiday_minutes": -1}, "outside 0..240"),
        ({"country": None, "pre_holiday_minutes": 60}, "country"),
        ({"shortened_days": ["2026-11-03"]}, "map dates to minutes"),
        ({"shortened_days": {"3 Nov": 60}}, "bad date"),
        ({"shortened_days": {"2026-11-03": 60.5}}, "whole number"),
        ({"shortened_days": {"2026-11-03": 300}}, "outside 0..240"),
        ({"shortened_days": {"2026-11-03": 60}, "holidays": ["2026-11-03"]}, "both"),
        (
            {"shortened_days": {"2026-11-03": 60}, "special_days": {"2026-11-03": []}},
            "both",
        ),
    ],
)
def test_bad_shortening_keys_are_rejected_with_a_clear_error(
    changes: dict[str, Any], message: str
) -> None:
    spec = {key: value for key, value in (MOSCOW_SPEC | changes).items() if value is not None}
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar.from_spec(spec)


def test_questions_about_dates_take_dates() -> None:
    with pytest.raises(CalendarError, match="date"):
        moscow_office().day_hours(moscow(2026, 11, 3))  # a datetime, not a date
    with pytest.raises(CalendarError, match="years"):
        moscow_office().shortened_days(date(1, 1, 1), date(1, 1, 2))


@st.composite
def specs_with_shortening(draw: st.DrawFn) -> dict[str, Any]:
    spec = draw(calendar_specs())
    taken = set(spec["holidays"]) | set(spec["special_days"])
    shortened = draw(
        st.dictionaries(
            st.dates(date(2025, 12, 1), date(2027, 12, 31)).map(date.isoformat),
            st.integers(0, 240),
            max_size=4,
        )
    )
    spec["shortened_days"] = {day: value for day, value in shortened.items() if day not in taken}
    if "country" in spec and draw(st.booleans()):
        spec["pre_holiday_minutes"] = draw(st.sampled_from([0, 30, 60, 240]))
    return spec


@PROPERTIES
@given(data=st.data())
def test_shortened_calendars_agree_with_the_reference(data: st.DataObject) -> None:
    spec = data.draw(specs_with_shortening())
    engine, reference = BusinessCalendar.from_spec(spec), ReferenceCalendar(spec)
    for _ in range(3):
        start = data.draw(instants(spec["timezone"]))
        duration = data.draw(durations(spec))
        assert engine.add(start, duration) == reference.add(start, duration)
        other = data.draw(instants(spec["timezone"]))
        assert engine.between(start, other) == reference.between(start, other)
        assert engine.add_working_days(start, 3) == reference.add_working_days(start, 3)


# Where an administrator sees them: the API's preview and the admin page.


def admin_client(world: World) -> Client:
    _token, raw = api_token_create(user=world.admin, name="t", scope="admin")
    return Client(headers={"authorization": f"Bearer {raw}"})


def test_the_calendar_preview_lists_the_shortened_days_on_the_way(world: World) -> None:
    client = admin_client(world)

    def preview(start: str, hours: float) -> Any:
        body = {"spec": MOSCOW_SPEC, "start": start, "hours": hours, "cutoff": "12:00"}
        answer = client.post(
            "/api/v1/admin/calendar-preview", json.dumps(body), content_type="application/json"
        )
        assert answer.status_code == 200
        return answer.json()

    # Monday 12:00 + 18 h: 7 h on Monday, 8 h on the shortened Tuesday, 3 h on Thursday.
    assert preview("2026-11-02T12:00:00+03:00", 18) == {
        "due": "2026-11-05T13:00:00+03:00",
        "cutoff_due": "2026-11-03T18:00:00+03:00",
        "shortened_days": {"2026-11-03": SHORT_DAY},
    }
    assert "shortened_days" not in preview("2026-11-09T12:00:00+03:00", 9)


def test_the_calendar_admin_preview_lists_the_shortened_days(world: World) -> None:
    sla_install_examples()
    moscow_calendar = Calendar.objects.get(name__startswith="Moscow")
    url = reverse("admin:sla_calendar_change", args=[moscow_calendar.pk])
    page = signed_in(world.admin).get(
        url, {"preview_start": "2026-11-02 12:00", "preview_hours": "18"}
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "2026-11-05 13:00" in text
    assert "2026-11-03: open 10:00-18:00 (60 minutes shorter)" in text
    plain = signed_in(world.admin).get(url, {"preview_start": "2026-11-09 12:00"})
    assert "minutes shorter" not in plain.content.decode()
