"""Types of the compiled fast path built from _calendar_fast.c."""

from datetime import datetime, timedelta
from typing import final
from zoneinfo import ZoneInfo

@final
class Index:
    """Merged open intervals; each method answers None where the Python code must."""

    def __new__(
        cls,
        zone: ZoneInfo,
        low: int,
        high: int,
        starts: list[int],
        ends: list[int],
        shifts: list[int],
        cum_ends: list[int],
    ) -> Index: ...
    def add(self, start: datetime, duration: timedelta, /) -> datetime | None: ...
    def between(self, first: datetime, second: datetime, /) -> timedelta | None: ...
    def is_open(self, moment: datetime, /) -> bool | None: ...
    def next_open(self, moment: datetime, /) -> datetime | None: ...
