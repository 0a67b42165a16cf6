"""Reads about SLA: which target applies to a ticket, its timeline from the events, and
its clocks right now. Everything here is recomputed from the events (invariant 4)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet

from sladesk.core import clock as desk_clock
from sladesk.sla.calendar import BusinessCalendar
from sladesk.sla.choices import Clock as ClockChoice
from sladesk.sla.choices import ClockStateLabel, ResolutionStart
from sladesk.sla.clocks import (
    Clock,
    ClockKind,
    ClockRule,
    StatusSpan,
    Timeline,
    auto_close_at,
    compute,
)
from sladesk.sla.models import SlaEvent, SlaPolicy, SlaTarget
from sladesk.tickets.choices import CommentKind, EventKind
from sladesk.tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class TicketSla:
    """A ticket's SLA at one moment: the policy, the matched target row and both clocks."""

    policy: SlaPolicy
    target: SlaTarget
    calendar: BusinessCalendar
    timeline: Timeline
    clocks: list[Clock]


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    contract = ticket.contract
    if contract is None or contract.sla_policy_id is None:
        return None
    return SlaPolicy.objects.select_related("calendar").get(pk=contract.sla_policy_id)


def matching_target(targets: list[SlaTarget], ticket: Ticket) -> SlaTarget | None:
    """The most specific row matching the ticket's class, severity and priority
    (the earliest row among equally specific ones)."""
    rows = [
        row
        for row in targets
        if row.ticket_class_id in (None, ticket.ticket_class_id)
        and row.severity_id in (None, ticket.severity_id)
        and row.priority in ("", ticket.priority)
    ]
    return max(rows, key=lambda row: (row.specificity, -row.pk), default=None)


CLOCK_EVENT_KINDS = [
    EventKind.COMMENTED,
    EventKind.STATUS_CHANGED,
    EventKind.FIELD_CHANGED,
    EventKind.REPRODUCED,
]


def timeline_of(ticket: Ticket, events: list[TicketEvent] | None = None) -> Timeline:
    """Status spans and the reply/reproduction instants, read from the ticket's events."""
    rows = (
        events
        if events is not None
        else list(
            TicketEvent.objects.filter(ticket=ticket, kind__in=CLOCK_EVENT_KINDS)
            .select_related("actor")
            .order_by("at", "id")
        )
    )
    spans: list[StatusSpan] = [StatusSpan("new", ticket.registered_at)]
    first_response_at = reproduced_at = None
    vendor_updates: list[dt.datetime] = []
    for event in rows:
        if event.kind == EventKind.COMMENTED:
            by_vendor = event.actor is not None and event.actor.is_vendor_staff
            if by_vendor and event.data.get("kind") == CommentKind.PUBLIC:
                vendor_updates.append(event.at)
        elif event.kind == EventKind.STATUS_CHANGED:
            spans.append(StatusSpan(str(event.after), event.at))
        elif event.field == "first_response_at" and event.after:
            first_response_at = dt.datetime.fromisoformat(str(event.after))
        elif event.field == "reproduced_at" and event.after:
            reproduced_at = dt.datetime.fromisoformat(str(event.after))
    return Timeline(ticket.registered_at, spans, first_response_at, reproduced_at, vendor_updates)


def rules_of(*, policy: SlaPolicy, target: SlaTarget) -> list[ClockRule]:
    pauses = frozenset(policy.pause_statuses)
    warnings = tuple(sorted(int(p) for p in policy.warning_percents))
    rules = []
    if target.response_budget is not None or target.response_cutoff is not None:
        rules.append(
            ClockRule(
                ClockKind.RESPONSE,
                budget=target.response_budget,
                cutoff=target.response_cutoff,
                pause_statuses=pauses,
                warning_percents=warnings,
            )
        )
    if target.resolution_budget is not None:
        rules.append(
            ClockRule(
                ClockKind.RESOLUTION,
                budget=target.resolution_budget,
                starts_at_reproduction=target.resolution_starts == ResolutionStart.REPRODUCTION,
                pause_statuses=pauses,
                warning_percents=warnings,
            )
        )
    if target.update_interval is not None:
        rules.append(
            ClockRule(
                ClockKind.UPDATE,
                budget=target.update_interval,
                pause_statuses=pauses,
                warning_percents=warnings,
            )
        )
    return rules


def ticket_sla(
    ticket: Ticket,
    *,
    now: dt.datetime | None = None,
    policy: SlaPolicy | None = None,
    targets: list[SlaTarget] | None = None,
    events: list[TicketEvent] | None = None,
) -> TicketSla | None:
    """The ticket's SLA now, or None when its contract has no policy or no row matches.

    Batch callers pass the policy, its target rows and the ticket's events preloaded."""
    policy = policy or policy_for(ticket)
    if policy is None:
        return None
    if targets is None:
        targets = list(SlaTarget.objects.filter(policy=policy))
    target = matching_target(targets, ticket)
    if target is None:
        return None
    calendar = policy.calendar.engine()
    timeline = timeline_of(ticket, events)
    moment = now or desk_clock.now()
    clocks = [
        compute(rule, timeline, calendar, moment) for rule in rules_of(policy=policy, target=target)
    ]
    return TicketSla(policy, target, calendar, timeline, clocks)


def sla_events_of(*, ticket: Ticket) -> QuerySet[SlaEvent]:
    """`ticket` must come from a visibility-scoped selector."""
    return SlaEvent.objects.filter(ticket=ticket).order_by("at", "id")


@dataclass(frozen=True)
class SlaRow:
    """One target as a page shows it."""

    label: str
    state: str
    state_label: str
    due_at: dt.datetime | None
    met_at: dt.datetime | None
    remaining: dt.timedelta | None


@dataclass(frozen=True)
class SlaOverview:
    """What a ticket's page shows of its SLA: the targets, whether they are the policy's
    default row (the ticket is not classified yet), and when a ticket waiting for the
    customer closes by itself."""

    rows: list[SlaRow]
    until_classified: bool = False
    closes_at: dt.datetime | None = None


def sla_overview(ticket: Ticket) -> SlaOverview:
    """The ticket's targets for display (due times are shown in the viewer's zone)."""
    sla = ticket_sla(ticket)
    if sla is None:
        return SlaOverview(rows=[])
    rows = [
        SlaRow(
            label=str(ClockChoice(clock.kind.value).label),
            state=clock.state.value,
            state_label=str(ClockStateLabel(clock.state.value).label),
            due_at=clock.due_at,
            met_at=clock.met_at,
            remaining=clock.remaining,
        )
        for clock in sla.clocks
    ]
    return SlaOverview(
        rows=rows,
        until_classified=sla.target.is_default and ticket.ticket_class_id is None,
        closes_at=auto_close_at(sla.timeline, sla.calendar, sla.policy.auto_close_working_days),
    )
