"""Reading reports: which contracts a person may see reported, and one contract's figures
over a period, counted from the ticket figures rows (never the tickets' histories)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from sladesk.accounts.choices import Role
from sladesk.accounts.models import Contract, Service, SupportLine, User
from sladesk.channels.models import InboundAlert
from sladesk.channels.monitoring.alerts import AlertPayloadError, AlertStatus, read_alert
from sladesk.core import clock
from sladesk.core.errors import DomainError, NotFound
from sladesk.reports import periods
from sladesk.reports.choices import Dimension, MonthlyReportStatus
from sladesk.reports.facts import figures_catch_up
from sladesk.reports.figures import (
    Availability,
    Breach,
    Breakdown,
    BreakdownRow,
    ClockFigures,
    SlaReport,
    TargetFigures,
    clock_figures,
    downtime,
)
from sladesk.reports.models import MonthlyReport, TicketFigures
from sladesk.sla.clocks import ClockState
from sladesk.sla.models import SlaTarget
from sladesk.tickets.choices import Channel, Priority
from sladesk.tickets.models import Severity, TicketClass

CLOCKS = ("response", "resolution")


def report_contracts(*, actor: User) -> QuerySet[Contract]:
    """The contracts whose reports `actor` may read: vendor staff every one, a customer's
    specialists their organisation's, end users none."""
    contracts = Contract.objects.select_related("organisation", "sla_policy__calendar")
    if actor.is_vendor_staff:
        return contracts
    if actor.role == Role.SPECIALIST:
        return contracts.filter(organisation_id=actor.organisation_id)
    return contracts.none()


def report_contract_get(*, actor: User, contract_id: int) -> Contract:
    contract = report_contracts(actor=actor).filter(pk=contract_id).first()
    if contract is None:
        raise NotFound(_("No such contract."))
    return contract


def contract_zone(contract: Contract) -> ZoneInfo:
    """The zone a contract's days are counted in: its calendar's, else the desk's."""
    policy = contract.sla_policy
    name = policy.calendar.spec.get("timezone") if policy is not None else None
    return ZoneInfo(name or settings.TIME_ZONE)


def report_period(
    contract: Contract,
    *,
    period: str | None = None,
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> periods.Period:
    """A month (`YYYY-MM`), or `first`..`last`; the month now by default. DomainError for a
    malformed or too long period."""
    zone = contract_zone(contract)
    try:
        if period:
            return periods.month(period, zone)
        if first is not None or last is not None:
            if first is None or last is None:
                raise periods.PeriodError("Give both the first and the last day.")
            return periods.date_range(first, last, zone)
    except periods.PeriodError as error:
        raise DomainError(str(error), field="period") from error
    today = clock.now().astimezone(zone).date()
    return periods.Period(periods.month_first(today), periods.month_last(today), zone)


def _outcome(row: dict[str, object], prefix: str, now: dt.datetime) -> bool | None:
    """Met (True), breached (False), or not measured yet (None)."""
    state = row[f"{prefix}_state"]
    if state == ClockState.MET:
        return True
    if state == ClockState.BREACHED:
        return False
    due = row[f"{prefix}_due_at"]
    if state == ClockState.RUNNING and isinstance(due, dt.datetime) and due <= now:
        return False
    return None


_ROW_FIELDS = [
    "ticket_id",
    "number",
    "title",
    "target_id",
    "ticket_class__code",
    "line__level",
    *(f"{prefix}_{part}" for prefix in CLOCKS for part in ("state", "due_at", "met_at", "seconds")),
]
_DIMENSION_FIELDS = {
    Dimension.TICKET_CLASS: "ticket_class_id",
    Dimension.SEVERITY: "severity_id",
    Dimension.PRIORITY: "priority",
    Dimension.LINE: "line_id",
    Dimension.CHANNEL: "channel",
}


def _labels() -> dict[str, dict[object, str]]:
    """Names for the values each dimension takes."""
    return {
        Dimension.TICKET_CLASS: {row.pk: str(row) for row in TicketClass.objects.all()},
        Dimension.SEVERITY: {
            row.pk: str(row) for row in Severity.objects.select_related("ticket_class")
        },
        Dimension.PRIORITY: {value: str(label) for value, label in Priority.choices},
        Dimension.LINE: {row.pk: str(row) for row in SupportLine.objects.all()},
        Dimension.CHANNEL: {value: str(label) for value, label in Channel.choices},
    }


def _breakdowns(
    figures: QuerySet[TicketFigures], period: periods.Period
) -> tuple[list[Breakdown], dict[str, int]]:
    """Registered, resolved and open-at-end tickets per value of every dimension, counted in
    one grouped query; also the totals of the resolved tickets' outcomes."""
    start, end = period.start, period.end
    registered = Q(registered_at__gte=start, registered_at__lt=end)
    resolved = Q(resolved_at__gte=start, resolved_at__lt=end)
    backlog = Q(registered_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=end))
    fields = list(_DIMENSION_FIELDS.values())
    groups = (
        figures.filter(
            Q(registered_at__lt=end) & (Q(ended_at__isnull=True) | Q(ended_at__gte=start))
            | resolved
        )
        .values(*fields)
        .annotate(
            registered=Count("pk", filter=registered),
            resolved=Count("pk", filter=resolved),
            open=Count("pk", filter=backlog),
            reopened=Count("pk", filter=resolved & Q(reopened__gt=0)),
            first_line=Count("pk", filter=resolved & Q(first_line=True)),
            with_article=Count("pk", filter=resolved & Q(with_article=True)),
        )
        .order_by()
    )
    totals: Counter[str] = Counter()
    counts: dict[str, dict[object, Counter[str]]] = {
        dimension: defaultdict(Counter) for dimension in _DIMENSION_FIELDS
    }
    for group in groups:
        for key in ("registered", "resolved", "open", "reopened", "first_line", "with_article"):
            totals[key] += group[key]
        for dimension, column in _DIMENSION_FIELDS.items():
            bucket = counts[dimension][group[column]]
            for key in ("registered", "resolved", "open"):
                bucket[key] += group[key]
    labels = _labels()
    breakdowns = []
    for dimension in _DIMENSION_FIELDS:
        names = labels[dimension]
        rows = [
            BreakdownRow(
                label=names.get(value, str(value)) if value not in (None, "") else _("none"),
                registered=bucket["registered"],
                resolved=bucket["resolved"],
                open=bucket["open"],
            )
            for value, bucket in counts[dimension].items()
            if any(bucket.values())
        ]
        rows.sort(key=lambda row: (-row.registered, row.label))
        breakdowns.append(Breakdown(str(dimension), str(Dimension(dimension).label), rows))
    return breakdowns, dict(totals)


def _clocks(
    rows: list[dict[str, object]], now: dt.datetime
) -> tuple[dict[str, ClockFigures], list[TargetFigures], list[Breach]]:
    """Overall and per-target clock figures of the tickets registered in the period, and the
    breaches among them."""
    labels = {
        row.pk: str(row)
        for row in SlaTarget.objects.filter(
            pk__in={row["target_id"] for row in rows if row["target_id"]}
        ).select_related("ticket_class", "severity__ticket_class")
    }
    clock_labels = {"response": _("first response"), "resolution": _("resolution")}
    by_target: dict[int | None, list[dict[str, object]]] = defaultdict(list)
    for row in rows:
        for prefix in CLOCKS:  # once per row: the overall, per-target and breach figures
            row[f"{prefix}_outcome"] = _outcome(row, prefix, now)
        target_id = row["target_id"]
        by_target[target_id if isinstance(target_id, int) else None].append(row)

    def figures_of(subset: list[dict[str, object]], prefix: str) -> ClockFigures:
        outcomes = [row[f"{prefix}_outcome"] for row in subset]
        seconds = [row[f"{prefix}_seconds"] for row in subset]
        return clock_figures(
            (outcome for outcome in outcomes if isinstance(outcome, bool)),
            (value for value in seconds if isinstance(value, int)),
        )

    overall = {prefix: figures_of(rows, prefix) for prefix in CLOCKS}
    targets = [
        TargetFigures(
            label=labels.get(target_id, _("no SLA target")),
            tickets=len(subset),
            response=figures_of(subset, "response"),
            resolution=figures_of(subset, "resolution"),
        )
        for target_id, subset in by_target.items()
        if target_id is not None
    ]
    targets.sort(key=lambda figures: figures.label)
    breaches = [
        Breach(
            number=str(row["number"]),
            title=str(row["title"]),
            clock=prefix,
            clock_label=str(clock_labels[prefix]),
            ticket_class=str(row["ticket_class__code"] or ""),
            line="" if row["line__level"] is None else str(row["line__level"]),
            due_at=row[f"{prefix}_due_at"],  # type: ignore[arg-type]  # a datetime or None
            met_at=row[f"{prefix}_met_at"],  # type: ignore[arg-type]  # a datetime or None
        )
        for row in rows
        for prefix in CLOCKS
        if row[f"{prefix}_outcome"] is False
    ]
    breaches.sort(key=lambda breach: (breach.number, breach.clock))
    return overall, targets, breaches


def _availability(contract: Contract, period: periods.Period) -> list[Availability]:
    """Per monitored service of the organisation: the share of the period without an alert
    firing, from each alert's start to its resolution (wall-clock time)."""
    start, end = period.start, min(period.end, clock.now())
    services = {
        service.pk: service.name
        for service in Service.objects.filter(organisation_id=contract.organisation_id)
    }
    alerts = InboundAlert.objects.filter(
        source__organisation_id=contract.organisation_id,
        source__service_id__in=list(services),
        received_at__gte=start - dt.timedelta(days=31),
        received_at__lt=period.end,
    ).values_list(
        "source__service_id", "fingerprint", "alert_status", "starts_at", "payload", "received_at"
    )
    episodes: dict[int, dict[tuple[str, dt.datetime], dt.datetime | None]] = defaultdict(dict)
    monitored: set[int] = set()
    for service_id, fingerprint, status, starts_at, payload, received_at in alerts:
        monitored.add(service_id)
        began = starts_at or received_at
        key = (fingerprint, began)
        if status == AlertStatus.RESOLVED:
            try:
                ended = read_alert(payload, status).ends_at
            except AlertPayloadError:
                ended = None
            episodes[service_id][key] = ended or received_at
        else:
            episodes[service_id].setdefault(key, None)
    length = max(end - start, dt.timedelta(0))
    result = []
    for service_id in sorted(monitored, key=lambda pk: services[pk]):
        spans = [(began, ended) for (_fingerprint, began), ended in episodes[service_id].items()]
        down = downtime(spans, start, end) if length else dt.timedelta(0)
        counted = sum(
            1 for began, ended in spans if began < end and (ended is None or ended > start)
        )
        share = 100.0 if not length else round(100 * (1 - down / length), 3)
        result.append(Availability(services[service_id], counted, int(down.total_seconds()), share))
    return result


def sla_report(*, contract: Contract, period: periods.Period) -> SlaReport:
    """The contract's figures over `period` (its clocks: tickets registered in it).

    `contract` comes from `report_contract_get` (the reader's scope checked there). The
    contract's tickets changed since the worker last counted them are counted first."""
    figures_catch_up(contract_id=contract.pk)
    now = clock.now()
    figures = TicketFigures.objects.filter(contract_id=contract.pk)
    rows = list(
        figures.filter(registered_at__gte=period.start, registered_at__lt=period.end)
        .order_by("registered_at", "ticket_id")
        .values(*_ROW_FIELDS)
    )
    overall, targets, breaches = _clocks(rows, now)
    breakdowns, totals = _breakdowns(figures, period)
    return SlaReport(
        contract_id=contract.pk,
        contract=contract.number,
        organisation=contract.organisation.name,
        period=period.key,
        first=period.first,
        last=period.last,
        zone=period.zone.key,
        generated_at=now,
        tickets=len(rows),
        resolved=totals.get("resolved", 0),
        open_at_end=totals.get("open", 0),
        response=overall["response"],
        resolution=overall["resolution"],
        reopened=totals.get("reopened", 0),
        first_line=totals.get("first_line", 0),
        with_article=totals.get("with_article", 0),
        targets=targets,
        breakdowns=breakdowns,
        breaches=breaches,
        availability=_availability(contract, period),
    )


def monthly_reports_of(*, actor: User, contract: Contract) -> QuerySet[MonthlyReport]:
    """The contract's kept monthly reports (built and mailed), newest first."""
    return MonthlyReport.objects.filter(
        contract__in=report_contracts(actor=actor).filter(pk=contract.pk),
        status=MonthlyReportStatus.MAILED,
    ).order_by("-period")


def monthly_report_get(*, actor: User, report_id: int) -> MonthlyReport:
    report = (
        MonthlyReport.objects.filter(
            pk=report_id,
            contract__in=report_contracts(actor=actor),
            status=MonthlyReportStatus.MAILED,
        )
        .select_related("contract")
        .first()
    )
    if report is None:
        raise NotFound(_("No such report."))
    return report
