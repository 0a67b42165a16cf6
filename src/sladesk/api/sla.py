"""SLA endpoints: compliance figures per contract and days (the older, smaller shape of
`GET /reports/sla`, counted by the same report)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.http import HttpRequest
from ninja import Router, Schema

from sladesk.api.auth import actor
from sladesk.reports import selectors

router = Router(tags=["sla"])


class ClockFiguresOut(Schema):
    measured: int
    met: int
    met_percent: float | None
    median_seconds: int | None  # business time to first response / to resolution
    p90_seconds: int | None


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
    """Kept for existing clients; `GET /reports/sla?contract_id=&start=&end=` says more."""
    contract = selectors.report_contract_get(actor=actor(request), contract_id=contract_id)
    report = selectors.sla_report(
        contract=contract, period=selectors.report_period(contract, first=start, last=end)
    )
    by_class = Counter(breach.ticket_class or "-" for breach in report.breaches)
    by_line = Counter(breach.line or "-" for breach in report.breaches)
    return {
        "contract": report.contract,
        "start": report.first,
        "end": report.last,
        "tickets": report.tickets,
        "response": report.response,
        "resolution": report.resolution,
        "breaches_by_class": dict(sorted(by_class.items())),
        "breaches_by_line": dict(sorted(by_line.items())),
    }
