"""The calendar tests run on both engines: the compiled fast path and the Python code alone.

A test module imports `calendar_engine` and marks itself with
``pytest.mark.usefixtures("calendar_engine")``; where the extension is not built, the compiled
run is skipped, unless ``SLADESK_REQUIRE_FAST_CALENDAR=1`` (then test_calendar_fast fails).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from sladesk.sla import calendar

COMPILED = calendar.FastIndex  # as imported, before any test switches it off
REQUIRED = os.environ.get("SLADESK_REQUIRE_FAST_CALENDAR") == "1"


@pytest.fixture(params=["compiled", "python"], scope="module")
def calendar_engine(request: pytest.FixtureRequest) -> Iterator[str]:
    """Calendars built inside the test use the engine named by the parameter."""
    if request.param == "compiled" and COMPILED is None:
        pytest.skip("the compiled calendar module is not built")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(calendar, "FastIndex", COMPILED if request.param == "compiled" else None)
        calendar._always_open.cache_clear()  # the shared 24/7 calendar keeps its index
        yield request.param
    calendar._always_open.cache_clear()
