"""What a report holds, and the arithmetic of its figures (pure: no Django import)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ClockFigures:
    """One clock (response or resolution) over a set of tickets."""

    measured: int  # clocks met or breached
    met: int
    met_percent: float | None
    median_seconds: int | None  # business time to response / resolution, of stopped clocks
    p90_seconds: int | None

    @property
    def breached(self) -> int:
        return self.measured - self.met


@dataclass(frozen=True)
class TargetFigures:
    """The clocks of the tickets one SLA target row applied to."""

    label: str
    tickets: int
    response: ClockFigures
    resolution: ClockFigures


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    registered: int
    resolved: int
    open: int  # at the end of the period


@dataclass(frozen=True)
class Breakdown:
    dimension: str
    title: str
    rows: list[BreakdownRow]


@dataclass(frozen=True)
class Breach:
    number: str
    title: str
    clock: str  # "response" or "resolution"
    clock_label: str
    ticket_class: str  # the class's code ("" unclassified)
    line: str  # the line's level
    due_at: dt.datetime | None
    met_at: dt.datetime | None  # None: still not met


@dataclass(frozen=True)
class Availability:
    """A monitored service over the period: time with an alert firing, wall-clock."""

    service: str
    alerts: int
    downtime_seconds: int
    percent: float


@dataclass(frozen=True)
class SlaReport:
    """One contract over one period: the figures sent to the customer (seed 001)."""

    contract_id: int
    contract: str
    organisation: str
    period: str
    first: dt.date
    last: dt.date
    zone: str
    generated_at: dt.datetime
    tickets: int  # registered in the period
    resolved: int  # resolved in the period, whenever registered
    open_at_end: int  # the backlog at the end of the period
    response: ClockFigures
    resolution: ClockFigures
    reopened: int  # of the resolved
    first_line: int  # of the resolved: on line 0-1 without escalation
    with_article: int  # of the resolved: with a knowledge article linked
    targets: list[TargetFigures] = field(default_factory=list)
    breakdowns: list[Breakdown] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    availability: list[Availability] = field(default_factory=list)

    @property
    def response_met_percent(self) -> float | None:
        return self.response.met_percent

    @property
    def resolution_met_percent(self) -> float | None:
        return self.resolution.met_percent

    def share(self, count: int) -> float | None:
        """`count` as a percentage of the resolved tickets."""
        return percent(count, self.resolved)


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def nearest_rank(values: Sequence[int], fraction: float) -> int | None:
    """The nearest-rank percentile: a value that occurred, as SLA reports quote them."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))
    return ordered[min(len(ordered), rank) - 1]


def clock_figures(outcomes: Iterable[bool], seconds: Iterable[int]) -> ClockFigures:
    """`outcomes`: met (True) or breached (False) per measured clock; `seconds`: the
    business time of every stopped clock (met late ones included)."""
    results = list(outcomes)
    durations = list(seconds)
    met = sum(results)
    return ClockFigures(
        measured=len(results),
        met=met,
        met_percent=percent(met, len(results)),
        median_seconds=nearest_rank(durations, 0.5),
        p90_seconds=nearest_rank(durations, 0.9),
    )


def downtime(
    episodes: Iterable[tuple[dt.datetime, dt.datetime | None]],
    start: dt.datetime,
    end: dt.datetime,
) -> dt.timedelta:
    """Wall-clock time within [start, end) covered by at least one episode (from firing to
    resolved; None: still firing). Overlapping alerts count once."""
    spans = sorted(
        (max(first, start), min(last or end, end))
        for first, last in episodes
        if first < end and (last is None or last > start)
    )
    total = dt.timedelta(0)
    current: tuple[dt.datetime, dt.datetime] | None = None
    for first, last in spans:
        if current is not None and first <= current[1]:
            current = (current[0], max(current[1], last))
            continue
        if current is not None:
            total += current[1] - current[0]
        current = (first, last)
    if current is not None:
        total += current[1] - current[0]
    return total
