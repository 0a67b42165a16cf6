"""SLA clocks from status histories: running, paused, met, breached, reproduction starts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from sladesk.sla.calendar import BusinessCalendar
from sladesk.sla.clocks import (
    ClockKind,
    ClockRule,
    ClockState,
    StatusSpan,
    Timeline,
    auto_close_at,
    compute,
)

MSK = ZoneInfo("Europe/Moscow")
WEEKDAY = [["10:00", "19:00"]]
MOSCOW = BusinessCalendar.from_spec(
    {
        "timezone": "Europe/Moscow",
        "week": dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), WEEKDAY)
        | {"sat": [], "sun": []},
        "country": "RU",
    }
)
ALWAYS = BusinessCalendar.always()
HOURS = dt.timedelta(hours=1)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in November 2026, Moscow time (2026-11-02 is a Monday)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=MSK)


def timeline(*spans: tuple[str, dt.datetime], **extra: dt.datetime) -> Timeline:
    return Timeline(
        registered_at=spans[0][1],
        spans=[StatusSpan(status, start) for status, start in spans],
        **extra,  # type: ignore[arg-type]
    )


RESOLUTION_8H = ClockRule(ClockKind.RESOLUTION, budget=8 * HOURS)


def test_a_running_resolution_clock_is_due_after_eight_business_hours() -> None:
    clock = compute(RESOLUTION_8H, timeline(("new", at(2, 15))), MOSCOW, now=at(2, 16))
    assert clock.state == ClockState.RUNNING
    assert clock.due_at == at(3, 14)
    assert clock.elapsed == HOURS
    assert clock.remaining == 7 * HOURS
    # Half the budget is used up exactly at Monday's close: due then, not next morning.
    assert clock.warnings == {50: at(2, 19), 80: at(3, 12, 24)}


def test_waiting_for_the_customer_pauses_and_resuming_moves_the_due_time() -> None:
    history = timeline(
        ("new", at(2, 10)), ("waiting_for_customer", at(2, 12)), ("in_progress", at(3, 12))
    )
    paused = compute(
        RESOLUTION_8H, Timeline(history.registered_at, history.spans[:2]), MOSCOW, at(3, 11)
    )
    assert paused.state == ClockState.PAUSED
    assert paused.due_at is None
    assert paused.elapsed == 2 * HOURS
    resumed = compute(RESOLUTION_8H, history, MOSCOW, at(3, 12))
    assert resumed.state == ClockState.RUNNING
    assert resumed.due_at == at(3, 18)  # 2 h used before the pause, 6 h left from 12:00
    assert resumed.paused == 9 * HOURS


def test_resolution_counted_from_reproduction_is_pending_until_then() -> None:
    rule = ClockRule(ClockKind.RESOLUTION, budget=8 * HOURS, starts_at_reproduction=True)
    history = timeline(("new", at(2, 10)), ("in_progress", at(2, 11)))
    assert compute(rule, history, MOSCOW, at(4, 10)).state == ClockState.PENDING
    reproduced = Timeline(history.registered_at, history.spans, reproduced_at=at(3, 15))
    clock = compute(rule, reproduced, MOSCOW, at(3, 16))
    # 3 November, the eve of Unity Day (a public holiday), closes an hour early (Labour
    # Code art. 95): 3 h that day, 5 h on 5 November.
    assert clock.due_at == at(5, 15)


def test_resolution_in_time_is_met_and_late_is_breached() -> None:
    on_time = timeline(("new", at(2, 10)), ("resolved", at(2, 17)))
    assert compute(RESOLUTION_8H, on_time, MOSCOW, at(9, 10)).state == ClockState.MET
    late = timeline(("new", at(2, 10)), ("resolved", at(3, 12)))
    clock = compute(RESOLUTION_8H, late, MOSCOW, at(9, 10))
    assert clock.state == ClockState.BREACHED
    assert clock.due_at == at(2, 18)


def test_reopening_resumes_the_clock_without_counting_the_resolved_time() -> None:
    history = timeline(("new", at(2, 10)), ("resolved", at(2, 14)), ("in_progress", at(5, 10)))
    clock = compute(RESOLUTION_8H, history, MOSCOW, at(5, 11))
    assert clock.elapsed == 5 * HOURS
    assert clock.due_at == at(5, 14)


def test_a_passed_due_time_is_a_breach_while_still_running() -> None:
    clock = compute(RESOLUTION_8H, timeline(("new", at(2, 10))), MOSCOW, at(3, 10))
    assert clock.state == ClockState.BREACHED
    assert clock.due_at == at(2, 18)


@pytest.mark.parametrize(
    ("registered", "due"),
    [(at(6, 11, 30), at(6, 19)), (at(6, 12, 30), at(9, 19))],
)
def test_cut_off_reaction_on_friday(registered: dt.datetime, due: dt.datetime) -> None:
    rule = ClockRule(ClockKind.RESPONSE, cutoff=dt.time(12))
    clock = compute(rule, timeline(("new", registered)), MOSCOW, registered)
    assert clock.due_at == due


def test_the_first_reply_meets_the_response_clock() -> None:
    rule = ClockRule(ClockKind.RESPONSE, budget=2 * HOURS)
    history = timeline(("new", at(2, 10)), first_response_at=at(2, 11))
    clock = compute(rule, history, MOSCOW, at(5, 10))
    assert (clock.state, clock.met_at, clock.due_at) == (ClockState.MET, at(2, 11), at(2, 12))


def test_a_24_7_clock_ignores_weekends() -> None:
    saturday = at(7, 10)
    clock = compute(RESOLUTION_8H, timeline(("new", saturday)), ALWAYS, saturday)
    assert clock.due_at == at(7, 18)


def test_waiting_three_working_days_closes_at_the_end_of_the_third() -> None:
    history = timeline(("new", at(2, 10)), ("waiting_for_customer", at(5, 15)))
    assert auto_close_at(history, MOSCOW, 3) == at(10, 19)
    assert auto_close_at(timeline(("new", at(2, 10))), MOSCOW, 3) is None
