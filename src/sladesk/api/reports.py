"""Reports: a contract's SLA and KPI figures over a month or a range of days, as JSON or as
CSV, XLSX or PDF. Vendor staff read any contract's; a customer's specialists their own
contracts' (another's answers 404); end users none."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from sladesk.api.auth import actor
from sladesk.reports import selectors
from sladesk.reports.figures import SlaReport

router = Router(tags=["reports"])


class ReportClockOut(Schema):
    measured: int
    met: int
    breached: int
    met_percent: float | None
    median_seconds: int | None  # business time to first response / to resolution
    p90_seconds: int | None


class ReportTargetOut(Schema):
    label: str
    tickets: int
    response: ReportClockOut
    resolution: ReportClockOut


class ReportBreakdownRowOut(Schema):
    label: str
    registered: int
    resolved: int
    open: int


class ReportBreakdownOut(Schema):
    dimension: str
    title: str
    rows: list[ReportBreakdownRowOut]


class ReportBreachOut(Schema):
    number: str
    title: str
    clock: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None


class ReportAvailabilityOut(Schema):
    service: str
    alerts: int
    downtime_seconds: int
    percent: float


class SlaReportOut(Schema):
    contract_id: int
    contract: str
    organisation: str
    period: str
    first: dt.date
    last: dt.date
    zone: str
    generated_at: dt.datetime
    tickets: int
    resolved: int
    open_at_end: int
    response_met_percent: float | None
    resolution_met_percent: float | None
    response: ReportClockOut
    resolution: ReportClockOut
    reopened: int
    reopened_percent: float | None
    first_line: int
    first_line_percent: float | None
    with_article: int
    with_article_percent: float | None
    targets: list[ReportTargetOut]
    breakdowns: list[ReportBreakdownOut]
    breaches: list[ReportBreachOut]
    availability: list[ReportAvailabilityOut]

    @staticmethod
    def resolve_reopened_percent(report: SlaReport) -> float | None:
        return report.share(report.reopened)

    @staticmethod
    def resolve_first_line_percent(report: SlaReport) -> float | None:
        return report.share(report.first_line)

    @staticmethod
    def resolve_with_article_percent(report: SlaReport) -> float | None:
        return report.share(report.with_article)


Format = Literal["json", "csv", "xlsx", "pdf"]


@router.get("/reports/sla", response=SlaReportOut)
def sla_report(
    request: HttpRequest,
    contract_id: int,
    period: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    format: Format = "json",  # the query parameter's documented name
) -> object:
    """`period=YYYY-MM` (the month now by default) or `start` and `end` (days, both
    included, at most 366); days are the contract calendar's. `format` other than json
    answers the same figures as a file."""
    contract = selectors.report_contract_get(actor=actor(request), contract_id=contract_id)
    span = selectors.report_period(contract, period=period, first=start, last=end)
    report = selectors.sla_report(contract=contract, period=span)
    if format == "json":
        return report
    from sladesk.reports import exports

    body, content_type = exports.export(report, format)
    response = HttpResponse(body, content_type=content_type)
    filename = exports.filename(report, format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
