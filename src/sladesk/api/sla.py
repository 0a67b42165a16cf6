"""SLA endpoints: compliance figures per contract and period."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from sladesk.api.auth import actor
from sladesk.sla.reports import ClockFigures, sla_compliance

router = Router(tags=["sla"])


class ClockFiguresOut(Schema):
    measured: int
    met: int
    met_percent: float | None
    median_seconds: int | None  # business time to first response / to resolution
    p90_seconds: int | None

    @staticmethod
    def resolve_median_seconds(figures: ClockFigures) -> int | None:
        return None if figures.median is None else int(figures.median.total_seconds())

    @staticmethod
    def resolve_p90_seconds(figures: ClockFigures) -> int | None:
        return None if figures.p90 is None else int(figures.p90.total_seconds())


class ComplianceOut(Schema):
    contract: str
    start: dt.date
    end: dt.date
    tickets: int
    response: ClockFiguresOut
    resolution: ClockFiguresOut
    breaches_by_class: dict[str, int]
    breaches_by_line: dict[str, int]


@router.get("/sla/compliance", response=ComplianceOut)
def compliance(request: HttpRequest, contract_id: int, start: dt.date, end: dt.date) -> object:
    return sla_compliance(actor=actor(request), contract_id=contract_id, start=start, end=end)
