"""Report pages: the support team's dashboard (its home for leads and supervisors), a
contract's report with its charts, tables and files, the kept monthly reports, and exports
of a ticket list with its filters. Customers' specialists read their own contracts'
reports (the portal's "Service report"); every read goes through the reports selectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sladesk.accounts.models import Contract
from sladesk.core.errors import DomainError
from sladesk.reports import charts, exports, selectors
from sladesk.reports.dashboard import Dashboard, dashboard_for
from sladesk.reports.periods import Period
from sladesk.web.common import actor_of, domain_errors_as_404, vendor_only
from sladesk.web.views import queue_of

FORMATS = ("csv", "xlsx", "pdf")


def _dashboard_charts(board: Dashboard) -> list[str]:
    days = charts.grouped_columns(
        [day.day.strftime("%d.%m.") for day in board.days],
        [
            charts.Series(
                _("Registered"), [day.registered for day in board.days], charts.PALETTE.neutral
            ),
            charts.Series(_("Resolved"), [day.resolved for day in board.days], charts.PALETTE.met),
        ],
        title=_("Registered and resolved per day, last %(days)s days") % {"days": len(board.days)},
        empty=_("No data"),
    )
    load = charts.bar_chart(
        [(agent.name, agent.open) for agent in board.agents],
        title=_("Open tickets per agent"),
        empty=_("No data"),
    )
    # charts.py escapes every text it draws.
    return [mark_safe(days), mark_safe(load)]  # noqa: S308  # escaped by charts.py


@login_required
@vendor_only
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """The team's figures now; the page polls its own body (htmx) to stay current."""
    board = dashboard_for(actor=actor_of(request))
    context = {"board": board, "charts": _dashboard_charts(board)}
    if getattr(request, "htmx", False):
        return render(request, "web/_dashboard.html", context)
    return render(request, "web/dashboard.html", context)


@login_required
@require_GET
def report_list(request: HttpRequest) -> HttpResponseBase:
    """The contracts whose reports the reader may open (an end user has none: 404)."""
    user = actor_of(request)
    contracts = selectors.report_contracts(actor=user).order_by("organisation__name", "number")
    if not user.is_vendor_staff and not contracts.exists():
        raise Http404
    if len(rows := list(contracts[:2])) == 1 and not user.is_vendor_staff:
        return redirect("web:report_contract", contract_id=rows[0].pk)
    return render(request, "web/report_list.html", {"contracts": contracts})


def _period_of(request: HttpRequest, contract: Contract) -> tuple[Period, str]:
    """The period the query asks for, else the month now and the reason it was refused."""
    query = request.GET
    first = last = None
    try:
        if query.get("start") or query.get("end"):
            first = dt.date.fromisoformat(query.get("start", ""))
            last = dt.date.fromisoformat(query.get("end", ""))
        return selectors.report_period(
            contract, period=query.get("period") or None, first=first, last=last
        ), ""
    except ValueError:
        error = _("Write the days as YYYY-MM-DD.")
    except DomainError as refused:
        error = refused.message
    return selectors.report_period(contract), error


@login_required
@require_GET
@domain_errors_as_404
def report_contract(request: HttpRequest, contract_id: int) -> HttpResponse:
    user = actor_of(request)
    contract = selectors.report_contract_get(actor=user, contract_id=contract_id)
    period, error = _period_of(request, contract)
    report = selectors.sla_report(contract=contract, period=period)
    context: dict[str, Any] = {
        "contract": contract,
        "report": report,
        "period_error": error,
        "tables": exports.report_tables(report),
        "charts": [mark_safe(chart) for chart in exports.report_charts(report)],  # noqa: S308  # escaped by charts.py
        "query": request.GET.urlencode(),
        "formats": FORMATS,
        "monthly": selectors.monthly_reports_of(actor=user, contract=contract),
    }
    return render(request, "web/report_contract.html", context)


@login_required
@require_GET
@domain_errors_as_404
def report_export(request: HttpRequest, contract_id: int, fmt: str) -> HttpResponseBase:
    if fmt not in FORMATS:
        raise Http404
    contract = selectors.report_contract_get(actor=actor_of(request), contract_id=contract_id)
    period, error = _period_of(request, contract)
    if error:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    report = selectors.sla_report(contract=contract, period=period)
    body, content_type = exports.export(report, fmt)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(report, fmt)}"'
    return response


@login_required
@require_GET
@domain_errors_as_404
def monthly_report_download(request: HttpRequest, report_id: int) -> FileResponse:
    """A kept monthly report's PDF, in the reader's language when it was made in it."""
    report = selectors.monthly_report_get(actor=actor_of(request), report_id=report_id)
    files: dict[str, str] = report.files
    name = files.get(get_language() or "") or next(iter(files.values()), None)
    if name is None or not default_storage.exists(name):
        raise Http404
    return FileResponse(
        default_storage.open(name, "rb"),
        as_attachment=True,
        filename=f"{report.contract.number}-{report.period}.pdf",
        content_type="application/pdf",
    )


EXPORT_LIMIT = 50_000  # rows in one export; a narrower filter gives the rest


@login_required
@require_GET
def ticket_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The ticket list of a queue page, with its filters, as CSV or XLSX."""
    if fmt not in ("csv", "xlsx"):
        raise Http404
    user = actor_of(request)
    _queue, _form, tickets = queue_of(request, user)
    header, rows = ticket_export_rows(tickets.select_related("ticket_class")[:EXPORT_LIMIT])
    if fmt == "csv":
        body, content_type = exports.rows_csv(header, rows), exports.CONTENT_TYPES["csv"]
    else:
        body = exports.rows_xlsx(str(_("Tickets")), header, rows)
        content_type = exports.CONTENT_TYPES["xlsx"]
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="tickets.{fmt}"'
    return response


def ticket_export_rows(tickets: Any) -> tuple[list[str], Iterator[list[object]]]:
    """A ticket list as a table: what the queue shows, with full times in UTC."""
    header = [
        str(label)
        for label in (
            _("Number"),
            _("Title"),
            _("Organisation"),
            _("Status"),
            _("Class"),
            _("Priority"),
            _("Line"),
            _("Assignee"),
            _("SLA"),
            _("Next deadline (UTC)"),
            _("Registered (UTC)"),
        )
    ]

    def instant(moment: dt.datetime | None) -> str:
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if moment else ""

    rows = (
        [
            ticket.number,
            ticket.title,
            ticket.organisation.name,
            ticket.get_status_display(),
            str(ticket.ticket_class) if ticket.ticket_class else "",
            ticket.get_priority_display(),
            str(ticket.line) if ticket.line else "",
            str(ticket.assignee) if ticket.assignee else "",
            ticket.get_sla_state_display(),
            instant(ticket.sla_next_due_at),
            instant(ticket.registered_at),
        ]
        for ticket in tickets.iterator(chunk_size=2000)
    )
    return header, rows


urlpatterns: list[URLPattern] = [
    path("dashboard/", dashboard, name="dashboard"),
    path("tickets/export.<str:fmt>", ticket_export, name="ticket_export"),
    path("reports/", report_list, name="report_list"),
    path("reports/<int:contract_id>/", report_contract, name="report_contract"),
    path("reports/<int:contract_id>/export.<str:fmt>", report_export, name="report_export"),
    path(
        "reports/monthly/<int:report_id>.pdf",
        monthly_report_download,
        name="monthly_report_download",
    ),
]
