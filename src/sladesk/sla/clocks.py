"""SLA clocks derived from a ticket's status history (pure; no Django import).

A clock has a business-time budget (or a cut-off due instant) and runs only while the
ticket is in a running status; pause statuses (waiting for the customer, by default) and
the stopped statuses (resolved, closed, cancelled) hold it. Resolution stops it; reopening
resumes it. The same history always gives the same clock (DESIGN.md invariant 4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sladesk.sla.calendar import BusinessCalendar

RUNNING_STATUSES = frozenset({"new", "in_progress", "waiting_for_customer"})
MET_STATUSES = frozenset({"resolved", "closed"})
DEFAULT_PAUSE_STATUSES = frozenset({"waiting_for_customer"})


class ClockKind(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"
    UPDATE = "update"  # the vendor owes a public update every so often while it works


class ClockState(StrEnum):
    PENDING = "pending"  # not started yet (e.g. resolution counted from reproduction)
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"
    STOPPED = "stopped"  # cancelled before it was met


@dataclass(frozen=True)
class StatusSpan:
    """The ticket was in `status` from `start` until the next span's start (or now)."""

    status: str
    start: dt.datetime


@dataclass(frozen=True)
class Timeline:
    """What the clocks need from a ticket's history."""

    registered_at: dt.datetime
    spans: Sequence[StatusSpan]
    first_response_at: dt.datetime | None = None
    reproduced_at: dt.datetime | None = None
    vendor_updates: Sequence[dt.datetime] = ()  # the vendor's public replies, in order


@dataclass(frozen=True)
class ClockRule:
    """One target: a business-time budget, or a cut-off ("same working day if before")."""

    kind: ClockKind
    budget: dt.timedelta | None = None
    cutoff: dt.time | None = None
    starts_at_reproduction: bool = False
    pause_statuses: frozenset[str] = DEFAULT_PAUSE_STATUSES
    warning_percents: tuple[int, ...] = (50, 80)


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    state: ClockState
    target: dt.timedelta | None
    start_at: dt.datetime | None = None
    due_at: dt.datetime | None = None  # None while paused or pending
    met_at: dt.datetime | None = None
    elapsed: dt.timedelta = dt.timedelta(0)
    paused: dt.timedelta = dt.timedelta(0)
    warnings: dict[int, dt.datetime] = field(default_factory=dict)  # percent -> instant
    cycle: int = 0  # the update clock restarts with every vendor update: its cycle number

    @property
    def remaining(self) -> dt.timedelta | None:
        return None if self.target is None else self.target - self.elapsed

    @property
    def breached_at(self) -> dt.datetime | None:
        return self.due_at if self.state == ClockState.BREACHED else None


STOP_STATUSES = frozenset({"resolved", "closed", "cancelled"})


def _intervals(
    spans: Sequence[StatusSpan], start: dt.datetime, end: dt.datetime, statuses: frozenset[str]
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The parts of [start, end) spent in `statuses`; the last span runs to `end`."""
    found = []
    for index, span in enumerate(spans):
        span_end = spans[index + 1].start if index + 1 < len(spans) else end
        low, high = max(span.start, start), min(span_end, end)
        if span.status in statuses and low < high:
            found.append((low, high))
    return found


def _reached_at(
    calendar: BusinessCalendar,
    intervals: list[tuple[dt.datetime, dt.datetime]],
    budget: dt.timedelta,
    open_ended: bool,
) -> dt.datetime | None:
    """When the running time across `intervals` reaches `budget`, or None if it does not.
    With `open_ended` the last interval goes on past its end (the clock runs now)."""
    consumed = dt.timedelta(0)
    for position, (low, high) in enumerate(intervals):
        if open_ended and position == len(intervals) - 1:
            return calendar.add(low, budget - consumed)
        length = calendar.between(low, high)
        if consumed + length >= budget:
            return calendar.add(low, budget - consumed)
        consumed += length
    return None


def _total(
    calendar: BusinessCalendar, intervals: list[tuple[dt.datetime, dt.datetime]]
) -> dt.timedelta:
    return sum((calendar.between(low, high) for low, high in intervals), dt.timedelta(0))


def stopped_at(spans: Sequence[StatusSpan]) -> dt.datetime | None:
    """When the ticket last stopped being worked on: the start of the final run of stop
    statuses (resolved then closed stopped at the resolution); None while it is open."""
    stopped = None
    for span in spans:
        stopped = (stopped or span.start) if span.status in STOP_STATUSES else None
    return stopped


def compute(
    rule: ClockRule, timeline: Timeline, calendar: BusinessCalendar, now: dt.datetime
) -> Clock:
    """The state of one clock at `now`.

    Response: runs from registration until the vendor's first public reply, never paused.
    Resolution: runs from registration (or reproduction) in the running statuses minus the
    rule's pause statuses, and stops at resolution or cancellation; reopening resumes it.
    Update: like resolution, but from the vendor's latest public reply (once there is one),
    starting a new cycle with each reply.
    A paused clock has no due instant (it moves when the clock resumes)."""
    current = timeline.spans[-1].status if timeline.spans else "new"
    cycle = 0
    if rule.kind == ClockKind.RESPONSE:
        start: dt.datetime | None = timeline.registered_at
        met_at = timeline.first_response_at
        stop_at = met_at
        if stop_at is None and current in STOP_STATUSES:
            stop_at = stopped_at(timeline.spans)  # cancelled (or closed) without any reply
        pauses: frozenset[str] = frozenset()
        running_now = stop_at is None
    else:
        if rule.kind == ClockKind.UPDATE:
            updates = [moment for moment in timeline.vendor_updates if moment <= now]
            start, cycle = (updates[-1] if updates else None), len(updates)
        else:
            start = (
                timeline.reproduced_at if rule.starts_at_reproduction else timeline.registered_at
            )
        pauses = rule.pause_statuses
        stop_at = stopped_at(timeline.spans)
        met_at = stop_at if current in MET_STATUSES else None
        running_now = current in RUNNING_STATUSES - pauses
    if start is None:
        return Clock(rule.kind, ClockState.PENDING, rule.budget)
    horizon = max(start, min(stop_at, now) if stop_at is not None else now)
    if rule.kind == ClockKind.RESPONSE:
        run = [(start, horizon)] if start < horizon else []
    else:
        run = _intervals(timeline.spans, start, horizon, RUNNING_STATUSES - pauses)
    if running_now:
        current_from = max(timeline.spans[-1].start, start) if timeline.spans else start
        if not run or run[-1][0] != current_from:
            run.append((current_from, max(current_from, now)))
    elapsed = _total(calendar, run)
    paused = _total(calendar, _intervals(timeline.spans, start, horizon, pauses))
    if rule.cutoff is not None:
        cutoff_due = calendar.cutoff_due(start, rule.cutoff)
        budget: dt.timedelta | None = calendar.between(start, cutoff_due)
    else:
        budget = rule.budget
    if budget is None:
        state = ClockState.MET if met_at else ClockState.RUNNING
        return Clock(rule.kind, state, None, start, None, met_at, elapsed, paused, cycle=cycle)
    # A clock met on time shows when it would have been due had it kept running.
    extend = running_now or (met_at is not None and elapsed <= budget)
    due = _reached_at(calendar, run or [(start, start)], budget, extend)
    warnings = {
        percent: moment
        for percent in rule.warning_percents
        if (
            moment := _reached_at(calendar, run or [(start, start)], budget * percent / 100, extend)
        )
    }
    if met_at is not None:
        state = ClockState.MET if elapsed <= budget else ClockState.BREACHED
    elif stop_at is not None:
        state = ClockState.STOPPED
    elif due is not None and due <= now:
        state = ClockState.BREACHED
    elif running_now:
        state = ClockState.RUNNING
    else:
        state, due = ClockState.PAUSED, None
    return Clock(rule.kind, state, budget, start, due, met_at, elapsed, paused, warnings, cycle)


def auto_close_at(
    timeline: Timeline, calendar: BusinessCalendar, working_days: int | None
) -> dt.datetime | None:
    """When a ticket waiting for the customer closes as solved: the close of the n-th
    working day after the request (seed 004: 3 working days), or None."""
    if working_days is None or not timeline.spans:
        return None
    last = timeline.spans[-1]
    if last.status != "waiting_for_customer":
        return None
    return calendar.add_working_days(last.start, working_days)


def auto_close_reminder_at(
    timeline: Timeline, calendar: BusinessCalendar, working_days: int | None
) -> tuple[dt.datetime, int] | None:
    """When the customer is told that the ticket closes by itself the next working day (the
    close of the working day before the auto-close), with the cycle it belongs to (the
    waiting's start, in seconds): None when the ticket is not waiting, or closes within a
    day anyway."""
    if working_days is None or working_days < 2 or not timeline.spans:
        return None
    last = timeline.spans[-1]
    if last.status != "waiting_for_customer":
        return None
    return calendar.add_working_days(last.start, working_days - 1), int(last.start.timestamp())
