"""The support team's dashboard: the work open now, what is at risk or breached, incoming
against resolved per day, the oldest open tickets and each agent's load. Live figures come
from the tickets' indexed columns; the daily counts from the report figures rows."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from sladesk.accounts.models import SupportLine, User
from sladesk.core import clock
from sladesk.core.errors import PermissionDenied
from sladesk.reports.facts import figures_catch_up
from sladesk.reports.models import TicketFigures
from sladesk.sla.choices import TicketSlaState
from sladesk.tickets.choices import OPEN_STATUSES, TicketStatus
from sladesk.tickets.models import Ticket

DAYS = 30
LISTED = 10  # tickets per list


@dataclass(frozen=True)
class LineRow:
    line: str
    counts: list[int]  # per status of `Dashboard.statuses`
    total: int


@dataclass(frozen=True)
class AgentLoad:
    name: str
    open: int
    at_risk: int
    breached: int


@dataclass(frozen=True)
class DayCount:
    day: dt.date
    registered: int
    resolved: int


@dataclass(frozen=True)
class Dashboard:
    statuses: list[str]  # labels, in the order of `LineRow.counts`
    lines: list[LineRow]
    open_total: int
    at_risk: int
    breached: int
    urgent: list[Ticket]  # breached and at risk, the nearest deadline first
    oldest: list[Ticket]
    agents: list[AgentLoad]
    days: list[DayCount]
    generated_at: dt.datetime


@dataclass(frozen=True)
class _OpenCounts:
    """The open tickets counted once, from the open-queues index alone: per line and status,
    per SLA state, per assignee and state."""

    by_line: dict[int | None, dict[str, int]]
    by_state: dict[str, int]
    by_assignee: dict[int, dict[str, int]]


def _open_counts() -> _OpenCounts:
    # Count("*"), not Count("pk"): the id is not in the partial index `ticket_open_queues`,
    # and counting it would read the table page of every open ticket.
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values_list("line_id", "status", "assignee_id", "sla_state")
        .annotate(count=Count("*"))
        .order_by()
    )
    by_line: dict[int | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_state: dict[str, int] = defaultdict(int)
    by_assignee: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for line_id, status, assignee_id, sla_state, count in rows:
        by_line[line_id][status] += count
        by_state[sla_state] += count
        if assignee_id is not None:
            by_assignee[assignee_id]["open"] += count
            by_assignee[assignee_id][sla_state] += count
    return _OpenCounts(by_line, by_state, by_assignee)


def _open_by_line(counts: _OpenCounts) -> tuple[list[str], list[LineRow], int]:
    statuses = [status for status in TicketStatus.values if status in OPEN_STATUSES]
    names: dict[int | None, str] = {line.pk: str(line) for line in SupportLine.objects.all()}
    names[None] = _("no line")
    rows = [
        LineRow(
            names.get(line_id, str(line_id)),
            [by_status.get(status, 0) for status in statuses],
            sum(by_status.values()),
        )
        for line_id, by_status in sorted(
            counts.by_line.items(), key=lambda item: (item[0] is None, names.get(item[0], ""))
        )
    ]
    labels = [str(TicketStatus(status).label) for status in statuses]
    return labels, rows, sum(row.total for row in rows)


def _per_day(zone: ZoneInfo, today: dt.date) -> list[DayCount]:
    first = today - dt.timedelta(days=DAYS - 1)
    since = dt.datetime.combine(first, dt.time(0), zone)
    registered = dict(
        TicketFigures.objects.filter(registered_at__gte=since)
        .annotate(day=TruncDate("registered_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("*"))  # from the index alone (see `_open_counts`)
        .order_by()
        .values_list("day", "count")
    )
    resolved = dict(
        TicketFigures.objects.filter(resolved_at__gte=since)
        .annotate(day=TruncDate("resolved_at", tzinfo=zone))
        .values("day")
        .annotate(count=Count("*"))  # from the index alone (see `_open_counts`)
        .order_by()
        .values_list("day", "count")
    )
    days = [first + dt.timedelta(days=offset) for offset in range(DAYS)]
    return [DayCount(day, registered.get(day, 0), resolved.get(day, 0)) for day in days]


def _agents(counts: _OpenCounts) -> list[AgentLoad]:
    loads = counts.by_assignee
    people = User.objects.filter(pk__in=list(loads)).only("full_name", "email")
    result = [
        AgentLoad(
            str(person),
            open=loads[person.pk]["open"],
            at_risk=loads[person.pk].get(TicketSlaState.AT_RISK, 0),
            breached=loads[person.pk].get(TicketSlaState.BREACHED, 0),
        )
        for person in people
    ]
    result.sort(key=lambda load: (-load.open, load.name))
    return result


def dashboard_for(*, actor: User) -> Dashboard:
    """The dashboard as the support team sees it (customers may not: PermissionDenied).

    The daily counts come from the report figures: a batch of tickets changed since the
    worker last counted is counted first (the worker does it every minute anyway)."""
    if not actor.is_vendor_staff:
        raise PermissionDenied(_("Only the support team may do this."))
    figures_catch_up(rounds=1)
    now = clock.now()
    zone = ZoneInfo(actor.time_zone)
    counts = _open_counts()
    statuses, lines, open_total = _open_by_line(counts)
    listed = Ticket.objects.select_related("assignee", "line", "organisation").only(
        "number",
        "title",
        "status",
        "sla_state",
        "sla_next_due_at",
        "registered_at",
        "assignee__full_name",
        "assignee__email",
        "line__level",
        "line__name",
        "organisation__name",
    )
    urgent_states = [TicketSlaState.BREACHED, TicketSlaState.AT_RISK]
    return Dashboard(
        statuses=statuses,
        lines=lines,
        open_total=open_total,
        at_risk=counts.by_state.get(TicketSlaState.AT_RISK, 0),
        breached=counts.by_state.get(TicketSlaState.BREACHED, 0),
        urgent=list(
            listed.filter(sla_state__in=urgent_states, status__in=OPEN_STATUSES).order_by(
                "sla_next_due_at", "id"
            )[:LISTED]
        ),
        oldest=list(
            listed.filter(status__in=OPEN_STATUSES).order_by("registered_at", "id")[:LISTED]
        ),
        agents=_agents(counts),
        days=_per_day(zone, now.astimezone(zone).date()),
        generated_at=now,
    )
