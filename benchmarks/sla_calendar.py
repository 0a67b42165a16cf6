"""Benchmark of the SLA business-calendar engine against pandas and a brute-force reference.

Run with ``PYTHONPATH=src python benchmarks/sla_calendar.py`` (pandas is a benchmark-only
dependency).  Times ``add`` and ``between`` on the Moscow calendar (10:00-19:00 Monday to
Friday, Russian public holidays) and on 24/7, over seeded random instants in 2025-2027 and
durations from one minute to 60 working days, with the compiled fast path (if it is built)
and with the pure-Python code alone.  On the same cases it times pandas'
``CustomBusinessHour`` and the reference from ``tests/sla/calendar_reference.py``, and
counts how often pandas gives the same due instant.  Prints a Markdown table and writes it
to ``benchmarks/RESULTS.md`` under ``## SLA calendar engine``.
"""

from __future__ import annotations

import importlib.util
import operator
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pandas as pd
from _common import machine, publish

from sladesk.sla import calendar as engine
from sladesk.sla.calendar import WEEKDAYS, BusinessCalendar

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## SLA calendar engine"
MOSCOW = ZoneInfo("Europe/Moscow")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RUNS = 5
FAST_CASES = 100_000  # cases timed for the engine
SLOW_CASES = 1_000  # the first cases, timed for pandas and the reference too
WORKING_DAY_MINUTES = 9 * 60


def load_reference() -> Any:
    path = ROOT / "tests" / "sla" / "calendar_reference.py"
    spec = importlib.util.spec_from_file_location("calendar_reference", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MOSCOW_SPEC = {
    "timezone": "Europe/Moscow",
    "week": {day: [["10:00", "19:00"]] if day not in ("sat", "sun") else [] for day in WEEKDAYS},
    "country": "RU",
}


@dataclass(frozen=True)
class Case:
    start: datetime
    duration: timedelta  # whole minutes; whole hours in half of the cases
    end: datetime  # the other end for `between`

    @property
    def minutes(self) -> int:
        return self.duration // timedelta(minutes=1)


def make_cases(count: int) -> list[Case]:
    rng = random.Random(20261106)
    first = datetime(2025, 1, 1, tzinfo=MOSCOW).timestamp()
    span = datetime(2028, 1, 1, tzinfo=MOSCOW).timestamp() - first
    cases = []
    for _ in range(count):
        start = datetime.fromtimestamp(first + rng.randrange(int(span)), MOSCOW)
        shape = rng.random()
        if shape < 0.25:  # on the hour, so that some budgets run out exactly at closing
            start = start.replace(minute=0, second=0)
        elif shape < 0.75:
            start = start.replace(microsecond=rng.randrange(1_000_000))
        if rng.random() < 0.5:
            minutes = 60 * rng.randint(1, 60 * 9)
        else:
            minutes = rng.randint(1, 60 * WORKING_DAY_MINUTES)
        end = start + timedelta(seconds=rng.randrange(1, 90 * 86_400))
        cases.append(Case(start, timedelta(minutes=minutes), end))
    return cases


# A two-argument function and the argument pairs to time it on, prepared in advance so
# that the timed loop holds nothing but the calls.
Timed = tuple[Callable[[Any, Any], object], list[tuple[Any, Any]]]


def operations_per_second(function: Callable[[Any, Any], object], pairs: list[Any]) -> float:
    """The median over RUNS runs of calls per second of `function` over `pairs`."""
    rates = []
    for _ in range(RUNS):
        began = time.perf_counter()
        for first, second in pairs:
            function(first, second)
        rates.append(len(pairs) / (time.perf_counter() - began))
    return statistics.median(rates)


class PandasMoscow:
    """pandas' CustomBusinessHour with the same hours and the Russian holiday dates.

    It adds whole hours only, knows no transferred working Saturdays, and moves a due time
    that falls on the closing instant to the next opening."""

    def __init__(self, cases: Sequence[Case]) -> None:
        known = holidays.country_holidays("RU", years=range(2024, 2030))
        dates = sorted(known)
        self.offsets = {
            hours: pd.offsets.CustomBusinessHour(
                n=hours, start="10:00", end="19:00", weekmask="Mon Tue Wed Thu Fri", holidays=dates
            )
            for hours in {self.hours(case) for case in cases}
        }
        self.transferred_working_days = {
            day for year in range(2024, 2030) for day in known.weekend_workdays if day.year == year
        }

    @staticmethod
    def hours(case: Case) -> int:
        return max(1, round(case.minutes / 60))

    def arguments(self, case: Case) -> tuple[pd.Timestamp, pd.offsets.CustomBusinessHour]:
        return pd.Timestamp(case.start.replace(tzinfo=None)), self.offsets[self.hours(case)]

    def add(self, case: Case) -> datetime:
        start, offset = self.arguments(case)
        due: datetime = (start + offset).to_pydatetime()
        return due.replace(tzinfo=MOSCOW)


def pandas_agreement(
    calendar: BusinessCalendar, pandas: PandasMoscow, cases: Sequence[Case]
) -> str:
    """Agreement where the semantics coincide: whole-hour durations from an open instant."""
    comparable = [case for case in cases if case.minutes % 60 == 0 and calendar.is_open(case.start)]
    same = at_closing = transferred = other = 0
    for case in comparable:
        ours = calendar.add(case.start, case.duration)
        theirs = pandas.add(case)
        if ours == theirs:
            same += 1
        elif not calendar.is_open(ours) and calendar.next_open(ours) == theirs:
            at_closing += 1
        elif any(
            case.start.date() <= day <= max(ours, theirs).date()
            for day in pandas.transferred_working_days
        ):
            transferred += 1
        else:
            other += 1
    return (
        f"{same} of {len(comparable)} comparable cases (whole-hour durations from an open "
        f"instant) give the same due instant; {at_closing} differ only because the budget runs "
        f"out exactly at closing (ours: 19:00, pandas: the next opening); {transferred} span a "
        f"transferred working Saturday, which pandas cannot express; {other} differ otherwise"
    )


def convert_only(start: datetime, seconds: float) -> tuple[timedelta, datetime]:
    """What any datetime-in, datetime-out ``add`` must do at least: convert both ways."""
    return start - EPOCH, datetime.fromtimestamp(seconds, MOSCOW)


def pure_python(spec: dict[str, Any], cases: Sequence[Case]) -> BusinessCalendar:
    """A calendar whose index, built here over every case, is the pure-Python one alone."""
    calendar = BusinessCalendar.from_spec(spec)
    compiled, engine.FastIndex = engine.FastIndex, None
    try:
        for case in cases:
            calendar.between(case.start, calendar.add(case.start, case.duration))
            calendar.between(case.start, case.end)
    finally:
        engine.FastIndex = compiled
    if calendar._index.fast is not None:
        raise RuntimeError("the pure-Python calendar was indexed with the compiled module")
    return calendar


def index_build_milliseconds() -> float:
    """The median time of a first query on a new Moscow calendar, which indexes a year."""
    timings = []
    for _ in range(RUNS):
        calendar = BusinessCalendar.from_spec(MOSCOW_SPEC)
        began = time.perf_counter()
        calendar.is_open(datetime(2026, 6, 1, tzinfo=MOSCOW))
        timings.append(time.perf_counter() - began)
    return statistics.median(timings) * 1000


def main() -> None:
    reference_module = load_reference()
    cases = make_cases(FAST_CASES)
    slow = cases[:SLOW_CASES]
    moscow = BusinessCalendar.from_spec(MOSCOW_SPEC)
    always = BusinessCalendar.always()
    moscow_python = pure_python(MOSCOW_SPEC, cases)
    always_python = pure_python(always.to_spec(), cases)
    ours = "sladesk, compiled" if engine.FastIndex is not None else "sladesk (not built)"
    moscow_reference = reference_module.ReferenceCalendar(MOSCOW_SPEC)
    always_reference = reference_module.ReferenceCalendar(always.to_spec())
    pandas = PandasMoscow(slow)

    rows: list[tuple[str, str, str, float, float | None]] = []

    def measure(calendar: str, operation: str, implementations: dict[str, Timed]) -> None:
        rates = {
            name: operations_per_second(function, pairs)
            for name, (function, pairs) in implementations.items()
        }
        baseline = next((rate for name, rate in rates.items() if name.startswith("pandas")), None)
        for name, rate in rates.items():
            rows.append((calendar, operation, name, rate, rate / baseline if baseline else None))

    adds = [(case.start, case.duration) for case in cases]
    spans = [(case.start, case.end) for case in cases]
    utc_starts = {case.start: pd.Timestamp(case.start).tz_convert("UTC") for case in slow}
    measure(
        "Moscow + RU holidays",
        "add",
        {
            ours: (moscow.add, adds),
            "sladesk, pure Python": (moscow_python.add, adds),
            "pandas CustomBusinessHour": (operator.add, [pandas.arguments(case) for case in slow]),
            "reference": (moscow_reference.add, adds[:SLOW_CASES]),
        },
    )
    measure(
        "Moscow + RU holidays",
        "between",
        {
            ours: (moscow.between, spans),
            "sladesk, pure Python": (moscow_python.between, spans),
            "reference": (moscow_reference.between, spans[:SLOW_CASES]),
        },
    )
    measure(
        "24/7",
        "add",
        {
            ours: (always.add, adds),
            "sladesk, pure Python": (always_python.add, adds),
            "pandas Timedelta": (
                operator.add,
                [(utc_starts[case.start], pd.Timedelta(case.duration)) for case in slow],
            ),
            "reference": (always_reference.add, adds[:SLOW_CASES]),
        },
    )
    measure(
        "24/7",
        "between",
        {
            ours: (always.between, spans),
            "sladesk, pure Python": (always_python.between, spans),
            "reference": (always_reference.between, spans[:SLOW_CASES]),
        },
    )

    index_milliseconds = index_build_milliseconds()
    floor = operations_per_second(convert_only, [(start, start.timestamp()) for start, _ in adds])
    engine_rate, python_rate, pandas_rate = rows[0][3], rows[1][3], rows[2][3]
    verdicts = ("met" if engine_rate >= 300_000 else "not met", engine_rate / pandas_rate)
    always_same = sum(
        always.add(case.start, case.duration)
        == utc_starts[case.start] + pd.Timedelta(minutes=case.minutes)
        for case in slow
    )
    reference_same = sum(
        moscow.add(case.start, case.duration) == moscow_reference.add(case.start, case.duration)
        and moscow.between(case.start, case.end) == moscow_reference.between(case.start, case.end)
        for case in slow
    )
    engines_same = sum(
        moscow.add(case.start, case.duration) == moscow_python.add(case.start, case.duration)
        and moscow.between(case.start, case.end) == moscow_python.between(case.start, case.end)
        and always.add(case.start, case.duration) == always_python.add(case.start, case.duration)
        for case in cases
    )
    lines = [
        HEADING,
        "",
        f"- Machine: {machine()}",
        f"- Date: {datetime.now(UTC).date().isoformat()}",
        f"- Cases: seeded random instants in 2025-2027 (half with microseconds, a quarter on "
        "the hour), durations "
        f"from one minute to 60 working days (half whole hours); median of {RUNS} runs; "
        f"the engine over {FAST_CASES:,} cases, pandas and the reference over the first "
        f"{SLOW_CASES:,} of them.",
        "- sladesk, compiled: `add`, `between` answered by the optional C extension "
        "`sladesk.sla._calendar_fast` on the engine's index; sladesk, pure Python: the same "
        "calendar with the extension switched off (an install without a C compiler).",
        f"- pandas {pd.__version__}: `CustomBusinessHour` with the RU holiday dates on the "
        "Moscow calendar "
        "(whole hours only: durations rounded to hours for timing); on 24/7, where "
        "`CustomBusinessHour` cannot express a 24-hour day, `Timestamp + Timedelta`. "
        "It has no business-time `between`.",
        "",
        "| calendar | operation | implementation | ops/s | vs pandas |",
        "| --- | --- | --- | ---: | ---: |",
        *(
            f"| {calendar} | {operation} | {name} | {rate:,.0f} | "
            f"{f'{ratio:,.1f}x' if ratio is not None else 'n/a'} |"
            for calendar, operation, name, rate, ratio in rows
        ),
        "",
        f"- Targets ({ours}): >= 300,000 `add`/s on the Moscow calendar: {verdicts[0]}; "
        f">= 100x pandas `CustomBusinessHour`: {'met' if verdicts[1] >= 100 else 'not met'} "
        f"({verdicts[1]:.0f}x). Pure Python alone: {python_rate:,.0f} `add`/s, "
        f"{python_rate / pandas_rate:.0f}x pandas. A Python function that only converts a "
        f"datetime to an epoch offset and one back runs at {floor:,.0f} calls/s here, "
        f"{floor / pandas_rate:.0f}x pandas: the ceiling of any pure-Python engine with this "
        "datetime interface.",
        f"- Agreement with pandas, Moscow: {pandas_agreement(moscow, pandas, slow)}.",
        f"- Agreement with pandas, 24/7: {always_same} of {len(slow)} due instants equal.",
        f"- Building the index of one year (once per calendar object and year): "
        f"{index_milliseconds:.1f} ms on the Moscow calendar.",
        f"- Agreement with the reference, Moscow: {reference_same} of {len(slow)} cases "
        "(`add` and `between` both equal).",
        f"- Agreement of the compiled and the pure-Python engine: {engines_same:,} of "
        f"{len(cases):,} cases (`add` and `between` on Moscow, `add` on 24/7, all equal).",
        "",
    ]
    publish(HEADING, lines)


if __name__ == "__main__":
    main()
