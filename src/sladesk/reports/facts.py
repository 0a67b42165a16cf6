"""A ticket's report figures from its events and policy: the same history always gives the
same row (like the SLA columns, invariant 4)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db import transaction

from sladesk.core import clock
from sladesk.reports.models import StaleTicket, TicketFigures
from sladesk.sla.clocks import Clock, ClockKind, stopped_at
from sladesk.sla.selectors import TicketSla, ticket_sla, timeline_of
from sladesk.sla.services import Policies, policies_loaded
from sladesk.tickets import lifecycle
from sladesk.tickets.choices import EventKind
from sladesk.tickets.models import Ticket, TicketEvent

FIRST_LINE_LEVEL = 1  # lines 0 (self-service) and 1 (the first line) solve without escalating


def _clock_columns(prefix: str, clock_: Clock | None) -> dict[str, Any]:
    if clock_ is None:
        return {
            f"{prefix}_state": "",
            f"{prefix}_due_at": None,
            f"{prefix}_met_at": None,
            f"{prefix}_seconds": None,
        }
    return {
        f"{prefix}_state": clock_.state.value,
        f"{prefix}_due_at": clock_.due_at,
        f"{prefix}_met_at": clock_.met_at,
        f"{prefix}_seconds": (
            int(clock_.elapsed.total_seconds()) if clock_.met_at is not None else None
        ),
    }


def figures_of(
    ticket: Ticket, events: list[TicketEvent], sla: TicketSla | None, now: dt.datetime
) -> TicketFigures:
    """The figures row of `ticket` (its contract and line loaded), `events` all its events."""
    timeline = sla.timeline if sla is not None else timeline_of(ticket, events)
    clocks = {clock_.kind: clock_ for clock_ in sla.clocks} if sla is not None else {}
    ended_at = stopped_at(timeline.spans)
    escalated = any(event.kind == EventKind.ESCALATED for event in events)
    reopened = sum(
        event.kind == EventKind.STATUS_CHANGED
        and event.data.get("action") == lifecycle.Action.REOPEN.value
        for event in events
    )
    level = ticket.line.level if ticket.line is not None else 0
    return TicketFigures(
        ticket_id=ticket.pk,
        contract_id=ticket.contract_id,
        organisation_id=ticket.organisation_id,
        number=ticket.number,
        title=ticket.title,
        registered_at=ticket.registered_at,
        resolved_at=ticket.resolved_at,
        ended_at=ended_at,
        status=ticket.status,
        channel=ticket.channel,
        ticket_class_id=ticket.ticket_class_id,
        severity_id=ticket.severity_id,
        priority=ticket.priority,
        line_id=ticket.line_id,
        service_id=ticket.service_id,
        target_id=sla.target.pk if sla is not None else None,
        **_clock_columns("response", clocks.get(ClockKind.RESPONSE)),
        **_clock_columns("resolution", clocks.get(ClockKind.RESOLUTION)),
        reopened=reopened,
        escalated=escalated,
        first_line=ticket.resolved_at is not None and not escalated and level <= FIRST_LINE_LEVEL,
        with_article=any(event.kind == EventKind.ARTICLE_LINKED for event in events),
        refreshed_at=now,
    )


FIGURE_FIELDS = [
    field.name for field in TicketFigures._meta.concrete_fields if not field.primary_key
]


def figures_refresh(*, ticket_ids: list[int], policies: Policies | None = None) -> int:
    """Rebuild the figures rows of these tickets (three queries for the batch)."""
    moment = clock.now()
    policies = policies if policies is not None else policies_loaded()
    tickets = list(Ticket.objects.filter(pk__in=ticket_ids).select_related("contract", "line"))
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    rows = TicketEvent.objects.filter(ticket_id__in=[ticket.pk for ticket in tickets])
    for event in rows.select_related("actor").order_by("ticket_id", "at", "id"):
        events[event.ticket_id].append(event)
    figures = []
    for ticket in tickets:
        policy_id = ticket.contract.sla_policy_id if ticket.contract else None
        sla = None
        if policy_id is not None and policy_id in policies:
            policy, targets = policies[policy_id]
            sla = ticket_sla(
                ticket, now=moment, policy=policy, targets=targets, events=events[ticket.pk]
            )
        figures.append(figures_of(ticket, events[ticket.pk], sla, moment))
    TicketFigures.objects.bulk_create(
        figures, update_conflicts=True, unique_fields=["ticket"], update_fields=FIGURE_FIELDS
    )
    return len(figures)


def figures_catch_up(*, contract_id: int | None = None, batch: int = 500, rounds: int = 100) -> int:
    """Recount the tickets marked as changed (of one contract, or all), a batch per
    transaction; returns how many. A report calls it for its contract before it counts,
    so that it is exact even when the worker is behind.

    The marks are locked (skipping those another worker holds) while their tickets are
    recounted and removed in the same transaction: a change to one of them waits for the
    lock in its upsert of the mark (PostgreSQL) and so marks it again after the recount; on
    SQLite one writer at a time gives the same."""
    done = 0
    policies: Policies | None = None  # loaded at the first mark: most calls find none
    marks = StaleTicket.objects.all()
    if contract_id is not None:
        marks = marks.filter(ticket__contract_id=contract_id)
    for _round in range(rounds):
        with transaction.atomic():
            ticket_ids = list(
                marks.select_for_update(skip_locked=True, of=("self",))
                .order_by("marked_at")
                .values_list("ticket_id", flat=True)[:batch]
            )
            if not ticket_ids:
                break
            policies = policies if policies is not None else policies_loaded()
            done += figures_refresh(ticket_ids=ticket_ids, policies=policies)
            StaleTicket.objects.filter(ticket_id__in=ticket_ids).delete()
    return done
