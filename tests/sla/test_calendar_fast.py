"""The compiled fast path of the calendar engine gives exactly the Python code's answers.

The other calendar tests run on both engines (see calendar_engines.py); these check what only
the compiled module has: that it is built where required, that it answers the common case
itself and leaves the rest to Python, that its answers match to the fold and zone, and that
bad input raises instead of crashing the interpreter.
"""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sladesk.sla import calendar as calendar_module
from sladesk.sla.calendar import BusinessCalendar, NaiveDatetimeError
from tests.sla.calendar_engines import COMPILED, REQUIRED
from tests.sla.test_calendar_properties import PROPERTIES, calendar_specs, durations, instants

MOSCOW = ZoneInfo("Europe/Moscow")
PRAGUE = ZoneInfo("Europe/Prague")
OFFICE = {
    "timezone": "Europe/Moscow",
    "week": {day: [["10:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "country": "RU",
}

compiled_only = pytest.mark.skipif(COMPILED is None, reason="the compiled module is not built")


class Moment(datetime):
    """A datetime subclass: the compiled module leaves it to Python."""


class FixedZone(tzinfo):
    """A tzinfo written in Python: the compiled module leaves it to Python."""

    def utcoffset(self, moment: datetime | None) -> timedelta:
        return timedelta(hours=5, minutes=30)

    def dst(self, moment: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, moment: datetime | None) -> str:
        return "+05:30"


class Duration(timedelta):
    """A timedelta subclass: the compiled module leaves it to Python."""


def indexed_office() -> BusinessCalendar:
    calendar = BusinessCalendar.from_spec(OFFICE)
    calendar.is_open(datetime(2026, 11, 5, 12, tzinfo=MOSCOW))  # builds the index
    return calendar


def fast_index(calendar: BusinessCalendar) -> Any:
    fast = calendar._index.fast
    assert fast is not None
    return fast


def identical(first: object, second: object) -> bool:
    """Equal, and for datetimes also the same wall time, fold and zone object."""
    if isinstance(first, datetime) and isinstance(second, datetime):
        return (
            first.replace(tzinfo=None) == second.replace(tzinfo=None)
            and first.fold == second.fold
            and first.tzinfo is second.tzinfo
        )
    return type(first) is type(second) and first == second


def test_the_compiled_module_is_built_where_it_is_required() -> None:
    if not REQUIRED:
        pytest.skip("SLADESK_REQUIRE_FAST_CALENDAR=1 is not set")
    assert COMPILED is not None, "sladesk.sla._calendar_fast was not built"
    assert BusinessCalendar.from_spec(OFFICE).add(
        datetime(2026, 11, 5, 12, tzinfo=MOSCOW), timedelta(hours=1)
    ) == datetime(2026, 11, 5, 13, tzinfo=MOSCOW)


@compiled_only
def test_the_compiled_module_answers_the_common_case_itself() -> None:
    fast = fast_index(indexed_office())
    start = datetime(2026, 11, 6, 18, 30, 0, 250, tzinfo=MOSCOW)
    assert fast.add(start, timedelta(hours=1)) == datetime(
        2026, 11, 9, 10, 30, 0, 250, tzinfo=MOSCOW
    )
    assert fast.add(start.astimezone(UTC), timedelta(hours=1)).tzinfo is MOSCOW
    assert fast.between(start, start + timedelta(days=3)) == timedelta(hours=9)
    assert fast.is_open(start) is True
    assert fast.is_open(start + timedelta(hours=1)) is False
    assert fast.next_open(start + timedelta(hours=1)) == datetime(2026, 11, 9, 10, tzinfo=MOSCOW)


@compiled_only
@pytest.mark.parametrize(
    "start",
    [
        Moment(2026, 11, 6, 18, 30, tzinfo=MOSCOW),
        datetime(2026, 11, 6, 21, tzinfo=FixedZone()),
        datetime(2026, 11, 6, 18, 30),  # noqa: DTZ001  # naive on purpose
        datetime(2015, 6, 1, 12, tzinfo=MOSCOW),  # outside the indexed years
    ],
)
def test_the_compiled_module_leaves_other_cases_to_python(start: datetime) -> None:
    calendar = indexed_office()
    fast = fast_index(calendar)
    assert fast.add(start, timedelta(hours=1)) is None
    assert fast.between(start, start) is None
    assert fast.is_open(start) is None
    assert fast.next_open(start) is None
    if start.tzinfo is None:
        with pytest.raises(NaiveDatetimeError, match="naive"):
            calendar.add(start, timedelta(hours=1))
    else:
        assert identical(
            calendar.add(start, timedelta(hours=1)), calendar._add(start, timedelta(hours=1))
        )
        assert identical(calendar.next_open(start), calendar._next_open(start))


@compiled_only
def test_durations_the_compiled_module_does_not_take_get_the_python_answers() -> None:
    calendar = indexed_office()
    fast = fast_index(calendar)
    start = datetime(2026, 11, 6, 18, 30, tzinfo=MOSCOW)
    for duration in (Duration(hours=1), timedelta(0), timedelta(days=10**6), -timedelta(1)):
        assert fast.add(start, duration) is None
    assert identical(
        calendar.add(start, Duration(hours=1)), calendar._add(start, timedelta(hours=1))
    )
    assert identical(calendar.add(start, timedelta(0)), start.astimezone(MOSCOW))
    with pytest.raises(ValueError, match="negative"):
        calendar.add(start, -timedelta(microseconds=1))
    with pytest.raises(TypeError):
        calendar.add("2026-11-06", timedelta(hours=1))  # type: ignore[arg-type]  # wrong on purpose


@compiled_only
def test_fixed_offsets_and_the_repeated_hour_are_read_like_python_does() -> None:
    calendar = BusinessCalendar.from_spec(
        {
            "timezone": "Europe/Prague",
            "week": {"sat": [["00:00", "24:00"]], "sun": [["00:00", "24:00"]]},
        }
    )
    calendar.is_open(datetime(2026, 10, 25, tzinfo=PRAGUE))
    fast = fast_index(calendar)
    starts = [
        datetime(2026, 10, 25, 2, 30, fold=0, tzinfo=PRAGUE),
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=PRAGUE),
        datetime(2026, 10, 25, 5, tzinfo=timezone(timedelta(hours=5, minutes=45))),
        datetime(2026, 10, 24, 23, 59, 59, 999_999, tzinfo=timezone(-timedelta(hours=3))),
    ]
    for start in starts:
        for amount in (timedelta(minutes=30), timedelta(hours=1), timedelta(hours=30)):
            due = fast.add(start, amount)
            assert due is not None
            assert identical(due, calendar._add(start, amount))
        second = datetime(2026, 10, 25, 2, 45, fold=1, tzinfo=PRAGUE)
        assert identical(fast.between(start, second), calendar._between(start, second))


@compiled_only
@PROPERTIES
@given(data=st.data())
def test_compiled_answers_are_the_python_answers_to_the_fold_and_zone(
    data: st.DataObject,
) -> None:
    spec = data.draw(calendar_specs())
    calendar = BusinessCalendar.from_spec(spec)
    for _ in range(6):
        first = data.draw(instants(spec["timezone"]))
        second = data.draw(instants(spec["timezone"]))
        duration = data.draw(durations(spec))
        assert identical(calendar.add(first, duration), calendar._add(first, duration))
        assert identical(calendar.between(first, second), calendar._between(first, second))
        assert identical(calendar.is_open(first), calendar._is_open(first))
        assert identical(calendar.next_open(first), calendar._next_open(first))
        assert calendar._index.fast is not None


@compiled_only
@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("Europe/Moscow", 0, 1, [0], [1], [0], [1]), TypeError),
        ((MOSCOW, 0, 1, (0,), [1], [0], [1]), TypeError),
        ((MOSCOW, 0, 1, [], [], [], []), ValueError),
        ((MOSCOW, 0, 1, [0, 1], [1], [0], [1]), ValueError),
        ((MOSCOW, 0, 1, [0], [1.5], [0], [1]), TypeError),
        ((MOSCOW, 0, 1, [0], [1], [2**70], [1]), OverflowError),
        ((MOSCOW, 0, 1, [5, 0], [6, 1], [0, 0], [1, 2]), ValueError),
        ((MOSCOW, 0, 1, [5], [6], [0], [1]), ValueError),
        ((MOSCOW, 0, 2**62, [0], [1], [0], [1]), ValueError),
        ((MOSCOW, "0", 1, [0], [1], [0], [1]), TypeError),
        # Shifts and running totals that disagree with the intervals: sums could overflow.
        ((MOSCOW, 0, 10**15, [0], [10**16], [2**63 - 1], [1]), ValueError),
        ((MOSCOW, 0, 10, [0, 2], [1, 3], [0, 0], [1, 2]), ValueError),
    ],
)
def test_the_compiled_index_rejects_bad_arrays_with_an_exception(
    arguments: tuple[Any, ...], error: type[Exception]
) -> None:
    assert COMPILED is not None
    with pytest.raises(error):
        COMPILED(*arguments)


def _zone_file(offset_seconds: int) -> bytes:
    """A TZif file of one local time type, `offset_seconds` east of UTC, no transitions."""
    header = b"TZif" + bytes(16) + struct.pack(">6l", 0, 0, 0, 0, 1, 4)
    return header + struct.pack(">lBB", offset_seconds, 0, 0) + b"BAD\0"


@pytest.mark.parametrize("engine", ["compiled", "python"])
def test_a_zone_offset_beyond_a_day_is_refused_like_datetime_does(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine == "python":
        monkeypatch.setattr(calendar_module, "FastIndex", None)
    elif COMPILED is None:
        pytest.skip("the compiled module is not built")
    odd = ZoneInfo.from_file(io.BytesIO(_zone_file(100_000)), key="odd")
    calendar = indexed_office()
    moment = datetime(2026, 11, 6, 12, tzinfo=odd)
    with pytest.raises(ValueError, match="offset"):
        calendar.is_open(moment)
    with pytest.raises(ValueError, match="offset"):
        calendar.add(moment, timedelta(hours=1))


@compiled_only
def test_the_compiled_index_checks_its_arguments() -> None:
    fast = fast_index(indexed_office())
    start = datetime(2026, 11, 6, 12, tzinfo=MOSCOW)
    with pytest.raises(TypeError):
        fast.add(start)
    with pytest.raises(TypeError):
        fast.between(start, start, start)
    assert fast.add(None, timedelta(hours=1)) is None
    assert fast.add(start, 3600) is None
    assert fast.between(start, "later") is None
    assert fast.is_open(12) is None
